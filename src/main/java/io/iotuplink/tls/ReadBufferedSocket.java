package io.iotuplink.tls;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;

/**
 * A TCP socket whose input is read through a buffer, for TLS layered over it: the JDK reads a TLS record's header and
 * then its body, each with a read of its own, so without the buffer every record cost two system calls; with it, the
 * records that have arrived together come in with one.
 */
final class ReadBufferedSocket extends Socket {

    private final int bufferSize;
    private InputStream input;

    ReadBufferedSocket(int bufferSize) {
        this.bufferSize = bufferSize;
    }

    @Override
    public synchronized InputStream getInputStream() throws IOException {
        if (input == null) {
            input = new BufferedInputStream(super.getInputStream(), bufferSize);
        }
        return input;
    }
}
