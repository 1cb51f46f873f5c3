package io.iotuplink.inputs.serial;

import org.apache.camel.Endpoint;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.DefaultComponent;

import java.util.Map;

/** The {@code serial:} component: {@code serial:/dev/ttyUSB0?baudRate=115200} reads text lines from a serial port. */
@Component("serial")
public class SerialComponent extends DefaultComponent {

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        SerialEndpoint endpoint = new SerialEndpoint(uri, this, remaining);
        setProperties(endpoint, parameters);
        return endpoint;
    }
}
