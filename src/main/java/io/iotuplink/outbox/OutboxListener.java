package io.iotuplink.outbox;

import org.apache.camel.Exchange;

/** Told by the {@code outbox:} consumer what became of each exchange it handed out. */
public interface OutboxListener {

    /** The exchange completed: its readings leave the outbox. */
    void completed(Exchange exchange, int readings);

    /** The exchange failed: its readings stay in the outbox and are handed out again. */
    void kept(Exchange exchange, int readings, Exception cause);
}
