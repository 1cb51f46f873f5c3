package io.iotuplink.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotuplink.config.Durations;
import io.iotuplink.config.HttpLimits;
import io.iotuplink.logging.RepeatedProblem;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.impl.VertxWrapper;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.component.platform.http.main.MainHttpServer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.support.LifecycleStrategySupport;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.TimeUnit;

/**
 * Bounds camel-platform-http's Vert.x server: a body over {@code uplink.http.max-body-size} is refused (413) before
 * it is read in full, a connection silent for {@code uplink.http.idle-timeout} is closed, a request whose body is
 * still coming in after {@code uplink.http.request-timeout} is answered 408 and its connection closed, and every
 * answer Vert.x gives by itself (413, 408, a failure) has a JSON body like the routes' answers.
 */
public final class HttpServerLimits {

    private static final Logger LOG = LoggerFactory.getLogger(HttpServerLimits.class);
    /** A fault that every request meets: once per kind, then a summary a minute; the stack trace at DEBUG. */
    private static final RepeatedProblem FAULTS = RepeatedProblem.warn(LOG, "HTTP requests failed");

    private HttpServerLimits() {
    }

    /** Applies {@code limits} to the context's HTTP server, if camel-main runs one; call before the context starts. */
    public static void apply(CamelContext context, HttpLimits limits, ObjectMapper mapper) throws Exception {
        MainHttpServer server = context.hasService(MainHttpServer.class);
        if (server == null) {
            return;
        }
        server.setMaxBodySize(limits.maxBodySize());
        // platform-http makes its server with `new HttpServerOptions()` and no hook; it takes the Vert.x instance
        // from the registry though, and that instance is the one place to set the server's idle timeout
        Vertx vertx = new IdleTimeoutVertx((VertxInternal) Vertx.vertx(), limits.idleTimeout(), mapper);
        vertx.exceptionHandler(HttpPort::unhandled);
        context.getRegistry().bind("uplinkHttpVertx", Vertx.class, vertx);
        context.addLifecycleStrategy(new LifecycleStrategySupport() {
            @Override
            public void onContextStopped(CamelContext stopped) {
                // platform-http closes only a Vert.x it made itself
                vertx.close();
            }
        });
        AtomicBoolean routesRunning = new AtomicBoolean();
        // started after camel-main's HTTP server, which answers /observe/health before the routes run
        context.addService(new ServiceSupport() {
            @Override
            protected void doStart() {
                Set<Router> routers = new HashSet<>(context.getRegistry().findByType(VertxPlatformHttpRouter.class));
                if (server.getRouter() != null) {
                    routers.add(server.getRouter());
                }
                for (Router router : routers) {
                    HttpServerAnswers.install(router, context, mapper, routesRunning::get);
                    guard(router, limits, mapper);
                }
            }
        }, true, true);
        context.addStartupListener(new StartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext started, boolean alreadyStarted) {
                // the routes may still be starting here
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext started, boolean alreadyStarted) {
                routesRunning.set(true);
                if (server.getRouter() != null) {
                    LOG.info("HTTP API on {}", HttpServerAnswers.endpoints(started, server.getHost(),
                            server.getPort()));
                }
            }
        });
    }

    private static void guard(Router router, HttpLimits limits, ObjectMapper mapper) {
        long timeout = limits.requestTimeout().toMillis();
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            HttpServerRequest request = ctx.request();
            if (!request.isEnded()) {
                long timer = ctx.vertx().setTimer(timeout, id -> {
                    if (!request.isEnded() && !ctx.response().ended() && !ctx.response().closed()) {
                        answer(ctx, mapper, 408, "request timeout", "the request body did not arrive within "
                                + Durations.format(limits.requestTimeout()) + " (uplink.http.request-timeout)");
                    }
                });
                ctx.addEndHandler(done -> ctx.vertx().cancelTimer(timer));
            }
            ctx.next();
        });
        router.route().failureHandler(ctx -> {
            if (ctx.failure() instanceof HttpClosedException || ctx.response().closed()) {
                // the connection is gone (closed by the client, or for being idle): no one to answer
                LOG.debug("HTTP {} {}: connection closed: {}", ctx.request().method(), ctx.request().path(),
                        String.valueOf(ctx.failure()));
                return;
            }
            int code = ctx.statusCode() < 400 ? 500 : ctx.statusCode();
            if (code == 413) {
                answer(ctx, mapper, 413, "body too large", "the body is over " + limits.maxBodySize()
                        + " bytes (uplink.http.max-body-size); send the readings in smaller parts");
            } else {
                Throwable failure = ctx.failure();
                if (code == 500) {
                    FAULTS.report(String.valueOf(failure == null ? null : failure.getClass()), "HTTP {} {} failed: {}",
                            ctx.request().method(), ctx.request().path(), failure, failure);
                }
                answer(ctx, mapper, code, HttpResponseStatus.valueOf(code).reasonPhrase().toLowerCase(Locale.ROOT),
                        failure == null ? "" : failure.toString());
            }
        });
    }

    /**
     * Answers with a JSON error and closes the connection: the rest of a refused body may still be on its way, and
     * the next request on it could not be told from that rest.
     */
    private static void answer(RoutingContext ctx, ObjectMapper mapper, int code, String error, String detail) {
        if (ctx.response().headWritten()) {
            ctx.request().connection().close();
            return;
        }
        HttpServerAnswers.answer(ctx.request(), ctx.response(), mapper, code, HttpJson.error(error, detail));
    }

    /** The Vert.x instance platform-http builds its server with: each HTTP server it makes closes idle connections. */
    private static final class IdleTimeoutVertx extends VertxWrapper {

        private final Duration idleTimeout;
        private final ObjectMapper mapper;

        IdleTimeoutVertx(VertxInternal delegate, Duration idleTimeout, ObjectMapper mapper) {
            super(delegate);
            this.idleTimeout = idleTimeout;
            this.mapper = mapper;
        }

        @Override
        public HttpServer createHttpServer(HttpServerOptions options) {
            HttpServerOptions bounded = new HttpServerOptions(options)
                    .setIdleTimeout((int) idleTimeout.toMillis())
                    .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                    // without an h2c upgrade to look for, a connection's decoder is in place before its first byte
                    .setHttp2ClearTextEnabled(false);
            return super.createHttpServer(bounded)
                    .invalidRequestHandler(request -> HttpServerAnswers.invalidRequest(request, mapper))
                    .connectionHandler(connection -> HttpServerAnswers.refuseBothLengths(connection, bounded));
        }

        @Override
        public HttpServer createHttpServer() {
            return createHttpServer(new HttpServerOptions());
        }
    }
}
