package io.iotuplink.publish;

import io.iotuplink.logging.RepeatedProblem;
import io.iotuplink.mqtt.BatchOverRateException;
import io.iotuplink.mqtt.ReasonCodes;
import io.iotuplink.outbox.OutboxConstants;
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

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PublishRetryPolicy.class);
    private static final RepeatedProblem RETRIES = RepeatedProblem.warn(LOG, "Publish retries");

    private final Backoff backoff;

    public PublishRetryPolicy(Backoff backoff) {
        this.backoff = backoff;
        setMaximumRedeliveries(backoff.enabled() ? backoff.maxAttempts() : 0);
        setRedeliveryDelay(backoff.initialDelay().toMillis());
        setMaximumRedeliveryDelay(backoff.maxDelay().toMillis());
        // a delay on the route's thread would hold a publishing thread and its place in the window for nothing
        setAsyncDelayedRedelivery(true);
        // Camel's line per attempt is replaced by RETRIES: the first of each cause, then a count a minute
        setRetryAttemptedLogLevel(LoggingLevel.OFF);
        setLogRetryStackTrace(false);
        setLogStackTrace(false);
        setLogExhausted(false);
        setLogHandled(false);
        // direct:dead-letter rethrows what it does not keep (a retryable failure): the outbox says it, once
        setLogNewException(false);
    }

    @Override
    public long calculateRedeliveryDelay(long previousDelay, int redeliveryCounter) {
        return backoff.delay(redeliveryCounter, Duration.ZERO).toMillis();
    }

    @Override
    public boolean shouldRedeliver(Exchange exchange, int redeliveryCounter, Predicate retryWhile) {
        boolean again = !refusedForGood(exchange) && !batchedAgain(exchange)
                && super.shouldRedeliver(exchange, redeliveryCounter, retryWhile);
        if (again) {
            Exception cause = exchange.getException() != null ? exchange.getException()
                    : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
            RETRIES.report(cause == null ? "unknown" : cause.getClass().getName(), "Publish of {} failed ({}):"
                    + " attempt {} of {} after its back-off", exchange.getMessage().getHeader(
                    OutboxConstants.MESSAGE_ID), cause == null ? "unknown" : ReasonCodes.describe(cause),
                    redeliveryCounter + 1, getMaximumRedeliveries() + 1);
        }
        return again;
    }

    /** A batch over what the rate allows now: the outbox batches its readings again, smaller; not retried as it is. */
    private static boolean batchedAgain(Exchange exchange) {
        Exception cause = exchange.getException() != null ? exchange.getException()
                : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        return ObjectHelper.getException(BatchOverRateException.class, cause) != null;
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
