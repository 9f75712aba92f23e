package dev.llmplatform.commons.security;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * {@code IssueCertificates DIR IDENTITY...}: what {@code ./platform up} runs before it starts the services
 * (through a service jar's launcher, so it needs nothing but the JDK). Host names for the certificates'
 * alternative names can be added with {@code -Dplatform.tls.hosts=a,b}.
 */
public final class IssueCertificates {

    private IssueCertificates() {
    }

    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: IssueCertificates DIR IDENTITY...");
            System.exit(2);
        }
        List<String> hosts = Arrays.stream(System.getProperty("platform.tls.hosts", "").split(","))
                .map(String::strip).filter(h -> !h.isEmpty()).toList();
        var issued = PlatformCertificates.issue(Path.of(args[0]), List.of(args).subList(1, args.length), hosts);
        System.out.println("certificates in " + issued.dir().toAbsolutePath());
    }
}
