package io.iotuplink.outbox;

/** The outbox has no room for a reading and its policy is to refuse it. */
public class OutboxFullException extends RuntimeException {

    public OutboxFullException(String message) {
        super(message);
    }
}
