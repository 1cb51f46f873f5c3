package io.iotuplink.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.AuthenticationHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Vert.x handler in front of every route of the HTTP server (the API, the metrics, any route a user adds):
 * a request passes only with {@code Authorization: Bearer <token>}, the health checks excepted, so that an
 * orchestrator's probes need no secret. Anything else gets a JSON {@code 401} before its body is read.
 * Runs on a Vert.x event loop.
 */
public final class ApiTokenHandler implements AuthenticationHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ApiTokenHandler.class);
    private static final String BEARER = "bearer ";
    private static final String REALM = "Bearer realm=\"iot-uplink\"";

    private final ApiToken token;
    private final String healthPath;
    private final String missingBody;
    private final String wrongBody;

    /**
     * @param healthPath the health checks' path ({@code /observe/health}); it and the paths under it stay open
     */
    public ApiTokenHandler(ApiToken token, String healthPath) {
        this.token = token;
        this.healthPath = healthPath.endsWith("/") ? healthPath.substring(0, healthPath.length() - 1) : healthPath;
        ObjectMapper mapper = new ObjectMapper();
        this.missingBody = json(mapper, "send the header 'Authorization: Bearer <token>' with the token set in"
                + " UPLINK_API_TOKEN or UPLINK_API_TOKEN_FILE");
        this.wrongBody = json(mapper, "the bearer token is not the one this gateway was given");
    }

    @Override
    public void handle(RoutingContext ctx) {
        // the router matched on the normalized path, so /observe/health/../metrics is /observe/metrics here too
        if (isHealthCheck(ctx.normalizedPath())) {
            ctx.next();
            return;
        }
        String authorization = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            refuse(ctx, REALM, missingBody);
            return;
        }
        if (!token.matches(authorization.substring(BEARER.length()).trim())) {
            refuse(ctx, REALM + ", error=\"invalid_token\"", wrongBody);
            return;
        }
        ctx.next();
    }

    private boolean isHealthCheck(String path) {
        return path.equals(healthPath) || path.startsWith(healthPath + "/");
    }

    private static void refuse(RoutingContext ctx, String challenge, String body) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("HTTP {} {} from {} refused: {}", ctx.request().method(), ctx.normalizedPath(),
                    ctx.request().remoteAddress(), challenge.contains("invalid_token") ? "wrong bearer token"
                            : "no bearer token");
        }
        ctx.response()
                .setStatusCode(401)
                .putHeader("WWW-Authenticate", challenge)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(body);
    }

    private static String json(ObjectMapper mapper, String detail) {
        try {
            return mapper.writeValueAsString(HttpJson.error("unauthorized", detail));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
