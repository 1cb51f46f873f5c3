package io.iotuplink.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotuplink.envelope.JsonBytes;
import io.netty.buffer.ByteBufInputStream;
import io.vertx.core.buffer.Buffer;
import io.iotuplink.outbox.OutboxStorageException;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.builder.RouteBuilder;
import io.iotuplink.logging.RepeatedProblem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** What every HTTP route of the bundle shares: JSON in (checked content type), JSON out with a status code. */
final class HttpJson {

    private static final Logger LOG = LoggerFactory.getLogger(HttpJson.class);
    /** A fault that every request meets: once per kind, then a summary a minute; the stack trace at DEBUG. */
    private static final RepeatedProblem FAULTS = RepeatedProblem.warn(LOG, "HTTP requests failed");

    private HttpJson() {
    }

    /** Refuses a body declared as anything but JSON (415); a missing Content-Type is taken as JSON. */
    static void requireJson(Message message) {
        String type = message.getHeader(Exchange.CONTENT_TYPE, String.class);
        if (type != null && !type.isBlank()) {
            String mime = type.split(";")[0].trim().toLowerCase(Locale.ROOT);
            if (!mime.equals("application/json") && !mime.endsWith("+json")) {
                throw new UnsupportedContentTypeException("Content-Type is " + mime
                        + "; send JSON with Content-Type: application/json");
            }
        }
    }

    /**
     * The request body as the bytes that came in: never turned into a String first, which would replace bytes that
     * are not UTF-8 instead of refusing them, and would copy the body.
     */
    static JsonBytes body(Message message) {
        Object body = message.getBody();
        if (body instanceof Buffer buffer) {
            return () -> new ByteBufInputStream(buffer.getByteBuf());
        }
        byte[] bytes = message.getBody(byte[].class);
        return JsonBytes.of(bytes == null ? new byte[0] : bytes);
    }

    /** Replaces the exchange's message with the JSON answer. */
    static void respond(Exchange exchange, ObjectMapper mapper, int code, Object body) throws JsonProcessingException {
        Message message = exchange.getMessage();
        message.removeHeaders("*");
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, code);
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        message.setBody(mapper.writeValueAsString(body));
    }

    /**
     * In {@code routes}: a fault no other handler answers is a 500 with a JSON body saying what failed (never an
     * empty body), logged once per kind of fault (its stack trace at DEBUG), then in a summary a minute.
     */
    static void answerFaults(RouteBuilder routes, ObjectMapper mapper) {
        routes.onException(Exception.class).handled(true)
                .process(e -> {
                    Exception fault = e.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
                    FAULTS.report(fault.getClass().getName(), "HTTP {} failed: {}",
                            e.getMessage().getHeader(Exchange.HTTP_PATH), fault.toString(), fault);
                    respond(e, mapper, 500, error("internal error", fault.getClass().getSimpleName()
                            + (fault.getMessage() == null ? "" : ": " + fault.getMessage())));
                });
    }

    /** {@code {"error": ..., "detail": ...}} */
    static Map<String, Object> error(String error, String detail) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("detail", detail);
        return body;
    }

    /** 507 Insufficient Storage: what SQLite said, where, and how much room there is and is needed. */
    static Map<String, Object> storageRefusal(OutboxStorageException refused) {
        Map<String, Object> body = error(refused.full() ? "outbox storage full" : "outbox storage failing",
                refused.getMessage());
        body.put("data_dir", refused.dataDir().toString());
        body.put("free_bytes", refused.freeBytes());
        body.put("needed_bytes", refused.neededBytes());
        return body;
    }
}
