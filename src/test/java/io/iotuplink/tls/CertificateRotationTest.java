package io.iotuplink.tls;

import io.iotuplink.local.ReceivedConnect;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A renewed certificate written over the old files is used from the next connection, without a restart. */
class CertificateRotationTest {

    @TempDir
    Path dir;

    @Test
    void newFilesAreUsedAfterAReconnectAndABrokenSetIsRefused() throws Exception {
        try (TestBroker broker = TestBroker.start(dir.resolve("broker"))) {
            TestBroker.DeviceFiles first = broker.device("bombercat-rotation-1", TestBroker.KeyForm.PKCS1);
            TestBroker.DeviceFiles renewed = broker.device("bombercat-rotation-2", TestBroker.KeyForm.PKCS1);
            Path cert = Files.copy(first.certificate(), dir.resolve("device.pem.crt"));
            Path key = Files.copy(first.key(), dir.resolve("private.pem.key"));
            Map<String, String> p = RunningBundle.properties(broker,
                    new TestBroker.DeviceFiles(cert, key, first.ca()), dir.resolve("data"));
            p.put("aws.iot.client-id", "bombercat-rotation");
            p.put("uplink.tls.check-interval", "200ms");

            try (RunningBundle bundle = RunningBundle.start(p).awaitConnected()) {
                assertEquals("CN=bombercat-rotation-1", lastSubject(broker));

                Files.copy(renewed.certificate(), cert, StandardCopyOption.REPLACE_EXISTING);
                Files.copy(renewed.key(), key, StandardCopyOption.REPLACE_EXISTING);
                awaitCertificateCheck(bundle);
                assertEquals(202, bundle.http("POST", "/connection/reconnect", null, null).statusCode());
                RunningBundle.await(() -> "CN=bombercat-rotation-2".equals(lastSubject(broker)),
                        Duration.ofSeconds(20), "a connection with the renewed certificate");
                bundle.awaitConnected();

                Files.writeString(key, "-----BEGIN RSA PRIVATE KEY-----\nbroken\n-----END RSA PRIVATE KEY-----\n");
                awaitCertificateCheck(bundle);
                int connects = broker.connects().size();
                bundle.http("POST", "/connection/reconnect", null, null);
                RunningBundle.await(() -> broker.connects().size() > connects, Duration.ofSeconds(20),
                        "a new connection");
                assertEquals("CN=bombercat-rotation-2", lastSubject(broker), "the broken set was refused");
                bundle.awaitConnected();
                assertTrue(bundle.connection().isConnected());
            }
        }
    }

    private static String lastSubject(TestBroker broker) {
        List<ReceivedConnect> connects = broker.connects();
        return connects.isEmpty() ? null : connects.get(connects.size() - 1).certificateSubject();
    }

    /** Waits until the certificate check has looked at the files as they are now. */
    private static void awaitCertificateCheck(RunningBundle bundle) {
        // two runs: one may have been under way with the old files
        NotifyBuilder check = new NotifyBuilder(bundle.context()).fromRoute("uplink-certificates").whenDone(2)
                .create();
        assertTrue(check.matches(10, TimeUnit.SECONDS), "the uplink-certificates route did not run");
    }
}
