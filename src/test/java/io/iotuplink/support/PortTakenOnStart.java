package io.iotuplink.support;

import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.builder.RouteBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * A user's Java route class that takes the HTTP port ({@code camel.server.port} on {@code camel.server.host}) once the
 * context starts: after the bundle's configuration found the port free, before the HTTP server binds it, as a second
 * bundle starting at the same moment would. Load it with {@code CAMEL_MAIN_ROUTESBUILDERCLASSES}.
 */
public class PortTakenOnStart extends RouteBuilder {

    /** What it prints once it holds the port. */
    public static final String TAKEN = "taken after the configuration's check";

    /** Held until the JVM ends. */
    private static ServerSocket holder;

    @Override
    public void configure() throws Exception {
        CamelContext context = getContext();
        context.addStartupListener(new StartupListener() {
            @Override
            // called before the context starts any service, the HTTP server included
            public void onCamelContextStarting(CamelContext starting, boolean alreadyStarted) {
                var properties = starting.getPropertiesComponent();
                String host = properties.resolveProperty("camel.server.host").orElseThrow();
                int port = Integer.parseInt(properties.resolveProperty("camel.server.port").orElseThrow());
                try {
                    holder = new ServerSocket();
                    holder.bind(new InetSocketAddress(InetAddress.getByName(host), port));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                System.out.println("test: " + host + ":" + port + " " + TAKEN);
            }

            @Override
            public void onCamelContextStarted(CamelContext started, boolean alreadyStarted) {
            }
        });
    }
}
