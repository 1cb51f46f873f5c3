package io.iotuplink.local;

import io.iotuplink.config.FileMode;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;

/**
 * The throwaway PKI of {@code --local}: a CA, the broker's key store, a device certificate and PKCS#1 key named as
 * AWS names them, and a second identity, {@code operator}, to send commands with; kept under the data dir and
 * reused on the next start.
 */
public record LocalPki(Path dir) {

    /** The common name of the command sender's certificate. */
    public static final String OPERATOR = "operator";

    public Path caCertificate() {
        return dir.resolve("ca.pem");
    }

    public Path deviceCertificate() {
        return dir.resolve("device.pem.crt");
    }

    public Path deviceKey() {
        return dir.resolve("private.pem.key");
    }

    public Path operatorCertificate() {
        return dir.resolve("operator.pem.crt");
    }

    public Path operatorKey() {
        return dir.resolve("operator.pem.key");
    }

    public Path brokerKeyStore() {
        return dir.resolve("broker-keystore.p12");
    }

    public Path brokerTrustStore() {
        return dir.resolve("broker-truststore.p12");
    }

    private Path passwordFile() {
        return dir.resolve("broker-store.password");
    }

    /**
     * Creates the files unless all of them are already there; the CA's key is never kept, so a set with one missing
     * (the operator's, from before there was one) is made again as a whole, with a new CA.
     */
    public LocalPki ensure(String deviceName) {
        List<Path> files = List.of(caCertificate(), deviceCertificate(), deviceKey(), operatorCertificate(),
                operatorKey(), brokerKeyStore(), brokerTrustStore(), passwordFile());
        if (files.stream().allMatch(Files::isRegularFile)) {
            return this;
        }
        try {
            FileMode.PRIVATE.directory(dir);
            String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
            Files.writeString(passwordFile(), password, StandardCharsets.US_ASCII);
            ThrowawayPki pki = ThrowawayPki.create("iot-uplink local CA");
            pki.writeCa(caCertificate());
            pki.writeTrustStore(brokerTrustStore(), password.toCharArray());
            pki.issueServer("localhost").writePkcs12(brokerKeyStore(), pki.caCertificate(), password.toCharArray());
            ThrowawayPki.Issued device = pki.issueDevice(deviceName, ThrowawayPki.KeyType.RSA);
            device.writeCertificate(deviceCertificate());
            device.writeTraditionalKey(deviceKey());
            ThrowawayPki.Issued operator = pki.issueDevice(OPERATOR, ThrowawayPki.KeyType.RSA);
            operator.writeCertificate(operatorCertificate());
            operator.writeTraditionalKey(operatorKey());
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the local PKI in " + dir, e);
        }
    }

    /** The common name of the device certificate, as issued (an older one may name an earlier client id). */
    public String deviceName() {
        try (var in = Files.newInputStream(deviceCertificate())) {
            return commonName((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + deviceCertificate(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(deviceCertificate() + ": not a PEM certificate", e);
        }
    }

    /** The CN of a certificate's subject, or "" when it has none. */
    public static String commonName(X509Certificate certificate) {
        RDN[] names = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()).getRDNs(BCStyle.CN);
        return names.length == 0 ? "" : IETFUtils.valueToString(names[0].getFirst().getValue());
    }

    /** The password of the broker's key and trust stores. */
    public String storePassword() {
        try {
            return Files.readString(passwordFile(), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + passwordFile(), e);
        }
    }
}
