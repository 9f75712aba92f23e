package dev.llmplatform.commons.security;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The platform's local certificate authority: one CA and one certificate per identity (a service, or an
 * operator role such as {@code admin}), as PEM files in one directory ({@code ca.crt}, {@code <identity>.crt},
 * {@code <identity>.key}). The identity is the certificate's common name; the services authorise callers by it
 * ({@link CallerIdentity}). Files that exist are kept, so issuing again only adds what is missing; keys are
 * readable by their owner only. Kubernetes deployments get theirs from cert-manager or the Helm chart instead.
 */
public final class PlatformCertificates {

    public static final String CA_CERT = "ca.crt";
    static final String CA_KEY = "ca.key";
    private static final String ORGANISATION = "llm-platform";
    private static final Duration CA_VALIDITY = Duration.ofDays(3650);
    private static final Duration LEAF_VALIDITY = Duration.ofDays(825);

    private final Path dir;

    private PlatformCertificates(Path dir) {
        this.dir = dir;
    }

    /** The CA of {@code dir} (created when missing) and a certificate for each identity that has none yet. */
    public static PlatformCertificates issue(Path dir, Collection<String> identities, Collection<String> hostNames) {
        try {
            Files.createDirectories(dir);
            restrict(dir, "rwx------");
            // several JVMs (./platform, test launchers) may issue into one directory at once: one at a time
            try (var lock = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 var held = lock.lock()) {
                var certificates = new PlatformCertificates(dir);
                certificates.issueLocked(identities, hostNames);
                return certificates;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot issue the platform's certificates into " + dir, e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot issue the platform's certificates into " + dir, e);
        }
    }

    public Path dir() {
        return dir;
    }

    public Path caCertificate() {
        return dir.resolve(CA_CERT);
    }

    public Path certificate(String identity) {
        return dir.resolve(identity + ".crt");
    }

    public Path privateKey(String identity) {
        return dir.resolve(identity + ".key");
    }

    private void issueLocked(Collection<String> identities, Collection<String> hostNames)
            throws IOException, GeneralSecurityException, OperatorCreationException {
        if (!Files.isRegularFile(caCertificate()) || !Files.isRegularFile(dir.resolve(CA_KEY))) {
            KeyPair ca = newKeyPair();
            X500Name name = name("llm-platform local CA");
            var builder = new JcaX509v3CertificateBuilder(name, serial(), Date.from(Instant.now().minus(Duration.ofMinutes(5))),
                    Date.from(Instant.now().plus(CA_VALIDITY)), name, ca.getPublic());
            var extensions = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            builder.addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(ca.getPublic()));
            writeKey(dir.resolve(CA_KEY), ca.getPrivate());
            writeCertificate(caCertificate(), certificate(builder.build(signer(ca.getPrivate()))));
            // a new CA makes every older leaf worthless
            for (String identity : identities) {
                Files.deleteIfExists(certificate(identity));
            }
        }
        X509Certificate caCert = PemFiles.certificates(caCertificate()).getFirst();
        PrivateKey caKey = readKey(dir.resolve(CA_KEY));
        for (String identity : identities) {
            if (Files.isRegularFile(certificate(identity)) && Files.isRegularFile(privateKey(identity))) {
                continue;
            }
            KeyPair leaf = newKeyPair();
            var builder = new JcaX509v3CertificateBuilder(caCert, serial(), Date.from(Instant.now().minus(Duration.ofMinutes(5))),
                    Date.from(Instant.now().plus(LEAF_VALIDITY)), name(identity), leaf.getPublic());
            var extensions = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
            builder.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            builder.addExtension(Extension.subjectAlternativeName, false, alternativeNames(identity, hostNames));
            builder.addExtension(Extension.authorityKeyIdentifier, false, extensions.createAuthorityKeyIdentifier(caCert));
            writeKey(privateKey(identity), leaf.getPrivate());
            writeCertificate(certificate(identity), certificate(builder.build(signer(caKey))));
        }
    }

    private static GeneralNames alternativeNames(String identity, Collection<String> hostNames) {
        List<GeneralName> names = new ArrayList<>();
        names.add(new GeneralName(GeneralName.dNSName, identity));
        names.add(new GeneralName(GeneralName.dNSName, "localhost"));
        names.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
        names.add(new GeneralName(GeneralName.iPAddress, "::1"));
        for (String host : hostNames) {
            names.add(new GeneralName(host.chars().allMatch(c -> Character.isDigit(c) || c == '.' || c == ':')
                    ? GeneralName.iPAddress : GeneralName.dNSName, host));
        }
        return new GeneralNames(names.toArray(GeneralName[]::new));
    }

    private static X500Name name(String commonName) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, ORGANISATION).addRDN(BCStyle.CN, commonName).build();
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        var generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(127, new SecureRandom());
    }

    private static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
        return new JcaContentSignerBuilder("SHA256withECDSA").build(key);
    }

    private static X509Certificate certificate(X509CertificateHolder holder) throws GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(holder);
    }

    private static void writeCertificate(Path file, X509Certificate certificate) throws IOException {
        Files.writeString(file, pem(certificate));
    }

    /** PKCS#8 ("PRIVATE KEY"), which Spring Boot's PEM bundles, grpc-java and Netty all read. */
    private static void writeKey(Path file, PrivateKey key) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file);
        restrict(file, "rw-------");
        Files.writeString(file, pem(new org.bouncycastle.util.io.pem.PemObject("PRIVATE KEY", key.getEncoded())));
    }

    private static PrivateKey readKey(Path file) {
        return PemFiles.privateKey(file);
    }

    private static String pem(Object object) throws IOException {
        var text = new StringWriter();
        try (var writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        }
        return text.toString();
    }

    private static void restrict(Path path, String permissions) throws IOException {
        if (Files.getFileAttributeView(path, java.nio.file.attribute.PosixFileAttributeView.class) != null) {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
        }
    }
}
