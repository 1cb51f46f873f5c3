package io.iotuplink.inputs.serial;

import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;

/** A serial port read line by line (jSerialComm); each line becomes one exchange with the line as its body. */
@UriEndpoint(firstVersion = "4.17.0", scheme = "serial", title = "Serial port", syntax = "serial:port",
        consumerOnly = true, category = {Category.IOT})
public class SerialEndpoint extends DefaultEndpoint {

    @UriPath(description = "The port: a device path such as /dev/ttyUSB0, or a name such as COM3")
    @Metadata(required = true)
    private final String port;
    @UriParam(defaultValue = "115200", description = "Baud rate")
    private int baudRate = 115200;
    @UriParam(defaultValue = "1000", description = "Milliseconds between attempts to reopen a port that went away")
    private long reconnectDelay = 1000;
    @UriParam(defaultValue = "65536", description = "Longest line accepted; a longer one is dropped and logged")
    private int maxLineLength = 65536;

    public SerialEndpoint(String uri, SerialComponent component, String port) {
        super(uri, component);
        this.port = port;
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        SerialConsumer consumer = new SerialConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    @Override
    public Producer createProducer() {
        throw new UnsupportedOperationException("serial: can only be read from (from: serial:...)");
    }

    public String getPort() {
        return port;
    }

    public int getBaudRate() {
        return baudRate;
    }

    public void setBaudRate(int baudRate) {
        this.baudRate = baudRate;
    }

    public long getReconnectDelay() {
        return reconnectDelay;
    }

    public void setReconnectDelay(long reconnectDelay) {
        this.reconnectDelay = reconnectDelay;
    }

    public int getMaxLineLength() {
        return maxLineLength;
    }

    public void setMaxLineLength(int maxLineLength) {
        this.maxLineLength = maxLineLength;
    }
}
