package io.iotuplink.outbox;

/**
 * Why the outbox set a reading aside as a dead letter instead of trying it again: a failure that would repeat (a step
 * of the publish route that keeps throwing, a reading that cannot be encoded). The dead-letter route keeps it.
 */
public class ReadingSetAsideException extends RuntimeException {

    public ReadingSetAsideException(String message, Throwable cause) {
        super(message, cause);
    }
}
