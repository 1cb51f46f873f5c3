package io.iotuplink.local;

import io.iotuplink.ConfigurationException;
import io.iotuplink.config.ConfigReader;
import io.iotuplink.config.UplinkConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The throwaway PKI of {@code --local} on disk: made once, reused, completed when an older version made it. */
class LocalPkiTest {

    @TempDir
    Path dir;

    @Test
    void issuesTheDeviceAndTheOperatorFromOneCaWithPrivateKeys() throws Exception {
        LocalPki pki = new LocalPki(dir.resolve("local-pki")).ensure("bombercat-local");

        X509Certificate ca = certificate(pki.caCertificate());
        certificate(pki.deviceCertificate()).verify(ca.getPublicKey());
        certificate(pki.operatorCertificate()).verify(ca.getPublicKey());
        assertEquals("bombercat-local", pki.deviceName());
        assertEquals("operator", LocalPki.commonName(certificate(pki.operatorCertificate())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(pki.operatorKey())));
        assertTrue(Files.readString(pki.operatorKey()).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
    }

    @Test
    void aCompleteSetIsReusedAsItIs() throws Exception {
        LocalPki pki = new LocalPki(dir.resolve("local-pki")).ensure("bombercat-local");
        String ca = Files.readString(pki.caCertificate());

        pki.ensure("another-name");

        assertEquals(ca, Files.readString(pki.caCertificate()));
        assertEquals("bombercat-local", pki.deviceName(), "the device certificate keeps the name it was issued for");
    }

    @Test
    void aSetFromBeforeTheOperatorIsMadeAgainWithOne() throws Exception {
        LocalPki pki = new LocalPki(dir.resolve("local-pki")).ensure("bombercat-local");
        String oldCa = Files.readString(pki.caCertificate());
        Files.delete(pki.operatorCertificate());
        Files.delete(pki.operatorKey());

        pki.ensure("bombercat-local");

        assertNotEquals(oldCa, Files.readString(pki.caCertificate()), "a new CA: the old one's key was not kept");
        X509Certificate ca = certificate(pki.caCertificate());
        certificate(pki.deviceCertificate()).verify(ca.getPublicKey());
        certificate(pki.operatorCertificate()).verify(ca.getPublicKey());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(pki.operatorKey())));
    }

    @Test
    void aDeviceMayNotTakeTheOperatorsName() {
        Map<String, String> properties = Map.of("uplink.data-dir", dir.toString(), "device.id", "operator");
        UplinkConfig config = ConfigReader.read(key -> Optional.ofNullable(properties.get(key)), true).orThrow();

        ConfigurationException refused = assertThrows(ConfigurationException.class, () -> LocalBroker.prepare(config));

        assertEquals(List.of(dir.resolve("local-pki/device.pem.crt") + ": the device certificate is named 'operator',"
                + " the name --local gives the certificate that sends commands: set AWS_IOT_CLIENT_ID (or DEVICE_ID)"
                + " to another name and delete " + dir.resolve("local-pki") + " to issue a new device certificate"),
                refused.problems());
    }

    private static X509Certificate certificate(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }
}
