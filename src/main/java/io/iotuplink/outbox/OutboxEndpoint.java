package io.iotuplink.outbox;

import io.iotuplink.config.Durations;
import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;

import java.time.Duration;

/**
 * The durable outbox as an endpoint: its producer commits readings before the exchange goes on, its consumer hands
 * them out oldest first, up to {@code maxInflight} exchanges at once, and removes a reading when its exchange
 * completes; a failed exchange leaves its readings stored, and they are handed out again.
 */
@UriEndpoint(firstVersion = "4.17.0", scheme = "outbox", title = "Durable outbox", syntax = "outbox:name",
        category = {Category.IOT}, headersClass = OutboxConstants.class)
public class OutboxEndpoint extends DefaultEndpoint {

    @UriPath(description = "The outbox's name (the bundle has one: uplink)")
    @Metadata(required = true)
    private final String name;
    @UriParam(label = "consumer", defaultValue = "100", description = "Exchanges in flight at once, never more than"
            + " the receiving side's receive maximum")
    private int maxInflight = 100;
    @UriParam(label = "consumer", defaultValue = "1", description = "Telemetry readings per exchange (1: no batching)")
    private int batchMaxReadings = 1;
    @UriParam(label = "consumer", defaultValue = "1s", description = "How long a batch that is not full may wait for"
            + " more readings (500ms, 1s, ...)")
    private String batchMaxDelay = "1s";
    @UriParam(label = "consumer", defaultValue = "none", enums = "none,gzip", description = "gzip compresses each"
            + " payload (user property content_encoding: gzip)")
    private String compress = "none";

    public OutboxEndpoint(String uri, OutboxComponent component, String name) {
        super(uri, component);
        this.name = name;
    }

    @Override
    public OutboxComponent getComponent() {
        return (OutboxComponent) super.getComponent();
    }

    @Override
    public Producer createProducer() {
        return new OutboxProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        if (maxInflight < 1 || batchMaxReadings < 1) {
            throw new IllegalArgumentException(getEndpointUri() + ": maxInflight and batchMaxReadings must be 1 or more");
        }
        OutboxConsumer consumer = new OutboxConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    public String getName() {
        return name;
    }

    public int getMaxInflight() {
        return maxInflight;
    }

    public void setMaxInflight(int maxInflight) {
        this.maxInflight = maxInflight;
    }

    public int getBatchMaxReadings() {
        return batchMaxReadings;
    }

    public void setBatchMaxReadings(int batchMaxReadings) {
        this.batchMaxReadings = batchMaxReadings;
    }

    public String getBatchMaxDelay() {
        return batchMaxDelay;
    }

    public void setBatchMaxDelay(String batchMaxDelay) {
        this.batchMaxDelay = batchMaxDelay;
    }

    Duration batchDelay() {
        return Durations.parse(batchMaxDelay);
    }

    public String getCompress() {
        return compress;
    }

    public void setCompress(String compress) {
        this.compress = compress;
    }
}
