package io.iotuplink.support;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * One embedded broker for a whole test class (a JVM holds one HiveMQ at a time, and starting one costs seconds):
 * started in a directory of its own before the class's first test, stopped and removed after its last. Each test
 * uses a client id of its own. {@code @RegisterExtension static final SharedBroker shared = new SharedBroker();}
 */
public final class SharedBroker implements BeforeAllCallback, AfterAllCallback {

    private Path dir;
    private TestBroker broker;

    /** The class's broker, between its first test and its last. */
    public TestBroker broker() {
        return broker;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory("shared-broker");
        broker = TestBroker.start(dir);
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        if (broker != null) {
            broker.close();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        }
    }
}
