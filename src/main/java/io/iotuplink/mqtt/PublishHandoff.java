package io.iotuplink.mqtt;

import java.util.function.Supplier;

/**
 * Tells whoever dispatches publishes on many threads the moment Paho has queued one, so the next may follow: the
 * publishes reach the wire in the dispatcher's order while each thread waits for its own PUBACK.
 */
public final class PublishHandoff {

    private static final ThreadLocal<Runnable> WAITING = new ThreadLocal<>();

    private PublishHandoff() {
    }

    /** Runs {@code send} on this thread; {@code onQueued} runs once, when its publish is queued (or failed). */
    public static <T> T around(Runnable onQueued, Supplier<T> send) {
        WAITING.set(onQueued);
        try {
            return send.get();
        } finally {
            WAITING.remove();
        }
    }

    /** Called by the client right after it handed a publish to Paho. */
    static void queued() {
        Runnable waiting = WAITING.get();
        if (waiting != null) {
            WAITING.remove();
            waiting.run();
        }
    }
}
