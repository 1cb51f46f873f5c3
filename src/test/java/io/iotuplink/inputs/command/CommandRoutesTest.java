package io.iotuplink.inputs.command;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.service.ServiceSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

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
    private final BlockingQueue<Object> answers = new ArrayBlockingQueue<>(10);
    private ProducerTemplate cloud;

    @BeforeEach
    void start() throws Exception {
        context.addRoutes(new CommandRoutes("bombercat", null, new ObjectMapper()));
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:event").process(e -> answers.add(e.getMessage().getBody()));
                from("direct:command-reboot").setBody(constant("{\"rebooting\": true}"));
                from("direct:command-explode").throwException(new IllegalStateException("the device is on fire"));
            }
        });
        context.start();
        cloud = context.createProducerTemplate();
    }

    @AfterEach
    void stop() {
        context.stop();
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
}
