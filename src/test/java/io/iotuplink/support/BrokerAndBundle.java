package io.iotuplink.support;

import io.iotuplink.connection.ConnectionState;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A JUnit extension that starts a {@link TestBroker} and a connected {@link RunningBundle} for a whole test class,
 * and stops both after it: {@code @RegisterExtension static BrokerAndBundle uplink = new BrokerAndBundle();}.
 */
public final class BrokerAndBundle implements BeforeAllCallback, AfterAllCallback {

    /** The client id of the bundle's device. */
    public static final String CLIENT_ID = "bombercat-test-001";

    private final Function<Path, TestBroker> startBroker;
    private final Consumer<Map<String, String>> tuning;
    private Path dir;
    private TestBroker broker;
    private RunningBundle bundle;

    public BrokerAndBundle() {
        this(properties -> { });
    }

    /** With properties changed from {@link RunningBundle#properties}' defaults before the bundle starts. */
    public BrokerAndBundle(Consumer<Map<String, String>> tuning) {
        this(TestBroker::start, tuning);
    }

    /** With a broker of its own kind ({@code TestBroker::start} for the usual one), started in the given dir. */
    public BrokerAndBundle(Function<Path, TestBroker> startBroker, Consumer<Map<String, String>> tuning) {
        this.startBroker = startBroker;
        this.tuning = tuning;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory("iot-uplink-test");
        broker = startBroker.apply(dir.resolve("broker"));
        Map<String, String> properties = RunningBundle.properties(broker,
                broker.device(CLIENT_ID, TestBroker.KeyForm.PKCS1), dir.resolve("data"));
        tuning.accept(properties);
        bundle = RunningBundle.start(properties).awaitConnected();
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        try {
            if (bundle != null) {
                bundle.close();
            }
        } finally {
            if (broker != null) {
                broker.close();
            }
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    public TestBroker broker() {
        return broker;
    }

    public RunningBundle bundle() {
        return bundle;
    }

    /** The bundle's data dir (dead letters live below it). */
    public Path dataDir() {
        return dir.resolve("data");
    }

    /**
     * Builds a backlog: the connection cut (reconnect off), {@code readings} records of {@code record} POSTed to
     * /telemetry in requests of {@code perRequest}, all accepted, then the connection back.
     */
    public void backlogBehindACut(int readings, int perRequest, java.util.function.IntFunction<String> record) {
        RunningBundle bundle = bundle();
        assertEquals(200, bundle.http("POST", "/connection", "application/json", "{\"reconnect\": false}")
                .statusCode());
        broker().cutOff(CLIENT_ID);
        RunningBundle.await(() -> bundle.connection().state() == ConnectionState.DISCONNECTED,
                Duration.ofSeconds(20), "the connection cut");
        for (int from = 0; from < readings; from += perRequest) {
            String body = IntStream.range(from, from + perRequest).mapToObj(record)
                    .collect(Collectors.joining(",", "[", "]"));
            HttpResponse<String> accepted = bundle.http("POST", "/telemetry", "application/json", body);
            assertEquals(202, accepted.statusCode(), accepted.body());
        }
        assertEquals(200, bundle.http("POST", "/connection", "application/json", "{\"reconnect\": true}")
                .statusCode());
        bundle.awaitConnected();
    }
}
