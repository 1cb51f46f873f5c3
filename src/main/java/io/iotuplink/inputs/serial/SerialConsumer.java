package io.iotuplink.inputs.serial;

import com.fazecast.jSerialComm.SerialPort;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads lines ({@code \n} or {@code \r\n}) from the port on a thread of its own and hands each on. When the port
 * disappears (a USB device unplugged) it closes it and keeps trying to reopen it, so reading resumes when the
 * device comes back, without a restart.
 */
public class SerialConsumer extends DefaultConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(SerialConsumer.class);

    private volatile boolean running;
    private volatile SerialPort open;
    private Thread reader;

    public SerialConsumer(SerialEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
    }

    @Override
    public SerialEndpoint getEndpoint() {
        return (SerialEndpoint) super.getEndpoint();
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        if (getEndpoint().getPort() == null || getEndpoint().getPort().isBlank()) {
            throw new IllegalArgumentException("serial: needs a port, like serial:/dev/ttyUSB0");
        }
        running = true;
        reader = new Thread(this::readForever, "serial-" + getEndpoint().getPort());
        reader.setDaemon(true);
        reader.start();
    }

    @Override
    protected void doStop() throws Exception {
        running = false;
        SerialPort port = open;
        if (port != null) {
            port.closePort();
        }
        if (reader != null) {
            // no interrupt: a line being published finishes (camel waits for in-flight exchanges), and the
            // reader sees the port closed or the flag within one read timeout or reconnect delay
            reader.join(getEndpoint().getReconnectDelay() + 5_000);
        }
        super.doStop();
    }

    private void readForever() {
        String name = getEndpoint().getPort();
        boolean announcedMissing = false;
        while (running) {
            SerialPort port = openPort(name);
            if (port == null) {
                if (!announcedMissing) {
                    LOG.warn("Serial port {} is not there; waiting for it to appear", name);
                    announcedMissing = true;
                }
                pause();
                continue;
            }
            announcedMissing = false;
            LOG.info("Reading lines from serial port {} at {} baud", name, getEndpoint().getBaudRate());
            try {
                readLines(port);
            } catch (IOException e) {
                if (running) {
                    LOG.warn("Serial port {} went away ({}); waiting for it to come back", name, e.getMessage());
                }
            } finally {
                port.closePort();
                open = null;
            }
            pause();
        }
    }

    private SerialPort openPort(String name) {
        if (name.startsWith("/") && !Files.exists(Path.of(name))) {
            return null;
        }
        SerialPort port;
        try {
            port = SerialPort.getCommPort(name);
        } catch (RuntimeException e) {
            return null;
        }
        port.setComPortParameters(getEndpoint().getBaudRate(), 8, SerialPort.ONE_STOP_BIT, SerialPort.NO_PARITY);
        port.setComPortTimeouts(SerialPort.TIMEOUT_READ_SEMI_BLOCKING, 500, 0);
        if (!port.openPort()) {
            return null;
        }
        open = port;
        return port;
    }

    private void readLines(SerialPort port) throws IOException {
        InputStream in = port.getInputStreamWithSuppressedTimeoutExceptions();
        ByteArrayOutputStream line = new ByteArrayOutputStream(256);
        boolean overlong = false;
        byte[] buffer = new byte[4096];
        while (running) {
            int n = in.read(buffer);
            if (n < 0) {
                throw new IOException("end of stream");
            }
            if (n == 0) {
                if (!Files.exists(Path.of(port.getSystemPortPath()))) {
                    throw new IOException("the device file is gone");
                }
                continue;
            }
            for (int i = 0; i < n; i++) {
                byte b = buffer[i];
                if (b == '\n') {
                    if (!overlong) {
                        emit(line);
                    }
                    line.reset();
                    overlong = false;
                } else if (line.size() >= getEndpoint().getMaxLineLength()) {
                    if (!overlong) {
                        LOG.warn("Serial port {}: a line longer than {} bytes was dropped", getEndpoint().getPort(),
                                getEndpoint().getMaxLineLength());
                    }
                    overlong = true;
                } else {
                    line.write(b);
                }
            }
        }
    }

    private void emit(ByteArrayOutputStream line) {
        String text = line.toString(StandardCharsets.UTF_8);
        if (text.endsWith("\r")) {
            text = text.substring(0, text.length() - 1);
        }
        if (text.isBlank()) {
            return;
        }
        Exchange exchange = createExchange(false);
        exchange.getMessage().setBody(text);
        try {
            getProcessor().process(exchange);
        } catch (Exception e) {
            exchange.setException(e);
        }
        if (exchange.getException() != null) {
            getExceptionHandler().handleException("Serial line not processed", exchange, exchange.getException());
        }
        releaseExchange(exchange, false);
    }

    private void pause() {
        try {
            Thread.sleep(getEndpoint().getReconnectDelay());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }
}
