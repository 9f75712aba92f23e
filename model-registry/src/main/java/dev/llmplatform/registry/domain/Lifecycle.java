package dev.llmplatform.registry.domain;

import java.util.regex.Pattern;

/**
 * The rules of the version lifecycle and of names. Promotion archives the version it replaces (rollback is
 * promoting an archived version again); the production version cannot be archived or deleted directly, so a model
 * that is served never loses its alias by accident.
 */
public final class Lifecycle {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

    private Lifecycle() {
    }

    /** Checks that {@code version} may move to {@code target}; throws the refusal otherwise. */
    public static void checkTransition(ModelVersion version, Stage target) {
        String what = "version " + version.version() + " of " + version.modelId();
        switch (target) {
            case REGISTERED -> throw new RegistryException.InvalidArgument(
                    "a version cannot go back to 'registered'; use staging, production or archived", "stage");
            case STAGING -> {
                if (version.stage() == Stage.PRODUCTION) {
                    throw new RegistryException.Conflict(what + " is in production; promote another version first", "stage");
                }
            }
            case PRODUCTION -> {
                if (version.variants().isEmpty()) {
                    throw new RegistryException.Conflict(what + " has no variants; upload an artifact before promoting it", "version");
                }
            }
            case ARCHIVED -> {
                if (version.stage() == Stage.PRODUCTION) {
                    throw new RegistryException.Conflict(what + " is in production; promote another version first", "stage");
                }
            }
        }
    }

    public static void checkDeletable(ModelVersion version) {
        if (version.stage() == Stage.PRODUCTION) {
            throw new RegistryException.Conflict("version " + version.version() + " of " + version.modelId()
                    + " is in production; promote another version first, or delete the whole model", "version");
        }
    }

    /** Variants may be added while a version is prepared, not once it was served, so a served version never changes. */
    public static void checkVariantsOpen(ModelVersion version) {
        if (version.stage() == Stage.PRODUCTION || version.stage() == Stage.ARCHIVED) {
            throw new RegistryException.Conflict("version " + version.version() + " of " + version.modelId() + " is "
                    + version.stage().label() + "; variants can only be added to a registered or staging version", "version");
        }
    }

    /** Model ids, version names and variant ids: letters, digits, '.', '_', '-', up to 100 characters. */
    public static String checkName(String value, String param) {
        if (value == null || !NAME.matcher(value).matches()) {
            throw new RegistryException.InvalidArgument(param + " must be 1 to 100 characters of letters, digits, '.', '_' or '-'"
                    + " starting with a letter or digit; got '" + value + "'", param);
        }
        return value;
    }

    public static String checkSha256(String value) {
        if (value == null || !SHA256.matcher(value).matches()) {
            throw new RegistryException.InvalidArgument("sha256 must be the artifact's SHA-256 as 64 hexadecimal digits; got '"
                    + value + "'", "sha256");
        }
        return value.toLowerCase(java.util.Locale.ROOT);
    }
}
