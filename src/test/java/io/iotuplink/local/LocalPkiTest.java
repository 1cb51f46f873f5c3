package io.iotuplink.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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

    private static X509Certificate certificate(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }
}
