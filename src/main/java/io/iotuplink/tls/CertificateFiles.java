package io.iotuplink.tls;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

/**
 * Watches the three PEM files for a renewed set (a new certificate from AWS IoT, a Kubernetes Secret update):
 * a complete, valid set is handed on for the next connection; a broken one is refused with a clear error and
 * the set in use is kept.
 */
public final class CertificateFiles {

    private static final Logger LOG = LoggerFactory.getLogger(CertificateFiles.class);

    private final Path cert;
    private final Path key;
    private final Path ca;
    private final Consumer<PemTlsContext> renewed;
    private String fingerprint;
    private String refusedFingerprint;

    public CertificateFiles(Path cert, Path key, Path ca, Consumer<PemTlsContext> renewed) {
        this.cert = cert;
        this.key = key;
        this.ca = ca;
        this.renewed = renewed;
        this.fingerprint = fingerprint();
    }

    /** Looks at the files once; called by the {@code uplink-certificates} timer route. */
    public synchronized void check() {
        String now = fingerprint();
        if (now.equals(fingerprint) || now.equals(refusedFingerprint)) {
            return;
        }
        PemFiles.Loaded pem = PemFiles.load(cert, key, ca);
        if (!pem.problems().isEmpty()) {
            refusedFingerprint = now;
            LOG.error("The changed certificate files are refused, the ones in use are kept: {}",
                    String.join("; ", pem.problems()));
            return;
        }
        fingerprint = now;
        refusedFingerprint = null;
        renewed.accept(PemTlsContext.create(pem));
        LOG.info("New certificate {} (valid until {}) will be used from the next connection",
                pem.chain().get(0).getSubjectX500Principal().getName(), pem.chain().get(0).getNotAfter().toInstant());
    }

    /** A digest of the three files' bytes (never logged: it would say nothing useful and the key is in it). */
    private String fingerprint() {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (Path file : List.of(cert, key, ca)) {
                try {
                    digest.update(Files.readAllBytes(file));
                } catch (IOException e) {
                    digest.update(("missing:" + file).getBytes());
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
