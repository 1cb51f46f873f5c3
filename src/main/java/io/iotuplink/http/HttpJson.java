package io.iotuplink.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** What every HTTP route of the bundle shares: JSON in (checked content type), JSON out with a status code. */
final class HttpJson {

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

    static String bodyText(Message message) {
        String body = message.getBody(String.class);
        return body == null ? "" : body;
    }

    /** Replaces the exchange's message with the JSON answer. */
    static void respond(Exchange exchange, ObjectMapper mapper, int code, Object body) throws JsonProcessingException {
        Message message = exchange.getMessage();
        message.removeHeaders("*");
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, code);
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        message.setBody(mapper.writeValueAsString(body));
    }

    /** {@code {"error": ..., "detail": ...}} */
    static Map<String, Object> error(String error, String detail) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("detail", detail);
        return body;
    }
}
