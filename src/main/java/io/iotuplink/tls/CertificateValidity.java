package io.iotuplink.tls;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Whether the device certificate is valid at the gateway's wall-clock time. A certificate outside its validity is
 * most often a clock not yet set (no battery-backed clock, NTP not synced): it is a warning, at most once a minute,
 * never a reason to stop, since the bundle connects as soon as the clock is right.
 */
public final class CertificateValidity {

    private static final Logger LOG = LoggerFactory.getLogger(CertificateValidity.class);
    static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final String setting;
    private final Clock clock;
    private final LongSupplier nanos;
    private volatile X509Certificate certificate;
    // guarded by this
    private boolean warned;
    private long lastWarnNanos;
    private long unsaid;

    /**
     * @param setting {@code AWS_IOT_CERT_PATH=...}, named in the warning
     * @param clock   the wall clock the certificate is judged by
     * @param nanos   monotonic time, for spacing the warnings
     */
    public CertificateValidity(X509Certificate certificate, String setting, Clock clock, LongSupplier nanos) {
        this.certificate = certificate;
        this.setting = setting;
        this.clock = clock;
        this.nanos = nanos;
    }

    /** The certificate the next CONNECT presents (a renewed one). */
    public void use(X509Certificate renewed) {
        this.certificate = renewed;
    }

    /**
     * What is wrong with the clock or the certificate now, or empty when the certificate is valid; a problem is
     * logged (WARN) the first time and then at most once a minute, with how often it was seen meanwhile.
     */
    public Optional<String> check() {
        Optional<String> problem = problem(certificate, clock.instant(), setting);
        problem.ifPresent(this::warn);
        return problem;
    }

    /** The words for a certificate that {@code now} is outside of, or empty while it is valid. */
    public static Optional<String> problem(X509Certificate certificate, Instant now, String setting) {
        if (certificate == null) {
            return Optional.empty();
        }
        Instant from = certificate.getNotBefore().toInstant();
        Instant until = certificate.getNotAfter().toInstant();
        String clockSays = "the gateway's clock says " + now + ", but the certificate in " + setting + " is valid from "
                + from + " until " + until;
        if (now.isBefore(from)) {
            return Optional.of(clockSays + ": is NTP running? (readings are kept; the bundle connects once the clock"
                    + " is right)");
        }
        if (now.isAfter(until)) {
            return Optional.of(clockSays + ": is NTP running? If the clock is right, the certificate has expired:"
                    + " create a new one in the AWS IoT console (readings are kept meanwhile)");
        }
        return Optional.empty();
    }

    private synchronized void warn(String problem) {
        long now = nanos.getAsLong();
        if (warned && now - lastWarnNanos < WARN_EVERY_NANOS) {
            unsaid++;
            return;
        }
        if (unsaid > 0) {
            LOG.warn("Device certificate outside its validity ({} more times since the last warning): {}", unsaid,
                    problem);
        } else {
            LOG.warn("Device certificate outside its validity: {}", problem);
        }
        warned = true;
        lastWarnNanos = now;
        unsaid = 0;
    }
}
