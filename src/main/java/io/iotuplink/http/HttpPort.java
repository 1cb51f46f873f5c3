package io.iotuplink.http;

import io.iotuplink.ConfigurationException;
import io.iotuplink.config.ConfigReader;
import io.iotuplink.config.PortBinding;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.impl.TCPServerBase;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.VetoCamelContextStartException;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.spi.PropertiesComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.BindException;
import java.util.Optional;

/**
 * The HTTP API's port ({@code camel.server.host}:{@code camel.server.port}): a start where it cannot be bound stops
 * with one line naming it, whether that is seen before the start or only when the server fails to listen.
 */
public final class HttpPort {

    private static final Logger LOG = LoggerFactory.getLogger(HttpPort.class);

    private HttpPort() {
    }

    /** The problem with the configured HTTP port if binding it fails now, or empty (no server, or it binds). */
    public static Optional<String> problem(PropertiesComponent properties) {
        if ("false".equalsIgnoreCase(properties.resolveProperty("camel.server.enabled").orElse("false"))) {
            return Optional.empty();
        }
        return problem(properties.resolveProperty("camel.server.host").orElse("0.0.0.0"),
                properties.resolveProperty("camel.server.port").orElse("8080"));
    }

    /**
     * Stops the context's start unless its HTTP server listens once started. camel-platform-http-vertx only logs a
     * failed listen (and Vert.x adds the stack trace) and starts the routes all the same: a port taken after
     * {@link #problem} found it free (a second bundle starting at the same moment) would leave a bundle without
     * its HTTP API.
     */
    public static void requireListening(CamelContext context) throws Exception {
        context.addStartupListener(new StartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext started, boolean alreadyStarted)
                    throws VetoCamelContextStartException {
                // before onCamelContextFullyStarted, where the MQTT connection starts
                VertxPlatformHttpServer server = started.hasService(VertxPlatformHttpServer.class);
                if (server == null || listening(server.getServer())) {
                    return;
                }
                var properties = started.getPropertiesComponent();
                String host = properties.resolveProperty("camel.server.host").orElse("0.0.0.0");
                String port = properties.resolveProperty("camel.server.port").orElse("8080");
                ConfigurationException problem = new ConfigurationException(problem(host, port).orElse(setting(port)
                        + ": the HTTP server did not start listening on " + host + ":" + port + " (the warning above"
                        + " says why)"));
                // a veto, unlike any other failure here, is not logged with a stack trace by Camel
                throw new VetoCamelContextStartException("the HTTP server does not listen on " + host + ":" + port,
                        problem, started, true);
            }
        });
    }

    /**
     * Vert.x's handler for what its event loops throw: a failed listen is {@link #requireListening}'s to report (on
     * one line, its stack trace only at DEBUG); anything else is logged as Vert.x would.
     */
    public static void unhandled(Throwable failure) {
        if (failure.getCause() instanceof BindException) {
            LOG.debug("the HTTP server could not listen", failure);
        } else {
            LOG.error("Unhandled exception", failure);
        }
    }

    /**
     * Whether the server listens: platform-http keeps the server after a failed listen, but Vert.x (4.5) clears its
     * listening flag before platform-http's listen handler runs, so the flag is settled once the server started.
     */
    private static boolean listening(HttpServer server) {
        if (server instanceof TCPServerBase base) {
            return base.isListening();
        }
        return server != null;
    }

    private static Optional<String> problem(String host, String port) {
        return PortBinding.refusal(host, port).map(refused -> {
            String reason = refused.getMessage() == null ? "" : refused.getMessage();
            if (reason.contains("in use")) {
                return setting(port) + ": " + host + ":" + port + " is already in use (another iot-uplink, or another"
                        + " server?): stop it, or choose another port";
            }
            if (reason.contains("assign")) {
                return ConfigReader.envName("camel.server.host") + "=" + host + ": not an address of this machine ("
                        + reason + "): use 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or one of its own"
                        + " addresses";
            }
            // "Permission denied": a port below 1024 for a user that may not bind one
            return setting(port) + ": cannot listen on " + host + ":" + port + " (" + reason + "): choose another port"
                    + " (above 1023 unless the bundle's user may bind lower ones)";
        });
    }

    private static String setting(String port) {
        return ConfigReader.envName("camel.server.port") + "=" + port;
    }
}
