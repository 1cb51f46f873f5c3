package io.iotuplink.envelope;

import java.io.ByteArrayInputStream;
import java.io.InputStream;

/** A JSON text held as bytes (a request body), which can be read more than once without being copied. */
@FunctionalInterface
public interface JsonBytes {

    /** A fresh stream over the bytes, from the first. */
    InputStream open();

    static JsonBytes of(byte[] bytes) {
        return () -> new ByteArrayInputStream(bytes);
    }
}
