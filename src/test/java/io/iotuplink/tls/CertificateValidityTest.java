package io.iotuplink.tls;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.iotuplink.local.ThrowawayPki;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.SimulatedClock;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A device certificate the gateway's clock says is not valid is a clock to set: warned about, never fatal. */
class CertificateValidityTest {

    private static final String SETTING = "AWS_IOT_CERT_PATH=/certs/device.pem.crt";
    private static final Instant ISSUED = Instant.parse("2025-06-01T00:00:00Z");

    @TempDir
    static Path dir;
    static ThrowawayPki pki;
    static X509Certificate certificate;

    @BeforeAll
    static void pki() {
        pki = ThrowawayPki.create("clock test CA");
        certificate = pki.issueDevice("bombercat-1", ThrowawayPki.KeyType.EC, ISSUED, Duration.ofDays(365))
                .certificate();
    }

    @Test
    void aClockBeforeTheCertificateNamesTheClockTheValidityAndNtp() {
        String problem = CertificateValidity.problem(certificate, Instant.parse("2000-01-01T00:00:00Z"), SETTING)
                .orElseThrow();

        assertEquals("the gateway's clock says 2000-01-01T00:00:00Z, but the certificate in " + SETTING
                + " is valid from 2025-06-01T00:00:00Z until 2026-06-01T00:00:00Z: is NTP running? (readings are"
                + " kept; the bundle connects once the clock is right)", problem);
    }

    @Test
    void aClockAfterTheCertificateSaysItMayHaveExpiredOrTheClockBeWrong() {
        String problem = CertificateValidity.problem(certificate, Instant.parse("2030-01-01T00:00:00Z"), SETTING)
                .orElseThrow();

        assertTrue(problem.contains("is NTP running? If the clock is right, the certificate has expired"), problem);
        assertTrue(CertificateValidity.problem(certificate, ISSUED.plusSeconds(60), SETTING).isEmpty());
    }

    @Test
    void theWarningComesAtMostOnceAMinuteOfMonotonicTimeWhateverTheWallClockDoes() {
        SimulatedClock wall = new SimulatedClock(Instant.parse("2000-01-01T00:00:00Z"));
        AtomicLong nanos = new AtomicLong();
        CertificateValidity validity = new CertificateValidity(certificate, SETTING, wall, nanos::get);
        ListAppender<ILoggingEvent> logged = capture();
        try {
            for (int second = 0; second < 150; second++) {
                assertTrue(validity.check().isPresent());
                nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
                // the wall clock jumps about meanwhile: only monotonic time spaces the warnings
                wall.advance(Duration.ofDays(second % 2 == 0 ? 1 : -1));
            }
            List<String> warnings = warnings(logged);
            assertEquals(3, warnings.size(), warnings.toString());
            assertTrue(warnings.get(1).contains("(59 more times since the last warning)"), warnings.get(1));

            wall.advance(Duration.ofDays(365 * 26));
            assertTrue(validity.check().isEmpty(), "the clock is right: no problem");
            assertEquals(3, warnings(logged).size());
        } finally {
            release(logged);
        }
    }

    @Test
    void aBundleWhoseCertificateIsNotYetValidStartsAcceptsReadingsAndSaysWhyItIsNotConnected() {
        ThrowawayPki.Issued tomorrow = pki.issueDevice("bombercat-1", ThrowawayPki.KeyType.RSA,
                Instant.now().plus(Duration.ofDays(1)), Duration.ofDays(365));
        tomorrow.writeCertificate(dir.resolve("device.pem.crt"));
        tomorrow.writeTraditionalKey(dir.resolve("device.pem.key"));
        pki.writeCa(dir.resolve("ca.pem"));
        TestBroker.DeviceFiles device = new TestBroker.DeviceFiles(dir.resolve("device.pem.crt"),
                dir.resolve("device.pem.key"), dir.resolve("ca.pem"));
        Map<String, String> properties = RunningBundle.properties("localhost:" + TestBroker.freePort(), device,
                dir.resolve("data"));

        try (RunningBundle bundle = RunningBundle.start(properties)) {
            assertEquals(202, bundle.http("POST", "/telemetry", "application/json", "{\"t\": 1}").statusCode());
            RunningBundle.await(() -> bundle.status().get("connection_reason").asText().contains("is NTP running?"),
                    Duration.ofSeconds(10), "the connection's reason naming the clock");
            JsonNode status = bundle.status();
            assertFalse(status.get("connected").asBoolean());
            assertEquals(1, status.get("buffered").asInt(), status.toString());
            HttpResponse<String> ready = bundle.http("GET", "/observe/health/ready", null, null);
            assertEquals(503, ready.statusCode(), ready.body());
            assertTrue(ready.body().contains("is NTP running?"), ready.body());
        }
    }

    private static ListAppender<ILoggingEvent> capture() {
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        ((Logger) LoggerFactory.getLogger(CertificateValidity.class)).addAppender(logged);
        return logged;
    }

    private static void release(ListAppender<ILoggingEvent> logged) {
        ((Logger) LoggerFactory.getLogger(CertificateValidity.class)).detachAppender(logged);
    }

    private static List<String> warnings(ListAppender<ILoggingEvent> logged) {
        synchronized (logged) {
            return List.copyOf(logged.list).stream().filter(e -> e.getLevel() == Level.WARN)
                    .map(ILoggingEvent::getFormattedMessage).toList();
        }
    }
}
