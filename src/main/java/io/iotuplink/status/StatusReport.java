package io.iotuplink.status;

import io.iotuplink.clock.ClockSteps;
import io.iotuplink.config.UplinkConfig;
import io.iotuplink.connection.ConnectionEvent;
import io.iotuplink.connection.ConnectionMonitor;
import io.iotuplink.envelope.EnvelopeWriter;
import io.iotuplink.mqtt.PublishShaper;
import io.iotuplink.inputs.InputCounters;
import io.iotuplink.outbox.Lane;
import io.iotuplink.outbox.OutboxStore;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/** Builds the {@code GET /status} document: the seed's four keys first, then the design's additions. */
public final class StatusReport {

    private final UplinkConfig config;
    private final ConnectionMonitor connection;
    private final PublishStats stats;
    private final InputCounters inputs;
    private final OutboxStore outbox;
    private final LongSupplier nanos;
    private final long startedNanos;
    private volatile java.util.function.LongSupplier tokenRefreshes;
    private volatile java.util.function.IntSupplier inboxLeftovers;
    private volatile java.util.function.IntSupplier inboxWaiting = () -> 0;
    private volatile java.util.function.IntSupplier awaitingRemoval = () -> 0;
    private volatile java.util.function.Supplier<io.iotuplink.outbox.OutboxStore.Books> books;
    private volatile java.util.function.IntSupplier parked = () -> 0;
    private volatile PublishShaper shaper;
    private volatile String outboxTarget;
    private volatile ClockSteps clockSteps;

    public StatusReport(UplinkConfig config, ConnectionMonitor connection, PublishStats stats, InputCounters inputs,
            OutboxStore outbox, LongSupplier nanos) {
        this.config = config;
        this.connection = connection;
        this.stats = stats;
        this.inputs = inputs;
        this.outbox = outbox;
        this.nanos = nanos;
        this.startedNanos = nanos.getAsLong();
    }

    /** With a custom authorizer: adds {@code token_refreshes} to the status. */
    public void countTokenRefreshes(java.util.function.LongSupplier refreshes) {
        this.tokenRefreshes = refreshes;
    }

    /**
     * Adds {@code "inbox": {"not_removed": n}}: the inbox files read but left in the inbox because they could not
     * be removed (they are not read again).
     */
    public void countInboxLeftovers(java.util.function.IntSupplier notRemoved) {
        this.inboxLeftovers = notRemoved;
    }

    /** Adds {@code inbox.waiting_for_room}: inbox files left unread until the outbox has room for them. */
    public void countInboxWaiting(java.util.function.IntSupplier waiting) {
        this.inboxWaiting = waiting;
    }

    /**
     * Where the books in readings come from ({@code readings_accepted}, {@code readings_published},
     * {@code readings_failed}, {@code readings_expired}, {@code readings_dropped}, and {@code buffered}: what waits),
     * and {@code outbox.parked}: readings waiting out their own back-off after a failed publish.
     */
    public void countReadings(java.util.function.Supplier<io.iotuplink.outbox.OutboxStore.Books> books,
            java.util.function.IntSupplier parked) {
        this.books = books;
        this.parked = parked;
    }

    /** Where {@code outbox.awaiting_removal} comes from: published readings whose removal failed (a full disk). */
    public void countAwaitingRemoval(java.util.function.IntSupplier published) {
        this.awaitingRemoval = published;
    }

    /**
     * Adds {@code "quota": {"publishes", "bytes", "per_seconds", "slowed_down", "slow_downs"}}: the limits the
     * publishes keep now (lower than the configured ones for a while after the broker's 0x97 or 0x96).
     */
    public void reportQuota(PublishShaper shaper) {
        this.shaper = shaper;
    }

    /**
     * Adds {@code "clock": {"steps", "last_step_seconds"}}: how often the wall clock was stepped since the start, and
     * the last step (forward positive, back negative; 0 before the first).
     */
    public void reportClock(ClockSteps steps) {
        this.clockSteps = steps;
    }

    /** Adds {@code outbox.target}: the broker endpoint and client id the outbox's readings are bound to. */
    public void outboxTarget(String target) {
        this.outboxTarget = target;
    }

    /** Seconds since the bundle started, with a millisecond fraction: monotonic, a clock step leaves it alone. */
    public double uptimeSeconds() {
        return TimeUnit.NANOSECONDS.toMillis(nanos.getAsLong() - startedNanos) / 1000.0;
    }

