package io.iotuplink.publish;

import io.iotuplink.outbox.ReadingSetAsideException;
import io.iotuplink.config.Backoff;
import io.iotuplink.mqtt.PublishRefusedException;
import io.iotuplink.mqtt.UnsupportedQosException;
import org.apache.camel.Exchange;
import org.apache.camel.LoggingLevel;
import org.apache.camel.Predicate;
import org.apache.camel.processor.errorhandler.RedeliveryPolicy;
import org.apache.camel.util.ObjectHelper;

import java.time.Duration;

/**
 * The publish route's redelivery policy ({@code redeliveryPolicyRef: uplinkPublishRetry}): the bundle's one
 * {@link Backoff} (exponential, with jitter, from {@code uplink.publish.retry.*}) decides each delay, a scheduled
 * wait rather than a sleep, and a refusal the broker will repeat (0x87, 0x90, 0x95, 0x99) is not retried at all,
 * nor a publish over the broker's maximum packet size, which the client refuses to send (0x95).
 */
public final class PublishRetryPolicy extends RedeliveryPolicy {

    private final Backoff backoff;

    public PublishRetryPolicy(Backoff backoff) {
        this.backoff = backoff;
        setMaximumRedeliveries(backoff.enabled() ? backoff.maxAttempts() : 0);
        setRedeliveryDelay(backoff.initialDelay().toMillis());
        setMaximumRedeliveryDelay(backoff.maxDelay().toMillis());
        // a delay on the route's thread would hold a publishing thread and its place in the window for nothing
        setAsyncDelayedRedelivery(true);
        setRetryAttemptedLogLevel(LoggingLevel.WARN);
        setLogRetryStackTrace(false);
        setLogStackTrace(false);
        setLogExhausted(false);
        setLogHandled(false);
    }

    @Override
    public long calculateRedeliveryDelay(long previousDelay, int redeliveryCounter) {
        return backoff.delay(redeliveryCounter, Duration.ZERO).toMillis();
    }

    @Override
    public boolean shouldRedeliver(Exchange exchange, int redeliveryCounter, Predicate retryWhile) {
        return !refusedForGood(exchange) && super.shouldRedeliver(exchange, redeliveryCounter, retryWhile);
    }

    /**
     * Whether the failure (anywhere in its causes) is a verdict that this publish will never be accepted: the
     * broker's lasting refusal, or a QoS the client does not publish at.
     */
    static boolean refusedForGood(Exchange exchange) {
        Exception cause = exchange.getException() != null ? exchange.getException()
                : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        PublishRefusedException refused = ObjectHelper.getException(PublishRefusedException.class, cause);
        return refused != null && !refused.retryable()
                || ObjectHelper.getException(UnsupportedQosException.class, cause) != null
                || ObjectHelper.getException(ReadingSetAsideException.class, cause) != null;
    }
}
