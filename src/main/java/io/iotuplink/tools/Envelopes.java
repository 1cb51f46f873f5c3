package io.iotuplink.tools;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** An envelope in a command's JSON output: as the JSON it is, or as text when it is not JSON. */
final class Envelopes {

    private Envelopes() {
    }

    static Object asJson(ObjectMapper json, byte[] envelope) {
        try {
            return json.readTree(envelope);
        } catch (IOException e) {
            return new String(envelope, StandardCharsets.UTF_8);
        }
    }
}
