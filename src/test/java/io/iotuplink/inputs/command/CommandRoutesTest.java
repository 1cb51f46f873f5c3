package io.iotuplink.inputs.command;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotuplink.config.CommandLimits;
import io.iotuplink.inputs.InputCounters;
import org.apache.camel.ProducerTemplate;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import io.iotuplink.support.LogBytes;
import org.apache.camel.support.service.ServiceSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The commands route on its own, without a broker: what it answers and what it leaves behind. */
class CommandRoutesTest {

    /** Remembers every producer template made from it, to find those left running. */
    static final class TemplateCountingContext extends DefaultCamelContext {
        final List<ProducerTemplate> templates = new CopyOnWriteArrayList<>();

        @Override
        public ProducerTemplate createProducerTemplate(int maximumCacheSize) {
            ProducerTemplate template = super.createProducerTemplate(maximumCacheSize);
            templates.add(template);
            return template;
        }

        long running() {
            return templates.stream().filter(t -> ((ServiceSupport) t).isStarted()).count();
        }
    }

    private final TemplateCountingContext context = new TemplateCountingContext();
    private final BlockingQueue<Object> answers = new ArrayBlockingQueue<>(100);
    private final InputCounters inputs = new InputCounters();
    /** Two commands wait to run, one at a time: small enough to fill. */
    private final CommandRoutes routes = new CommandRoutes("bombercat", new CommandLimits(1, 2), null, inputs,
            new ObjectMapper());
    /** Holds direct:command-slow until counted down. */
    private final CountDownLatch slowMayFinish = new CountDownLatch(1);
    private final CountDownLatch slowStarted = new CountDownLatch(1);
    /** Holds the storing of busy answers until counted down. */
    private final CountDownLatch busyMayBeStored = new CountDownLatch(1);
    private final CountDownLatch busyBeingStored = new CountDownLatch(1);
    private ProducerTemplate cloud;

