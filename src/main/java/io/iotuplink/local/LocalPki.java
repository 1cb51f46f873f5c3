package io.iotuplink.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

/**
 * The throwaway PKI of {@code --local}: a CA, the broker's key store and a device certificate and PKCS#1 key named
 * as AWS names them, kept under the data dir and reused on the next start.
 */
public record LocalPki(Path dir) {

    public Path caCertificate() {
        return dir.resolve("ca.pem");
    }

    public Path deviceCertificate() {
        return dir.resolve("device.pem.crt");
    }

    public Path deviceKey() {
        return dir.resolve("private.pem.key");
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

    /** Creates the files unless all of them are already there. */
    public LocalPki ensure(String deviceName) {
        List<Path> files = List.of(caCertificate(), deviceCertificate(), deviceKey(), brokerKeyStore(),
                brokerTrustStore(), passwordFile());
        if (files.stream().allMatch(Files::isRegularFile)) {
            return this;
        }
        try {
            Files.createDirectories(dir);
            try {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system
            }
            String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
            Files.writeString(passwordFile(), password, StandardCharsets.US_ASCII);
            ThrowawayPki pki = ThrowawayPki.create("iot-uplink local CA");
            pki.writeCa(caCertificate());
            pki.writeTrustStore(brokerTrustStore(), password.toCharArray());
            pki.issueServer("localhost").writePkcs12(brokerKeyStore(), pki.caCertificate(), password.toCharArray());
            ThrowawayPki.Issued device = pki.issueDevice(deviceName, ThrowawayPki.KeyType.RSA);
            device.writeCertificate(deviceCertificate());
            device.writeTraditionalKey(deviceKey());
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the local PKI in " + dir, e);
        }
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
