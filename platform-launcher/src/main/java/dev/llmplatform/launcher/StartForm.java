package dev.llmplatform.launcher;

import java.nio.file.Path;
import java.util.List;

/** How the JVM loads a service's classes: from its executable jar, or from the extracted jar with an AOT cache. */
public sealed interface StartForm {

    /** The JVM options that select the form, ending with {@code -jar <jar>}. */
    List<String> jvmArgs();

    /** The executable jar as built: nested jars, which no AOT cache can hold. */
    record ExecutableJar(Path jar) implements StartForm {
        @Override
        public List<String> jvmArgs() {
            return List.of("-jar", jar.toString());
        }
    }

    /**
     * The jar extracted by Spring Boot's {@code -Djarmode=tools extract} (plain jars on a manifest class path) and the
     * AOT cache of a training run on exactly that class path (JEP 483/514). A cache that no longer matches makes the
     * JVM warn and start without it.
     */
    record CachedJar(Path extractedJar, Path cache) implements StartForm {
        @Override
        public List<String> jvmArgs() {
            return List.of("-XX:AOTCache=" + cache, "-jar", extractedJar.toString());
        }
    }
}
