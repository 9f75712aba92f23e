package dev.llmplatform.bench.jmh;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Constructor;
import java.util.Arrays;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;

/**
 * Builds a service class the way Spring's constructor injection would, without starting an application: given
 * instances are used where a parameter asks for their type, {@code @ConfigurationProperties} records get their
 * defaults (bound by Spring Boot's own Binder from no properties), a MeterRegistry is a simple one, and any other
 * class is built the same way from its public constructor. So the benchmarks follow the services' constructors as
 * they evolve instead of breaking on each new collaborator.
 */
final class ConstructorWiring {

    private ConstructorWiring() {
    }

    static <T> T build(Class<T> type, Map<Class<?>, Object> given) {
        try {
            return type.cast(create(type, given, 0));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot build " + type.getName(), e);
        }
    }

    private static Object create(Class<?> type, Map<Class<?>, Object> given, int depth) throws ReflectiveOperationException {
        for (var entry : given.entrySet()) {
            if (type.isAssignableFrom(entry.getKey())) {
                return entry.getValue();
            }
        }
        if (type == MeterRegistry.class) {
            return new SimpleMeterRegistry();
        }
        ConfigurationProperties properties = type.getAnnotation(ConfigurationProperties.class);
        if (properties != null) {
            String prefix = properties.prefix().isEmpty() ? properties.value() : properties.prefix();
            return new Binder().bindOrCreate(prefix, type);
        }
        if (depth > 4) {
            throw new IllegalStateException("too deep building " + type.getName());
        }
        Constructor<?> constructor = Arrays.stream(type.getConstructors())
                .max((a, b) -> Integer.compare(a.getParameterCount(), b.getParameterCount()))
                .orElseThrow(() -> new IllegalStateException(type.getName() + " has no public constructor"));
        Object[] args = new Object[constructor.getParameterCount()];
        for (int i = 0; i < args.length; i++) {
            args[i] = create(constructor.getParameterTypes()[i], given, depth + 1);
        }
        return constructor.newInstance(args);
    }
}
