package io.iotuplink.outbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotuplink.config.TimeToLive;
import io.iotuplink.envelope.EnvelopeWriter;
import io.iotuplink.envelope.PreparedReading;
import io.iotuplink.envelope.ReadingFactory;
import io.iotuplink.envelope.ReadingIntake;
import io.iotuplink.support.BatchPayloads;
import io.iotuplink.support.SimulatedClock;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.ThreadPoolProfile;
import org.apache.camel.support.DefaultThreadPoolFactory;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code outbox:} consumer against a fake client behind a real {@code paho-mqtt5:} endpoint: the window, the
 * removal of what completed, and a failed exchange's readings kept and handed out again, oldest first.
 */
class OutboxConsumerTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path dir;

    private final SimulatedClock clock = new SimulatedClock(Instant.now());
    private final ReadingIntake intake = new ReadingIntake(MAPPER, new ReadingFactory(MAPPER, clock),
            new EnvelopeWriter(MAPPER, "fake-device"), "fake/telemetry", "fake/events");
    private TimeToLive timeToLive = TimeToLive.NEVER;
    private final AtomicBoolean quotaLineFull = new AtomicBoolean();
    private final AtomicBoolean ready = new AtomicBoolean(true);
    private final AtomicInteger receiveMaximum = new AtomicInteger(65_535);
    private final Queue<String> outcomes = new ConcurrentLinkedQueue<>();
    /** How the threads of the {@code uplink-outbox} pool are made. */
    private UnaryOperator<ThreadFactory> outboxThreadFactory = UnaryOperator.identity();
    /** The publish route's steps after its {@code from}: by default straight to the client, no error handler. */
    private java.util.function.BiConsumer<RouteBuilder, org.apache.camel.model.RouteDefinition> publishRoute =
            (builder, route) -> route.errorHandler(builder.noErrorHandler())
                    .to("paho-mqtt5:fake/telemetry?client=#fakeClient&qos=1");
    /** What reached {@code direct:dead} (the set-aside readings, and the refusals of a dead-letter route of tests). */
    private final Queue<String> deadLetters = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean deadLettersFail = new AtomicBoolean();
    private OutboxStore store;
    private DefaultCamelContext context;
    private FakeMqttClient client;

    private void start(String options) throws Exception {
        store = OutboxStore.open(dir.resolve("outbox.db"), 10_000, 1 << 24, WhenFull.REJECT);
        client = new FakeMqttClient();
        context = new DefaultCamelContext();
        context.getShutdownStrategy().setTimeout(5);
        context.getExecutorServiceManager().setThreadPoolFactory(new DefaultThreadPoolFactory() {
            @Override
            public ExecutorService newThreadPool(ThreadPoolProfile profile, ThreadFactory factory) {
                return super.newThreadPool(profile, "uplink-outbox".equals(profile.getId())
                        ? outboxThreadFactory.apply(factory) : factory);
            }
        });
        context.getRegistry().bind("fakeClient", client);
        OutboxComponent component = new OutboxComponent(store, new BatchEnvelope(MAPPER, "fake-device",
                Clock.systemUTC()), ready::get, receiveMaximum::get, new OutboxListener() {
                    @Override
                    public void completed(Exchange exchange, int readings) {
                        outcomes.add("completed " + exchange.getMessage().getHeader(OutboxConstants.MESSAGE_ID));
                    }

                    @Override
                    public void kept(Exchange exchange, int readings, Exception cause) {
                        outcomes.add("kept " + exchange.getMessage().getHeader(OutboxConstants.MESSAGE_ID));
                    }
                });
        component.setTimeToLive(timeToLive);
        component.setClock(clock);
        component.setQuotaLineFull(quotaLineFull::get);
        component.setDeadLetterUri("direct:dead");
        context.addComponent("outbox", component);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                publishRoute.accept(this, from("outbox:test?" + options).routeId("publish"));
                from("direct:dead").routeId("dead")
                        .errorHandler(noErrorHandler())
                        .process(e -> {
                            if (deadLettersFail.get()) {
                                throw new java.io.IOException("No space left on device (injected)");
                            }
                            deadLetters.add(e.getMessage().getHeader(OutboxConstants.MESSAGE_ID, String.class) + ": "
                                    + e.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class).getMessage());
                            e.setProperty(OutboxConstants.DEAD_LETTERED, true);
                        });
                from("direct:accept").routeId("accept")
                        .errorHandler(noErrorHandler())
                        .to("outbox:test");
            }
        });
        context.start();
    }

    @AfterEach
    void stop() {
        ready.set(false);
        if (client != null) {
            client.failAll();
        }
        if (context != null) {
            context.stop();
        }
        if (store != null) {
            store.close();
        }
    }

    private List<String> append(int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            PreparedReading reading = intake.telemetry(Map.of("seq", i));
            store.append(List.of(reading));
            ids.add(reading.reading().messageId());
        }
        return ids;
    }

    @Test
    void handsOutOldestFirstAndNeverMoreThanMaxInflightAtOnce() throws Exception {
        start("maxInflight=3");
        List<String> ids = append(5);

        List<FakeMqttClient.Publish> out = List.of(client.next(), client.next(), client.next());

        assertEquals(ids.subList(0, 3), out.stream().map(FakeMqttClient.Publish::messageId).sorted(
                (a, b) -> ids.indexOf(a) - ids.indexOf(b)).toList(), "the three oldest");
        assertNull(client.poll(300), "a fourth waits for a free place in the window");
        out.get(0).acknowledge();
        FakeMqttClient.Publish fourth = client.next();
        assertEquals(ids.get(3), fourth.messageId(), "then the next oldest");
        assertEquals(1, fourth.message().getQos());
        assertEquals("fake/telemetry", fourth.topic());
    }

    @Test
    void thePoolHoldsAThreadForEachPublishAwaitingItsAnswerPlusOneNotOneForEachPlaceInTheWindow() throws Exception {
        start("maxInflight=100");
        OutboxConsumer consumer = (OutboxConsumer) context.getRoute("publish").getConsumer();
        assertEquals(1, consumer.threads(), "one thread while nothing is out");
        assertEquals(1, outboxThreads());
        append(3);

        List<FakeMqttClient.Publish> out = List.of(client.next(), client.next(), client.next());

        assertNull(client.poll(300), "nothing more to publish");
        assertEquals(4, consumer.threads(), "three await their PUBACK, one waits for the next reading");
        assertEquals(4, outboxThreads());
        out.forEach(FakeMqttClient.Publish::acknowledge);
        await("the three back, waiting").atMost(Duration.ofSeconds(5)).until(() -> consumer.waitingThreads() == 4);
        append(3);
        for (int i = 0; i < 3; i++) {
            client.next().acknowledge();
        }
        assertEquals(4, consumer.threads(), "the threads there were take the next readings");
        assertEquals(4, outboxThreads());
    }

    /** Readings stored from four threads while PUBACKs come back on three others: none is left behind (a stall). */
    @Test
    void aFloodOfReadingsFromManyThreadsIsAllHandedOutWhileAnswersComeBackOnOtherThreads() throws Exception {
        start("maxInflight=100");
        int senders = 4;
        int each = 1_000;
        ExecutorService answering = Executors.newFixedThreadPool(3);
        ExecutorService sending = Executors.newFixedThreadPool(senders);
        Set<String> published = ConcurrentHashMap.newKeySet();
        try {
            for (int s = 0; s < senders; s++) {
                int sender = s;
                sending.execute(() -> {
                    ProducerTemplate accept = context.createProducerTemplate();
                    for (int i = 0; i < each; i++) {
                        accept.sendBody("direct:accept", intake.event("command_result", Map.of("s", sender, "i", i)));
                    }
                });
            }
            Random random = new Random(1);
            while (published.size() < senders * each) {
                FakeMqttClient.Publish p = client.next(); // fails after 5 s without a publish: a stall
                assertTrue(published.add(p.messageId()), "published twice: " + p.messageId());
                int delay = random.nextInt(3);
                answering.execute(() -> {
                    try {
                        Thread.sleep(delay);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    p.acknowledge();
                });
            }
            answering.shutdown(); // the answers still to come
            assertTrue(answering.awaitTermination(10, TimeUnit.SECONDS));
        } finally {
            sending.shutdownNow();
            answering.shutdownNow();
        }
        await("every PUBACK settled").atMost(Duration.ofSeconds(10)).until(() -> outcomes.size() == senders * each);
        assertEquals(senders * each, outcomes.stream().filter(o -> o.startsWith("completed ")).count());
        await("every reading out of the outbox").atMost(Duration.ofSeconds(10)).until(() -> store.depth() == 0);
    }

    @Test
    void aThreadThatCannotBeMadeCostsNoReadingTheThreadThatTookItPublishesIt() throws Exception {
        AtomicInteger made = new AtomicInteger();
        outboxThreadFactory = factory -> runnable -> {
            if (made.incrementAndGet() == 2) {
                throw new OutOfMemoryError("unable to create native thread: possibly out of memory or process/resource"
                        + " limits reached");
            }
            return factory.newThread(runnable);
        };
        start("maxInflight=100");
        List<String> ids = append(2);

        FakeMqttClient.Publish first = client.next();

        assertEquals(ids.get(0), first.messageId(), "the reading taken when the second thread could not be made");
        first.acknowledge();
        FakeMqttClient.Publish second = client.next();
        assertEquals(ids.get(1), second.messageId());
        second.acknowledge();
        await().atMost(Duration.ofSeconds(5)).until(() -> outcomes.size() == 2);
        assertEquals(List.of("completed " + ids.get(0), "completed " + ids.get(1)), List.copyOf(outcomes));
        assertEquals(0, ((OutboxConsumer) context.getRoute("publish").getConsumer()).inFlight(), "the window is free");
    }

    private long outboxThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(name -> name.contains(context.getName()) && name.contains("uplink-outbox")).count();
    }

    @Test
    void theWindowNeverExceedsTheReceiveMaximum() throws Exception {
        receiveMaximum.set(2);
        start("maxInflight=100");
        append(4);

        client.next();
        client.next();

        assertNull(client.poll(300), "the broker takes 2 at once");
    }

    @Test
    void aReadingLeavesTheOutboxWhenItsExchangeCompletes() throws Exception {
        start("maxInflight=10");
        List<String> ids = append(2);

        FakeMqttClient.Publish first = client.next();
        FakeMqttClient.Publish second = client.next();
        assertEquals(2, store.depth(), "nothing leaves before its exchange completes");
        first.acknowledge();

        await().atMost(Duration.ofSeconds(5)).until(() -> store.depth() == 1);
        assertEquals(second.messageId(), store.after(Lane.BULK, 0, 10).get(0).messageId(),
                "the one still awaiting its PUBACK stays");
        assertTrue(ids.contains(second.messageId()));
        assertTrue(outcomes.contains("completed " + first.messageId()));
    }

    @Test
    void aFailedExchangeKeepsItsReadingsWhileNewerOnesGoAndHandsThemOutAgainAfterTheirOwnBackOff() throws Exception {
        start("maxInflight=1");
        List<String> ids = append(3);

        FakeMqttClient.Publish first = client.next();
        long failedAt = System.nanoTime();
        first.fail(new MqttException(MqttClientException.REASON_CODE_CLIENT_NOT_CONNECTED));

        // the pause belongs to the reading: the others go on meanwhile
        FakeMqttClient.Publish second = client.next();
        assertEquals(ids.get(1), second.messageId(), "a newer reading does not wait for the failed one");
        assertEquals(3, store.depth(), "kept in the outbox");
        assertTrue(outcomes.contains("kept " + ids.get(0)));
        second.acknowledge();
        client.next().acknowledge();
        FakeMqttClient.Publish again = client.next();
        assertEquals(ids.get(0), again.messageId(), "the same reading, with its message_id");
        assertTrue(System.nanoTime() - failedAt >= 700_000_000L, "after its own back-off (1 s, jitter 20 %)");
        again.acknowledge();
        await().atMost(Duration.ofSeconds(5)).until(() -> store.depth() == 0);
    }

    @Test
    void publishesThatFailAgainAndAgainLogTheFirstOfEachCauseNotALineEach() throws Exception {
        start("maxInflight=20");
        append(20);
        try (io.iotuplink.support.LogBytes log = io.iotuplink.support.LogBytes.attached("io.iotuplink.outbox")) {
            for (int i = 0; i < 40; i++) { // each reading fails twice: a silent link, its give-backs
                client.next().fail(new MqttException(MqttClientException.REASON_CODE_CLIENT_TIMEOUT));
            }
            // (the first of this cause may have been said by an earlier test of this JVM, within its minute)
            assertTrue(log.lines().size() <= 2, "the first failure, at most a summary: " + log.lines());
        }
    }

    @Test
    void aStepThatKeepsThrowingSetsItsReadingAsideAsADeadLetterAndTheOthersGoOn() throws Exception {
        publishRoute = (builder, route) -> route.errorHandler(builder.noErrorHandler())
                .process(e -> {
                    if (new String(e.getMessage().getBody(byte[].class), StandardCharsets.UTF_8)
                            .contains("\"seq\":0")) {
                        throw new IllegalStateException("the user's enrichment broke");
                    }
                })
                .to("paho-mqtt5:fake/telemetry?client=#fakeClient&qos=1");
        start("maxInflight=1");
        List<String> ids = append(3);

        client.next().acknowledge();
        client.next().acknowledge();

        await().atMost(Duration.ofSeconds(5)).until(() -> store.depth() == 0);
        assertEquals(List.of(ids.get(0) + ": the publish route failed for it after its retries (the user's"
                + " enrichment broke)"), List.copyOf(deadLetters), "set aside once, saying why");
        OutboxStore.Books books = context.getComponent("outbox", OutboxComponent.class).books();
        assertEquals(2, books.published(), books.toString());
        assertEquals(1, books.deadLettered(), books.toString());
        assertTrue(books.balance(), books.toString());
        assertNull(client.poll(1_500), "it is not tried again");
    }

    @Test
    void aLastingRefusalWhoseDeadLetterCannotBeWrittenWaitsAsideWhileTheOthersGoAtFullRate() throws Exception {
        publishRoute = (builder, route) -> route.errorHandler(builder.deadLetterChannel("direct:dead")
                        .deadLetterHandleNewException(false))
                .to("paho-mqtt5:fake/telemetry?client=#fakeClient&qos=1");
        deadLettersFail.set(true);
        start("maxInflight=1");
        List<String> ids = append(1);

        client.next().fail(new io.iotuplink.mqtt.PublishRefusedException("fake/telemetry", 0x87, null));
        List<String> more = append(50);
        long before = System.nanoTime();
        for (String id : more) {
            FakeMqttClient.Publish publish = client.next();
            assertEquals(id, publish.messageId(), "the others, in their order, the refused one set aside");
            publish.acknowledge();
        }
        assertTrue(System.nanoTime() - before < 3_000_000_000L, "at the full rate, no pause per failure");
        await("the 50 removed").atMost(Duration.ofSeconds(5)).until(() -> store.depth() == 1);
        assertEquals(1, context.getComponent("outbox", OutboxComponent.class).parked());

        deadLettersFail.set(false); // space again: at its next try (after 5 s) it becomes a dead letter
        FakeMqttClient.Publish again = client.poll(10_000);
        assertEquals(ids.get(0), again.messageId(), "tried again after its own, longer back-off");
        again.fail(new io.iotuplink.mqtt.PublishRefusedException("fake/telemetry", 0x87, null));
        await().atMost(Duration.ofSeconds(5)).until(() -> store.depth() == 0);
        assertEquals(1, deadLetters.size());
        assertTrue(deadLetters.peek().startsWith(ids.get(0) + ": the broker refused"), deadLetters.toString());
    }

    @Test
    void eventsReachTheBrokerInTheOrderTheyWereAcceptedRetriesIncludedWhileTelemetryGoesOn() throws Exception {
        start("maxInflight=10");
        List<String> events = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            PreparedReading event = intake.event("alarm", Map.of("n", i));
            store.append(List.of(event));
            events.add(event.reading().messageId());
        }
        FakeMqttClient.Publish first = client.next();
        assertEquals(events.get(0), first.messageId());
        assertNull(client.poll(300), "one event at a time: the second waits for the first's PUBACK");
        first.fail(new MqttException(MqttClientException.REASON_CODE_CLIENT_NOT_CONNECTED));
        List<String> telemetry = append(2);

        // the failed event's back-off: telemetry goes meanwhile, later events do not
        List<String> meanwhile = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            FakeMqttClient.Publish publish = client.next();
            meanwhile.add(publish.messageId());
            publish.acknowledge();
        }
        assertEquals(Set.copyOf(telemetry), Set.copyOf(meanwhile), "telemetry is not held back by the event");
        for (String id : events) {
            FakeMqttClient.Publish publish = client.next();
            assertEquals(id, publish.messageId(), "events in their order, the retried one first");
            publish.acknowledge();
        }
    }

    @Test
    void aPublishedReadingWhoseRemovalFailsIsNeverSentAgainAndLeavesOnceRemovalWorks() throws Exception {
        start("maxInflight=2");
        List<String> ids = append(3);
        OutboxComponent outbox = context.getComponent("outbox", OutboxComponent.class);

        try (Connection fault = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("outbox.db"));
             Statement sql = fault.createStatement()) {
            // every removal fails, as on a full disk
            sql.execute("CREATE TRIGGER injected_fault BEFORE DELETE ON readings"
                    + " BEGIN SELECT RAISE(ABORT, 'database or disk is full (injected)'); END");
            for (int i = 0; i < 3; i++) {
                client.next().acknowledge();
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> outbox.awaitingRemoval() == 3);

            // longer than a failed exchange's pause (1 s) and several removal attempts
            assertNull(client.poll(1_500), "an acknowledged reading is not published again");
            assertEquals(3, store.depth(), "still stored: the removal failed");
            assertEquals(3, outbox.awaitingRemoval());
            assertFalse(store.storage().ok(), "the store says it cannot write");
            assertTrue(store.storage().error().contains("injected"), store.storage().error());
            sql.execute("DROP TRIGGER injected_fault");
        }

        await().atMost(Duration.ofSeconds(5)).until(() -> store.depth() == 0);
        assertEquals(0, outbox.awaitingRemoval());
        assertTrue(store.storage().ok());
        assertEquals(ids.stream().map(id -> "completed " + id).sorted().toList(),
                outcomes.stream().sorted().toList(), "each reading completed once");
        List<String> more = append(1);
        FakeMqttClient.Publish next = client.next();
        assertEquals(more.get(0), next.messageId(), "the next one, not an old one again");
    }

    @Test
    void aRestartedPublishRouteDoesNotSendWhatWasPublishedButCouldNotBeRemoved() throws Exception {
        start("maxInflight=2");
        List<String> ids = append(2);
        OutboxComponent outbox = context.getComponent("outbox", OutboxComponent.class);

        try (Connection fault = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("outbox.db"));
             Statement sql = fault.createStatement()) {
            sql.execute("CREATE TRIGGER injected_fault BEFORE DELETE ON readings"
                    + " BEGIN SELECT RAISE(ABORT, 'database or disk is full (injected)'); END");
            client.next().acknowledge();
            client.next().acknowledge();
            await().atMost(Duration.ofSeconds(5)).until(() -> outbox.awaitingRemoval() == 2);
            context.getRouteController().stopRoute("publish");
            context.getRouteController().startRoute("publish");
            List<String> newer = append(1);

            assertEquals(newer.get(0), client.next().messageId(), "the new one, not the two published before");
            assertNull(client.poll(300));
            assertEquals(2, outbox.awaitingRemoval(), "the new consumer still has them to remove");
            sql.execute("DROP TRIGGER injected_fault");
        }

        await().atMost(Duration.ofSeconds(5)).until(() -> store.depth() == 1);
        assertEquals(ids.size(), outcomes.stream().filter(o -> ids.stream().anyMatch(o::endsWith)).count());
    }

    @Test
    void anEventOvertakesATelemetryBacklogAndEachLaneKeepsItsOwnOrder() throws Exception {
        ready.set(false);
        start("maxInflight=1");
        List<String> backlog = append(5);
        PreparedReading alert = intake.event("temperature_alert", Map.of("temperature", 81.5));
        store.append(List.of(alert));
        assertEquals(1, store.depth(Lane.PRIORITY));
        assertEquals(5, store.depth(Lane.BULK));

        ready.set(true);
        FakeMqttClient.Publish first = client.next();
        assertEquals(alert.reading().messageId(), first.messageId(), "the event goes before the older telemetry");
        assertEquals("fake/events", first.topic());
        first.acknowledge();
        List<String> then = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            FakeMqttClient.Publish next = client.next();
            then.add(next.messageId());
            next.acknowledge();
        }
        assertEquals(backlog, then, "then the backlog, oldest first");
        await().atMost(Duration.ofSeconds(5)).until(() -> store.depth() == 0);
        assertEquals(0, store.depth(Lane.PRIORITY));
    }

    @Test
    void whileEnoughPublishesWaitForTheQuotaReadingsWaitInTheOutboxWhereAnEventGoesFirst() throws Exception {
        start("maxInflight=1"); // one at a time: the order on the fake client is the hand-out order
        quotaLineFull.set(true); // the shaper has a tenth of a second's worth of publishes in line
        List<String> backlog = append(3);

        assertNull(client.poll(300), "nothing is handed out only to wait in the shaper's line");
        PreparedReading alert = intake.event("temperature_alert", Map.of("temperature", 81.5));
        store.append(List.of(alert));
        quotaLineFull.set(false);

        FakeMqttClient.Publish first = client.next();
        assertEquals(alert.reading().messageId(), first.messageId(),
                "the event, handed out once the line had room, goes before the telemetry that waited");
        first.acknowledge();
        assertEquals(backlog.get(0), client.next().messageId());
    }

    @Test
    void aRouteChoosesTheLaneWithTheUplinkLaneHeader() throws Exception {
        ready.set(false);
        start("maxInflight=1");
        append(3);
        PreparedReading urgent = intake.telemetry(Map.of("pressure", 9.9));
        context.createProducerTemplate().sendBodyAndHeader("direct:accept", urgent, OutboxConstants.LANE, "priority");

        ready.set(true);
        FakeMqttClient.Publish first = client.next();
        assertEquals(urgent.reading().messageId(), first.messageId(), "telemetry a route put in the priority lane");
        assertEquals(1, store.depth(Lane.PRIORITY), "it waits in the priority lane until its PUBACK");

        Exception refused = assertThrows(Exception.class, () -> context.createProducerTemplate().sendBodyAndHeader(
                "direct:accept", intake.telemetry(Map.of("n", 1)), OutboxConstants.LANE, "urgent"));
        assertEquals("the header UplinkLane is 'urgent': the outbox's lanes are priority and bulk",
                rootCause(refused).getMessage());
        assertEquals(4, store.depth(), "nothing stored for a lane that does not exist");
    }

    @Test
    void readingsWhoseTimeToLiveIsUpLeaveUnsentCountedAndTheOthersCarryTheirExpiryInterval() throws Exception {
        timeToLive = new TimeToLive(Duration.ofMinutes(1), Duration.ZERO, Duration.ofSeconds(50));
        ready.set(false);
        start("maxInflight=1");
        var accept = context.createProducerTemplate();
        for (int i = 0; i < 3; i++) {
            accept.sendBody("direct:accept", intake.telemetry(Map.of("seq", i)));
        }
        accept.sendBody("direct:accept", intake.event("keepalive", Map.of("status", "alive")));
        PreparedReading alarm = intake.event("temperature_alert", Map.of("temperature", 90));
        accept.sendBody("direct:accept", alarm);
        clock.advance(Duration.ofSeconds(30));
        PreparedReading fresh = intake.telemetry(Map.of("seq", 3));
        accept.sendBody("direct:accept", fresh);

        clock.advance(Duration.ofSeconds(31)); // the first three 61 s old, the keepalive over two intervals
        await().atMost(Duration.ofSeconds(5)).until(() -> store.expired() == 4);
        assertEquals(2, store.depth(), "expired readings leave the outbox even while the connection is down");
        assertEquals(1, store.depth(Lane.BULK));

        ready.set(true);
        FakeMqttClient.Publish event = client.next();
        assertEquals(alarm.reading().messageId(), event.messageId(), "events have no time to live by default");
        assertNull(event.message().getProperties().getMessageExpiryInterval());
        event.acknowledge();
        FakeMqttClient.Publish telemetry = client.next();
        assertEquals(fresh.reading().messageId(), telemetry.messageId());
        assertEquals(29L, telemetry.message().getProperties().getMessageExpiryInterval(),
                "the broker drops it too once it is a minute old");
        telemetry.acknowledge();
        assertNull(client.poll(300), "nothing expired goes out");
        assertEquals(4, store.expired());
    }

    @Test
    void aReadingThatExpiresWhileItWaitsForItsTurnIsNotHandedOut() throws Exception {
        timeToLive = new TimeToLive(Duration.ofSeconds(10), Duration.ZERO, Duration.ZERO);
        start("maxInflight=1");
        var accept = context.createProducerTemplate();
        PreparedReading first = intake.telemetry(Map.of("seq", 0));
        accept.sendBody("direct:accept", first);
        FakeMqttClient.Publish out = client.next();
        accept.sendBody("direct:accept", intake.telemetry(Map.of("seq", 1)));

        clock.advance(Duration.ofSeconds(11));
        PreparedReading later = intake.telemetry(Map.of("seq", 2));
        accept.sendBody("direct:accept", later);
        out.acknowledge(); // acknowledged after its time: it was on its way, so it counts as published

        FakeMqttClient.Publish next = client.next();
        assertEquals(later.reading().messageId(), next.messageId(), "the one that waited too long is skipped");
        next.acknowledge();
        await().atMost(Duration.ofSeconds(5)).until(() -> store.expired() == 1);
        assertTrue(outcomes.contains("completed " + first.reading().messageId()));
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    @Test
    void nothingIsHandedOutWhileTheConnectionIsDown() throws Exception {
        ready.set(false);
        start("maxInflight=10");
        List<String> ids = append(1);

        assertNull(client.poll(300), "nothing to publish to");
        ready.set(true);

        assertEquals(ids.get(0), client.next().messageId());
    }

    @Test
    void telemetryGoesOutInBatchesWithTheirSizeAndEachReadingsMessageId() throws Exception {
        start("maxInflight=10&batchMaxReadings=4&batchMaxDelay=10s");
        List<String> ids = append(9);

        FakeMqttClient.Publish one = client.next();
        FakeMqttClient.Publish other = client.next();
        // the two batches race to the client: the first is the one with the oldest reading
        FakeMqttClient.Publish batch = carried(one).contains(ids.get(0)) ? one : other;

        assertEquals(ids.subList(0, 4), carried(batch), "the oldest four, in their order: " + text(batch));
        assertTrue(batch.message().getProperties().getUserProperties().stream()
                .anyMatch(p -> p.getKey().equals("batch_size") && p.getValue().equals("4")));
        assertNull(client.poll(300), "the ninth waits for its batch to fill, up to batchMaxDelay");
        batch.acknowledge();
        await().atMost(Duration.ofSeconds(5)).until(() -> store.depth() == 5);
    }

    private static List<String> carried(FakeMqttClient.Publish batch) {
        return BatchPayloads.unpack(batch.message().getPayload()).stream().map(BatchPayloads.Unpacked::messageId)
                .toList();
    }

    @Test
    void aSecondRouteTakingFromTheSameOutboxIsRefused() throws Exception {
        start("maxInflight=1");

        Exception refused = assertThrows(Exception.class, () -> context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("outbox:test?maxInflight=2").routeId("second").process(e -> { });
            }
        }));

        assertTrue(String.valueOf(rootMessage(refused)).contains("outbox:test has a consumer already (route publish)"),
                String.valueOf(rootMessage(refused)));
    }

    private static String text(FakeMqttClient.Publish publish) {
        return new String(publish.message().getPayload(), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage();
    }
}
