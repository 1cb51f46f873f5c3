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

    /** Room for the largest TLS record (16 KiB of data and its header, padding and tag) and then some. */
    private static final int BUFFER = 32 * 1024;

    private InputStream input;

    @Override
    public synchronized InputStream getInputStream() throws IOException {
        if (input == null) {
            input = new BufferedInputStream(super.getInputStream(), BUFFER);
        }
        return input;
    }
}
