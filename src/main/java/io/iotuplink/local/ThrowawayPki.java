package io.iotuplink.local;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * A certificate authority made on the spot (BouncyCastle), issuing server and device certificates shaped like the
 * ones AWS IoT hands out. For {@code --local} and for tests; nothing it makes is ever trusted elsewhere.
 */
public final class ThrowawayPki {

    /** The key algorithm of an issued certificate. */
    public enum KeyType { RSA, EC }

    private final KeyPair caKeys;
    private final X509Certificate caCertificate;
    private final SecureRandom random = new SecureRandom();

    private ThrowawayPki(KeyPair caKeys, X509Certificate caCertificate) {
        this.caKeys = caKeys;
        this.caCertificate = caCertificate;
    }

    /** A new CA named {@code CN=name}, valid for ten years. */
    public static ThrowawayPki create(String name) {
        KeyPair keys = generate(KeyType.RSA);
        X509Certificate ca = sign(new X500Name("CN=" + name), keys, new X500Name("CN=" + name), keys,
                Duration.ofDays(3650), Instant.now().minus(Duration.ofMinutes(5)), true, false, null);
        return new ThrowawayPki(keys, ca);
    }

    public X509Certificate caCertificate() {
        return caCertificate;
    }

    /** A TLS server certificate for {@code localhost} and {@code 127.0.0.1}. */
    public Issued issueServer(String commonName) {
        KeyPair keys = generate(KeyType.RSA);
        GeneralNames names = new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.dNSName, "localhost"),
            new GeneralName(GeneralName.iPAddress, "127.0.0.1")});
        return new Issued(sign(new X500Name("CN=" + commonName), keys, subject(), caKeys, Duration.ofDays(825),
                Instant.now().minus(Duration.ofMinutes(5)), false, true, names), keys);
    }

    /** A device (TLS client) certificate, like the one AWS IoT creates for a thing. */
    public Issued issueDevice(String commonName, KeyType type) {
        return issueDevice(commonName, type, Instant.now().minus(Duration.ofMinutes(5)), Duration.ofDays(825));
    }

    /** A device certificate valid from {@code notBefore} for {@code validity} (to make expired ones in tests). */
    public Issued issueDevice(String commonName, KeyType type, Instant notBefore, Duration validity) {
        KeyPair keys = generate(type);
        return new Issued(sign(new X500Name("CN=" + commonName), keys, subject(), caKeys, validity, notBefore,
                false, false, null), keys);
    }

    /** Writes the CA certificate as PEM. */
    public void writeCa(Path file) {
        writePem(file, caCertificate, false);
    }

    private X500Name subject() {
        return X500Name.getInstance(caCertificate.getSubjectX500Principal().getEncoded());
    }

    /** An issued certificate with its key pair, writable in the PEM forms AWS uses. */
    public record Issued(X509Certificate certificate, KeyPair keys) {

        public void writeCertificate(Path file) {
            writePem(file, certificate, false);
        }

        /** PKCS#1 (PEM type {@code RSA PRIVATE KEY}, as the AWS console downloads) or SEC1 ({@code EC PRIVATE KEY}). */
        public void writeTraditionalKey(Path file) {
            writePem(file, withCurveParameters(keys.getPrivate()), true);
        }

        /** PKCS#8 (PEM type {@code PRIVATE KEY}). */
        public void writePkcs8Key(Path file) {
            try {
                writePem(file, new JcaPKCS8Generator(keys.getPrivate(), null).generate(), true);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** A PKCS#12 key store holding this certificate and key (and the chain up to {@code ca}). */
        public void writePkcs12(Path file, X509Certificate ca, char[] password) {
            try {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                store.setKeyEntry("server", keys.getPrivate(), password,
                        new java.security.cert.Certificate[] {certificate, ca});
                writeStore(file, store, password);
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException("cannot write the key store " + file, e);
            }
        }
    }

    /** A PKCS#12 trust store holding the CA certificate. */
    public void writeTrustStore(Path file, char[] password) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("ca", caCertificate);
            writeStore(file, store, password);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot write the trust store " + file, e);
        }
    }

    /**
     * The JDK encodes an EC key's curve only outside the SEC1 structure, so its "EC PRIVATE KEY" would lack it;
     * re-encoding through BouncyCastle keeps it inside, as openssl (and AWS) write it.
     */
    private static PrivateKey withCurveParameters(PrivateKey key) {
        if (!key.getAlgorithm().equals("EC")) {
            return key;
        }
        try {
            return KeyFactory.getInstance("EC", new BouncyCastleProvider())
                    .generatePrivate(new PKCS8EncodedKeySpec(key.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot re-encode the EC key", e);
        }
    }

    private static void writeStore(Path file, KeyStore store, char[] password)
            throws IOException, GeneralSecurityException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (var out = Files.newOutputStream(file)) {
            store.store(out, password);
        }
        restrict(file);
    }

    private static void writePem(Path file, Object object, boolean secret) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (Writer writer = Files.newBufferedWriter(file, StandardCharsets.US_ASCII);
                 JcaPEMWriter pem = new JcaPEMWriter(writer)) {
                pem.writeObject(object);
            }
            if (secret) {
                restrict(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static void restrict(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the directory's protection applies
        }
    }

    private static KeyPair generate(KeyType type) {
        try {
            if (type == KeyType.EC) {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
                generator.initialize(new ECGenParameterSpec("secp256r1"));
                return generator.generateKeyPair();
            }
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate a " + type + " key pair", e);
        }
    }

    private static X509Certificate sign(X500Name subject, KeyPair subjectKeys, X500Name issuer, KeyPair issuerKeys,
            Duration validity, Instant notBefore, boolean ca, boolean server, GeneralNames altNames) {
        try {
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
                    new BigInteger(64, new SecureRandom()).abs().add(BigInteger.ONE),
                    Date.from(notBefore), Date.from(notBefore.plus(validity)), subject, subjectKeys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            if (ca) {
                builder.addExtension(Extension.keyUsage, true,
                        new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
            } else {
                builder.addExtension(Extension.keyUsage, true,
                        new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
                builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                        server ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth));
            }
            if (altNames != null) {
                builder.addExtension(Extension.subjectAlternativeName, false, altNames);
            }
            String algorithm = issuerKeys.getPrivate().getAlgorithm().equals("EC") ? "SHA256withECDSA"
                    : "SHA256withRSA";
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(algorithm).build(issuerKeys.getPrivate())));
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot sign a certificate for " + subject, e);
        }
    }
}
