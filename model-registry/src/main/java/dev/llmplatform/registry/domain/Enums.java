package dev.llmplatform.registry.domain;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Case-insensitive enum parsing whose failure names the parameter and the accepted values. */
final class Enums {

    private Enums() {
    }

    static <E extends Enum<E>> E parse(Class<E> type, String value, String param) {
        String accepted = Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(", "));
        if (value == null || value.isBlank()) {
            throw new RegistryException.InvalidArgument(param + " is required (one of " + accepted + ")", param);
        }
        try {
            return Enum.valueOf(type, value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new RegistryException.InvalidArgument("'" + value + "' is not a valid " + param + "; expected one of " + accepted, param);
        }
    }
}
