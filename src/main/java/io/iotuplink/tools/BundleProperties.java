package io.iotuplink.tools;

import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.main.Main;

import java.util.Optional;
import java.util.function.Function;

/**
 * The bundle's properties as camel-main resolves them (application.properties, the cloud properties location of a
 * mounted ConfigMap, environment variables and system properties over them), without starting anything: the
 * operator's commands read exactly what the bundle would.
 */
public final class BundleProperties extends Main {

    private BundleProperties() {
    }

    /** Looks a property key up; a property that is not set is empty. */
    public static Function<String, Optional<String>> resolve() throws Exception {
        CamelContext context = new DefaultCamelContext(false);
        new BundleProperties().configurePropertiesService(context);
        return key -> context.getPropertiesComponent().resolveProperty(key);
    }
}