    /**
     * {@code {"storage": "ok" | "full" | "failing", "error", "since", "data_dir", "awaiting_removal", "target",
     * "lanes"}}: whether the outbox can write (new readings are refused while it cannot), whom its readings are for,
     * and how many wait in each lane.
     */
    private Map<String, Object> outboxStorage() {
        OutboxStore.Storage storage = outbox.storage();
        Map<String, Object> section = new LinkedHashMap<>();
        section.put("storage", storage.state());
        section.put("error", storage.error());
        section.put("since", storage.ok() ? null : EnvelopeWriter.epochSeconds(storage.sinceMillis()));
        section.put("data_dir", outbox.dataDir().toString());
        section.put("awaiting_removal", awaitingRemoval.getAsInt());
        section.put("parked", parked.getAsInt());
        if (outboxTarget != null) {
            section.put("target", outboxTarget);
        }
        Map<String, Object> lanes = new LinkedHashMap<>();
        for (Lane lane : Lane.values()) {
            lanes.put(lane.label(), outbox.depth(lane));
        }
        section.put("lanes", lanes);
        return section;
    }

    public Map<String, Object> snapshot() {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("connection_status", connection.state().jsonName());
        status.put("connected", connection.isConnected());
        status.put("reconnect_attempts", connection.reconnectAttempts());
        long last = stats.lastPublishMillis();
        status.put("last_publish_ts", last == 0 ? null : EnvelopeWriter.epochSeconds(last));
        status.put("device_id", config.deviceId());
        status.put("client_id", config.clientId());
        status.put("endpoint", config.endpoint());
        status.put("uptime", uptimeSeconds());
        if (clockSteps != null) {
            Map<String, Object> clock = new LinkedHashMap<>();
            clock.put("steps", clockSteps.steps());
            clock.put("last_step_seconds", clockSteps.lastStepSeconds());
            status.put("clock", clock);
        }
        status.put("published", stats.published());
        status.put("failed", stats.failed());
        io.iotuplink.outbox.OutboxStore.Books readings = books == null ? null : books.get();
        status.put("buffered", readings == null ? outbox.depth() : readings.rows());
        status.put("buffered_bytes", outbox.bytes());
        status.put("dropped", outbox.dropped());
        status.put("expired", outbox.expired());
        if (readings != null) {
            // since the outbox file was made: accepted = published + failed + expired + dropped + buffered
            status.put("readings_accepted", readings.accepted());
            status.put("readings_published", readings.published());
            status.put("readings_failed", readings.deadLettered());
            status.put("readings_expired", readings.expired());
            status.put("readings_dropped", readings.dropped());
        }
        status.put("outbox", outboxStorage());
        if (shaper != null) {
            PublishShaper.Limits limits = shaper.limits();
            Map<String, Object> quota = new LinkedHashMap<>();
            quota.put("publishes", limits.publishes());
            quota.put("bytes", limits.bytes());
            quota.put("per_seconds", PublishShaper.WINDOW_MILLIS / 1000.0);
            quota.put("slowed_down", limits.slowedDown());
            quota.put("slow_downs", shaper.slowDowns());
            status.put("quota", quota);
        }
        status.put("inputs", inputs.snapshot());
        if (inboxLeftovers != null) {
            Map<String, Object> inbox = new LinkedHashMap<>();
            inbox.put("not_removed", inboxLeftovers.getAsInt());
            inbox.put("waiting_for_room", inboxWaiting.getAsInt());
            status.put("inbox", inbox);
        }
        status.put("connect_attempts", connection.connectAttempts());
        status.put("connect_successes", connection.connectSuccesses());
        status.put("connect_success_rate", Math.round(connection.successRate() * 1000) / 1000.0);
        status.put("reconnect_enabled", connection.reconnectEnabled());
        status.put("connection_reason", connection.reason());
        if (tokenRefreshes != null) {
            status.put("token_refreshes", tokenRefreshes.getAsLong());
        }
        List<Map<String, Object>> history = new ArrayList<>();
        for (ConnectionEvent event : connection.history()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("timestamp", EnvelopeWriter.epochSeconds(event.timestamp().toEpochMilli()));
            entry.put("state", event.state().jsonName());
            entry.put("message", event.message());
            entry.put("error", event.error());
            history.add(entry);
        }
        status.put("history", history);
        return status;
    }
}
