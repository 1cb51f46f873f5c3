package io.iotuplink;

import io.iotuplink.extension.BuiltInRoutes;
import io.iotuplink.logging.LogSetup;
import org.apache.camel.main.Main;
import sun.misc.Signal;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code java -jar iot-uplink.jar} entry point: camel-main with the bundle's routes. {@code --local} runs
 * against an embedded broker with throwaway certificates. Exit code 2 means the configuration is wrong.
 */
public final class Application {

    /** Exit code for a configuration that cannot work. */
    public static final int EXIT_CONFIGURATION = 2;

    private Application() {
    }

    public static void main(String[] args) {
        LogSetup.apply(System.getenv());
        int exitCode = run(args);
        if (exitCode == EXIT_CONFIGURATION) {
            // Camel never started, so there is nothing for shutdown hooks to do but to log a misleading "SIGTERM"
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(exitCode);
        }
        System.exit(exitCode);
    }

    /** Runs until stopped and returns the process exit code. */
    public static int run(String[] args) {
        boolean local = false;
        List<String> camelArgs = new ArrayList<>();
        for (String arg : args) {
            switch (arg) {
                case "--local" -> local = true;
                case "--help", "-h" -> {
                    System.out.println(usage());
                    return 0;
                }
                default -> camelArgs.add(arg);
            }
        }
        UplinkBundle bundle = new UplinkBundle(local);
        Main main = new Main();
        main.configure().addRoutesBuilder(bundle);
        BuiltInRoutes.locations(Application.class.getClassLoader())
                .ifPresent(routes -> main.addInitialProperty(BuiltInRoutes.PROPERTY, routes));
        stopGracefullyOn(main, "TERM");
        stopGracefullyOn(main, "INT");
        int exitCode;
        ConfigurationException failure = null;
        try {
            exitCode = main.run(camelArgs.toArray(new String[0]));
        } catch (Exception e) {
            exitCode = 1;
            failure = bundle.configurationFailure();
            if (failure == null) {
                failure = configurationCause(e);
            }
            if (failure == null) {
                failure = bundle.startProblem(e).map(ConfigurationException::new).orElse(null);
            }
            if (failure == null) {
                System.err.println("iot-uplink failed to start: " + e.getMessage());
            }
        }
        if (failure == null) {
            failure = bundle.configurationFailure();
        }
        if (failure != null) {
            System.err.println("iot-uplink cannot start: the configuration has "
                    + (failure.problems().size() == 1 ? "a problem" : failure.problems().size() + " problems") + ":");
            failure.problems().forEach(p -> System.err.println("  " + p));
            return EXIT_CONFIGURATION;
        }
        return exitCode;
    }

    /** The configuration problem behind a start failure, however deep Camel wrapped it, or null. */
    private static ConfigurationException configurationCause(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConfigurationException configuration) {
                return configuration;
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return null;
    }

    /**
     * A signal ends {@code main.run()} like a normal completion (routes drained, MQTT disconnected), so the process
     * exits 0; the JVM's default handler would run the shutdown hooks and exit 143.
     */
    private static void stopGracefullyOn(Main main, String signal) {
        try {
            Signal.handle(new Signal(signal), s -> main.completed());
        } catch (IllegalArgumentException e) {
            // the signal is not available on this platform; camel-main's shutdown hook still stops the routes
        }
    }

    private static String usage() {
        return """
                Usage: java -jar iot-uplink.jar [--local]

                Publishes device telemetry and events to AWS IoT Core over MQTT 5 with mutual TLS.
                Configure it with environment variables (AWS_IOT_ENDPOINT, AWS_IOT_CERT_PATH, AWS_IOT_KEY_PATH,
                AWS_IOT_CA_PATH, AWS_IOT_CLIENT_ID, ...) or application.properties; see the README.

                  --local   start an embedded MQTT 5 broker with throwaway certificates and publish to it
                            (no AWS account needed)
                """;
    }
}