    @BeforeEach
    void start() throws Exception {
        context.addRoutes(routes);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:event").process(e -> {
                    if (e.getMessage().getBody(Map.class).get("status").equals("busy")) {
                        busyBeingStored.countDown();
                        busyMayBeStored.await(10, TimeUnit.SECONDS);
                    }
                    answers.add(e.getMessage().getBody());
                });
                from("direct:command-reboot").setBody(constant("{\"rebooting\": true}"));
                from("direct:command-explode").throwException(new IllegalStateException("the device is on fire"));
                from("direct:command-slow").process(e -> {
                    slowStarted.countDown();
                    slowMayFinish.await(10, TimeUnit.SECONDS);
                });
            }
        });
        context.start();
        cloud = context.createProducerTemplate();
    }

    @AfterEach
    void stop() {
        slowMayFinish.countDown();
        busyMayBeStored.countDown();
        context.stop();
    }

    private static MqttMessage message(String correlationId, boolean retained) {
        MqttMessage message = new MqttMessage(("{\"correlation_id\": \"" + correlationId + "\"}")
                .getBytes(StandardCharsets.UTF_8));
        message.setQos(1);
        message.setRetained(retained);
        return message;
    }

    /** The next {@code count} answers, each correlation id once. */
    private Map<String, Object> answersByCorrelationId(int count) throws InterruptedException {
        Map<String, Object> byId = new TreeMap<>();
        for (int i = 0; i < count; i++) {
            Map<?, ?> answer = (Map<?, ?>) answers.poll(10, TimeUnit.SECONDS);
            assertNotNull(answer, "only " + i + " answers of " + count + ": " + byId);
            Object earlier = byId.put(String.valueOf(answer.get("correlation_id")), answer.get("status"));
            assertNull(earlier, "a second answer to " + answer.get("correlation_id"));
        }
        return byId;
    }

    @Test
    void commandsBeyondTheQueueAreAnsweredBusyAndPastTheBusyAnswersCountedWithoutEverWaiting()
            throws Exception {
        IMqttMessageListener listener = routes.listener(context.createProducerTemplate());

        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            listener.messageArrived("bombercat/commands/slow", message("c0", false));
            assertTrue(slowStarted.await(5, TimeUnit.SECONDS), "the slow command did not start");
            listener.messageArrived("bombercat/commands/ping", message("c1", false));
            listener.messageArrived("bombercat/commands/ping", message("c2", false));
            listener.messageArrived("bombercat/commands/ping", message("c3", false));
            assertTrue(busyBeingStored.await(5, TimeUnit.SECONDS), "no busy answer for c3");
            for (int i = 4; i < 10; i++) {
                listener.messageArrived("bombercat/commands/ping", message("c" + i, false));
            }
        }, "Paho's callback thread waited for room");
        assertEquals(4, inputs.refused("command"));

        slowMayFinish.countDown();
        busyMayBeStored.countDown();
        assertEquals(Map.of("c0", "ok", "c1", "ok", "c2", "ok", "c3", "busy", "c4", "busy", "c5", "busy"),
                answersByCorrelationId(6));
    }

    @Test
    void aRetainedCommandIsAnsweredIgnoredOnceAndNotRun() throws Exception {
        IMqttMessageListener listener = routes.listener(context.createProducerTemplate());

        listener.messageArrived("bombercat/commands/reboot", message("c-retained", true));
        listener.messageArrived("bombercat/commands/reboot", message("c-retained", true));
        listener.messageArrived("bombercat/commands/reboot", message("c-other", true));
        listener.messageArrived("bombercat/commands/reboot", message("c-live", false));

        // a second answer to c-retained would come before c-other's: both wait in one queue, answered in order
        assertEquals(Map.of("c-retained", "ignored", "c-other", "ignored", "c-live", "ok"), answersByCorrelationId(3));
    }

    private Map<?, ?> command(String name, String payload) throws InterruptedException {
        cloud.sendBodyAndHeader(CommandRoutes.QUEUE, payload.getBytes(), CommandRoutes.TOPIC,
                "bombercat/commands/" + name);
        Object answer = answers.poll(10, TimeUnit.SECONDS);
        assertNotNull(answer, "no command_result for " + name);
        return (Map<?, ?>) answer;
    }

    @Test
    void userCommandsLeaveNoProducerTemplateRunning() throws InterruptedException {
        long before = context.running();

        for (int i = 0; i < 3; i++) {
            assertEquals("ok", command("reboot", "{}").get("status"));
        }
        assertEquals("error", command("explode", "{}").get("status"));

        assertEquals(before, context.running(), "producer templates left running by the commands");
    }

    @Test
    void aUserCommandAnswersItsRoutesBodyAndAFailingOneItsError() throws InterruptedException {
        assertEquals("{\"rebooting\":true}", command("reboot", "{\"delay\": 5}").get("result").toString());
        assertEquals("{error=the device is on fire}", command("explode", "{}").get("result").toString());
    }

    @Test
    void aCommandThatFailsEveryTimeAndUnknownOnesLogTheFirstOfEachOnly() throws InterruptedException {
        try (LogBytes log = LogBytes.attached("io.iotuplink")) {
            for (int i = 0; i < 40; i++) {
                assertEquals("error", command("explode", "{}").get("status"));
                assertEquals("unknown", command("self-destruct", "{}").get("status"));
            }

            // (the ERROR with a stack trace that Camel's error handler of the failing command's own route logs each
            // time is that route's: a user's route chooses its error handler)
            assertTrue(log.lines().size() <= 2, "the first of each at most: " + log.lines());
            assertTrue(log.hourOfRepeatedProblems() <= 100_000, log.hourOfRepeatedProblems() + " bytes an hour");
        }
    }

    @Test
    void everyCorrelationIdIsEchoedOrAnsweredWithWhyNot() throws InterruptedException {
        assertEquals(Map.of("a", List.of(1, 2)), command("ping", "{\"correlation_id\": {\"a\": [1, 2]}}")
                .get("correlation_id"));
        assertEquals(List.of("x", true), command("ping", "{\"correlation_id\": [\"x\", true]}")
                .get("correlation_id"));
        assertEquals(new java.math.BigInteger("123456789012345678901234567890"),
                command("ping", "{\"correlation_id\": 123456789012345678901234567890}").get("correlation_id"));

        Map<?, ?> beyondADouble = command("ping", "{\"correlation_id\": 1e400}");
        assertEquals("error", beyondADouble.get("status"));
        assertNull(beyondADouble.get("correlation_id"));
        assertTrue(beyondADouble.get("result").toString().contains("correlation_id is a number beyond what a double"
                + " holds"), beyondADouble.toString());

        Map<?, ?> tooLarge = command("ping", "{\"correlation_id\": \"" + "x".repeat(2000) + "\"}");
        assertEquals("error", tooLarge.get("status"));
        assertTrue(tooLarge.get("result").toString().contains("at most " + CommandRoutes.MAX_CORRELATION_ID_CHARS),
                tooLarge.toString());
    }
}
