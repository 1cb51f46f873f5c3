package io.iotuplink.datadir;

import io.iotuplink.support.BundleProcess;
import io.iotuplink.support.LockHolder;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lock between processes: a bundle and an operator's command refused while another process holds the data dir,
 * and a holder killed with SIGKILL leaving nothing stale.
 */
class DataDirLockProcessTest {

    @TempDir
    Path dir;

    @Test
    void aSecondBundleAndACommandExitTwoNamingTheHolderWhoseKillFreesTheDataDir() throws Exception {
        Path data = dir.resolve("data");
        Map<String, String> env = new HashMap<>();
        env.put("AWS_IOT_ENDPOINT", "localhost:" + TestBroker.freePort());
        env.put("AWS_IOT_CLIENT_ID", "bombercat-001");
        env.put("AWS_IOT_CERT_PATH", dir.resolve("device.pem.crt").toString());
        env.put("AWS_IOT_KEY_PATH", dir.resolve("private.pem.key").toString());
        env.put("AWS_IOT_CA_PATH", dir.resolve("ca.pem").toString());
        env.put("UPLINK_DATA_DIR", data.toString());
        env.put("UPLINK_INBOX", dir.resolve("inbox").toString());
        env.put("CAMEL_SERVER_PORT", String.valueOf(TestBroker.freePort()));
        try (BundleProcess holder = BundleProcess.startMain(dir, Map.of(), BundleProcess.SHORT_LIVED_JVM,
                LockHolder.class.getName(), data.toString())) {
            holder.awaitOutput(LockHolder.LOCKED, Duration.ofSeconds(20));
            String heldBy = ": in use by iot-uplink PID " + holder.pid() + " (lock holder, started ";

            try (BundleProcess second = BundleProcess.start(dir, env, BundleProcess.SHORT_LIVED_JVM)) {
                assertEquals(2, second.waitForExit(Duration.ofSeconds(30)), second.output());
                String output = second.output();
                assertTrue(output.contains("iot-uplink cannot start: UPLINK_DATA_DIR=" + data + heldBy), output);
                assertEquals(1, output.lines().filter(l -> l.contains("UPLINK_DATA_DIR")).count(), output);
                assertFalse(output.contains("Exception"), output);
                assertFalse(output.contains("outbox.db"), "refused before the outbox is opened: " + output);
            }
            try (BundleProcess command = BundleProcess.start(dir, env, BundleProcess.SHORT_LIVED_JVM, "outbox",
                    "drop", "--all", "--yes")) {
                assertEquals(2, command.waitForExit(Duration.ofSeconds(30)), command.output());
                assertEquals("iot-uplink outbox drop: UPLINK_DATA_DIR=" + data + heldBy,
                        command.output().substring(0, command.output().indexOf(" started ") + 9));
            }

            holder.kill();
            holder.waitForExit(Duration.ofSeconds(10));
        }
        try (DataDirLock mine = DataDirLock.take(data, "UPLINK_DATA_DIR=" + data, "test")) {
            assertEquals(data.toAbsolutePath().normalize(), mine.dir());
        }
    }
}
