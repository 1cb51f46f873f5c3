package io.iotuplink;

import ch.qos.logback.classic.Level;
import io.iotuplink.datadir.DataDirInUseException;
import io.iotuplink.extension.BuiltInRoutes;
import io.iotuplink.logging.LogSetup;
import io.iotuplink.tools.BundleProperties;
import io.iotuplink.tools.OperatorCommands;
import io.iotuplink.tools.Usage;
import org.apache.camel.main.Main;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The {@code java -jar iot-uplink.jar} entry point: camel-main with the bundle's routes, or one of the operator's
 * commands ({@code outbox ...}, {@code dead-letter ...}). {@code --local} runs against an embedded broker with
 * throwaway certificates. Exit code 2 means the command line or the configuration is wrong.
 */
public final class Application {

    /** Exit code for a configuration that cannot work. */
    public static final int EXIT_CONFIGURATION = 2;

    private Application() {
    }

    public static void main(String[] args) {
        LogSetup.apply(System.getenv());
        if (Arrays.stream(args).anyMatch(OperatorCommands::names)) {
            // an operator's command prints JSON on stdout, where the logs would go
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).setLevel(Level.OFF);
        }
        int exitCode = run(args);
        if (exitCode == EXIT_CONFIGURATION) {
            // Camel never started, so there is nothing for shutdown hooks to do but to log a misleading "SIGTERM"
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(exitCode);
        }
        System.exit(exitCode);
    }

    /** Runs until stopped (or runs an operator's command) and returns the process exit code. */
    public static int run(String[] args) {
        List<String> words = new ArrayList<>(List.of(args));
        // --local outbox status, like outbox status --local
        boolean local = words.remove("--local");
        if (!words.isEmpty() && OperatorCommands.names(words.get(0))) {
            if (local) {
                words.add("--local");
            }
            return operatorCommand(words);
        }
        for (String arg : args) {
            switch (arg) {
                case "--local" -> local = true;
                case "--help", "-h" -> {
                    System.out.println(Usage.text());
                    return 0;
                }
                case "--version" -> {
                    System.out.println(Usage.versions());
                    return 0;
                }
                default -> {
                    System.err.println("iot-uplink: unknown " + (arg.startsWith("-") ? "option " : "command ") + arg
                            + " (iot-uplink --help shows the commands)");
                    System.err.println(Usage.text());
                    return EXIT_CONFIGURATION;
                }
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
            exitCode = main.run(new String[0]);
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
        if (failure instanceof DataDirInUseException inUse) {
            System.err.println("iot-uplink cannot start: " + inUse.getMessage());
            return EXIT_CONFIGURATION;
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

    /** {@code outbox ...} and {@code dead-letter ...}, with the properties the bundle would read. */
    private static int operatorCommand(List<String> args) {
        Function<String, Optional<String>> properties;
        try {
            properties = BundleProperties.resolve();
        } catch (Exception e) {
            System.err.println("iot-uplink " + String.join(" ", args) + ": cannot read the configuration: "
                    + e.getMessage());
            return EXIT_CONFIGURATION;
        }
        return OperatorCommands.run(args, properties, Clock.systemUTC(), System.out, System.err);
    }
}
