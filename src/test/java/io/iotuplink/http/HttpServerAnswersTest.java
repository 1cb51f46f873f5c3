package io.iotuplink.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Until the routes run, the API answers 503 {"status": "starting"} (not the HTML 404 of a path no route serves
 * yet), while health answers: a Vert.x router with the answers installed, no bundle.
 */
class HttpServerAnswersTest {

    private final Vertx vertx = Vertx.vertx();
    private final AtomicBoolean routesRunning = new AtomicBoolean();
    private int port;

    @BeforeEach
    void server() throws Exception {
        Router router = Router.router(vertx);
        HttpServerAnswers.install(router, new DefaultCamelContext(), new ObjectMapper(), routesRunning::get);
        router.get("/observe/health/live").handler(ctx -> ctx.response().end("{\"status\":\"UP\"}"));
        router.get("/status").handler(ctx -> ctx.response().end("{\"connected\":true}"));
        HttpServer server = vertx.createHttpServer().requestHandler(router);
        port = server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS)
                .actualPort();
    }

    @AfterEach
    void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theApiAnswersStartingUntilTheRoutesRunAndHealthAnswersAllAlong() throws Exception {
        HttpResponse<String> status = get("/status");
        HttpResponse<String> telemetry = get("/telemetry");

        assertEquals(503, status.statusCode());
        assertEquals("{\"status\":\"starting\"}", status.body());
        assertEquals("application/json", status.headers().firstValue("Content-Type").orElse(""));
        assertEquals(503, telemetry.statusCode());
        assertEquals(200, get("/observe/health/live").statusCode());

        routesRunning.set(true);

        assertEquals("{\"connected\":true}", get("/status").body());
        HttpResponse<String> unknown = get("/telemetri");
        assertEquals(404, unknown.statusCode());
        assertEquals("application/json", unknown.headers().firstValue("Content-Type").orElse(""));
    }
}
