package io.iotuplink.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.HttpEndpointModel;
import org.apache.camel.component.platform.http.PlatformHttpComponent;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

/**
 * The answers the HTTP server gives before or instead of a route, in JSON like the routes' own: an invalid request
 * (414, 431, 400: Vert.x answers those before any route sees them), 404, 405 with the path's methods in
 * {@code Allow}, and 503 {@code {"status": "starting"}} while the routes are not running yet.
 */
final class HttpServerAnswers {

    private static final String DECODER = "httpDecoder";
    private static final Pattern PATH_PARAMETER = Pattern.compile("\\{[^/}]+}");

    private HttpServerAnswers() {
    }

    /** Answers {@code code} with {@code {"error", "detail"}} and closes the connection (the request may be unread). */
    static void answer(HttpServerResponse response, ObjectMapper mapper, int code, Object body) {
        answer(null, response, mapper, code, body);
    }

    /**
     * {@link #answer(HttpServerResponse, ObjectMapper, int, Object)} for {@code request}, whose body may still be
     * coming: it is read and dropped, and the connection closed once it ended (closing while the client still sends
     * would reset the connection, and the client could lose the answer before it reads it).
     */
    static void answer(HttpServerRequest request, HttpServerResponse response, ObjectMapper mapper, int code,
            Object body) {
        String json;
        try {
            json = mapper.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            json = "{\"error\":\"internal error\"}";
        }
        // Vert.x keeps a kept-alive connection open whatever the header says: closed once the answer is out
        response.setStatusCode(code)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CONNECTION, "close")
                .end(json)
                .onComplete(written -> closeOnceRead(request, response));
    }

    private static void closeOnceRead(HttpServerRequest request, HttpServerResponse response) {
        if (request == null || request.isEnded()) {
            response.close();
            return;
        }
        try {
            request.handler(dropped -> { });
            request.exceptionHandler(failure -> response.close());
            request.endHandler(ended -> response.close());
            request.resume(); // a client that never ends its body is closed by the server's idle timeout
        } catch (IllegalStateException alreadyRead) {
            response.close();
        }
    }

    /** The server's handler for a request its decoder refused: Vert.x's own answers with an empty body. */
    static void invalidRequest(HttpServerRequest request, ObjectMapper mapper) {
        Throwable cause = request.decoderResult().cause();
        if (cause instanceof TooLongHttpLineException) {
            answer(request.response(), mapper, 414, HttpJson.error("URI too long", "the request line is over "
                    + HttpServerOptions.DEFAULT_MAX_INITIAL_LINE_LENGTH + " bytes; send the data in the body"));
        } else if (cause instanceof TooLongHttpHeaderException) {
            answer(request.response(), mapper, 431, HttpJson.error("request header fields too large",
                    "the headers are over " + HttpServerOptions.DEFAULT_MAX_HEADER_SIZE + " bytes"));
        } else {
            answer(request.response(), mapper, 400, HttpJson.error("bad request",
                    cause == null ? "the request is not valid HTTP/1.1" : String.valueOf(cause.getMessage())));
        }
    }

    /**
     * Makes the connection's decoder refuse a request that has both Content-Length and Transfer-Encoding (RFC 9112
     * 6.1: a proxy and the server could each take another end of the body) instead of dropping Content-Length.
     */
    static void refuseBothLengths(HttpConnection connection, HttpServerOptions options) {
        if (connection instanceof ConnectionBase base) {
            ChannelPipeline pipeline = base.channelHandlerContext().pipeline();
            if (pipeline.get(DECODER) instanceof VertxHttpRequestDecoder) {
                pipeline.replace(DECODER, DECODER, new OneLengthDecoder(options));
            }
        }
    }

    /**
     * On {@code router}: 503 "starting" for everything but {@code /observe/} until {@code started}, then JSON 404
     * and 405 (with the methods the path takes) where Vert.x would answer an HTML page or an empty body.
     */
    static void install(Router router, CamelContext context, ObjectMapper mapper, BooleanSupplier started) {
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            if (started.getAsBoolean() || ctx.normalizedPath().startsWith("/observe/")) {
                ctx.next();
            } else {
                ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
                answer(ctx.request(), ctx.response(), mapper, 503, Map.of("status", "starting"));
            }
        });
        // last on the router: a request no route took (a route refusing the method lets it through too)
        router.route().order(Integer.MAX_VALUE).handler(ctx -> {
            Set<String> allowed = allowedMethods(context, ctx.normalizedPath());
            if (allowed.isEmpty() && ctx.normalizedPath().startsWith("/observe/")) {
                // camel-main's management paths (/observe/health/live...) may be served past this router
                ctx.next();
            } else if (allowed.isEmpty()) {
                answer(ctx.request(), ctx.response(), mapper, 404, HttpJson.error("not found", "no " + ctx.normalizedPath()
                        + " here; the API has POST /telemetry, POST /events/{name}, GET /status and /observe/health,"
                        + " /observe/metrics"));
            } else {
                String allow = String.join(", ", allowed);
                ctx.response().putHeader(HttpHeaders.ALLOW, allow);
                answer(ctx.request(), ctx.response(), mapper, 405, HttpJson.error("method not allowed", ctx.request().method()
                        + " " + ctx.normalizedPath() + " is not served; use " + allow));
            }
        });
    }

    /**
     * The API's address and endpoints as the server listens ("http://127.0.0.1:8080: POST /telemetry, ..."): Camel's
     * own summary names 0.0.0.0 whatever the address.
     */
    static String endpoints(CamelContext context, String host, int port) {
        StringBuilder line = new StringBuilder("http://" + host + ":" + port + ":");
        PlatformHttpComponent component = platformHttp(context);
        if (component != null) {
            String api = String.join(", ", component.getHttpEndpoints().stream()
                    .map(e -> (e.getVerbs() == null ? "" : e.getVerbs() + " ") + e.getUri()).sorted().toList());
            String management = String.join(", ", component.getHttpManagementEndpoints().stream()
                    .map(HttpEndpointModel::getUri).sorted().toList());
            line.append(' ').append(api).append(management.isEmpty() ? "" : "; " + management);
        }
        return line.toString();
    }

    /** The methods the platform-http routes take on {@code path} ({@code /events/{name}} matches any name). */
    private static Set<String> allowedMethods(CamelContext context, String path) {
        Set<String> methods = new TreeSet<>();
        PlatformHttpComponent component = platformHttp(context);
        if (component == null) {
            return methods;
        }
        List<HttpEndpointModel> endpoints = new ArrayList<>(component.getHttpEndpoints());
        endpoints.addAll(component.getHttpManagementEndpoints());
        for (HttpEndpointModel endpoint : endpoints) {
            String template = PATH_PARAMETER.matcher(Pattern.quote(endpoint.getUri()))
                    .replaceAll("\\\\E[^/]+\\\\Q");
            if (endpoint.getVerbs() != null && path.matches(template)) {
                for (String verb : endpoint.getVerbs().split(",")) {
                    methods.add(verb.trim());
                }
            }
        }
        return methods;
    }

    /** The platform-http component, which knows every endpoint and its methods, or null before it exists. */
    private static PlatformHttpComponent platformHttp(CamelContext context) {
        return context.hasComponent("platform-http") instanceof PlatformHttpComponent component ? component : null;
    }

    /** Vert.x's request decoder, but a request with both lengths fails to decode (and is answered 400). */
    private static final class OneLengthDecoder extends VertxHttpRequestDecoder {

        OneLengthDecoder(HttpServerOptions options) {
            super(options);
        }

        @Override
        protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
            super.handleTransferEncodingChunkedWithContentLength(message);
            message.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("the request has both"
                    + " Content-Length and Transfer-Encoding; send one of them")));
        }
    }
}
