package io.iotuplink.connection;

import io.iotuplink.auth.CustomAuthorizerLogin;
import io.iotuplink.auth.SwitchableTokenProvider;
import io.iotuplink.auth.TokenManager;
import io.iotuplink.config.Backoff;
import io.iotuplink.config.Durations;
import io.iotuplink.config.MqttSession;
import io.iotuplink.support.ManualScheduler;
import io.iotuplink.support.SimulatedClock;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateNotYetValidException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocketFactory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The supervisor against a fake client in simulated time: what it connects with, when, and what state it writes. */
class ConnectionSupervisorTest {

    private static final Backoff BACKOFF = new Backoff(true, 5, Duration.ofSeconds(1), Duration.ofSeconds(60), 2.0,
            0);
    private static final MqttSession SESSION = new MqttSession(Duration.ofSeconds(30), true, Duration.ZERO,
            Duration.ofSeconds(10), Duration.ofSeconds(10));

    private final ManualScheduler scheduler = new ManualScheduler();
    /** The wall clock, apart from the scheduler's monotonic time: a test may step it. */
    private final SimulatedClock wall = new SimulatedClock(Instant.parse("2025-01-01T00:00:00Z"));
    private final FakeMqttConnection client = new FakeMqttConnection();
    private final ConnectionMonitor monitor = new ConnectionMonitor(wall, 50);
    private final SSLSocketFactory tls = socketFactory();
    private final ConnectionSupervisor supervisor = new ConnectionSupervisor(client, SESSION, tls, BACKOFF, monitor,
            "broker.example:8883", "AWS_IOT_CA_PATH=/certs/AmazonRootCA1.pem", scheduler, wall,
            scheduler::nanos);
    /** Tokens live an hour and are refreshed 5 minutes before they expire. */
    private final SwitchableTokenProvider provider = new SwitchableTokenProvider(scheduler.clock(), 3600);

    @Test
    void aRefreshThatFailsWhileConnectedKeepsTheConnectionStateConnected() {
        withTokens();
        supervisor.start();
        scheduler.runDue();
        assertEquals(ConnectionState.CONNECTED, monitor.state());

        provider.works(false);
        scheduler.runNext();

        assertEquals(ConnectionState.CONNECTED, monitor.state());
        assertTrue(supervisor.isConnected());
        ConnectionEvent last = last();
        assertEquals(SwitchableTokenProvider.FAILURE, last.error());
        assertEquals("token refresh failed; the connection stays up (AWS checks the token at CONNECT only);"
                + " retrying in 1s", last.message());
        assertEquals(1, client.connects.size(), "no CONNECT while the connection is up");
    }

    @Test
    void aProviderThatRecoversAfterFailingWhileConnectedLeavesPublishingOn() {
        withTokens();
        supervisor.start();
        scheduler.runDue();
        int connectedAt = monitor.history().size() - 1;

        provider.works(false);
        scheduler.runNext();
        scheduler.runNext();
        provider.works(true);
        scheduler.runNext();

        assertTrue(supervisor.isConnected());
        assertEquals(ConnectionState.CONNECTED, monitor.state());
        assertEquals(HealthCheck.State.UP, readiness());
        List<ConnectionEvent> since = monitor.history().subList(connectedAt, monitor.history().size());
        assertTrue(since.stream().allMatch(e -> e.state() == ConnectionState.CONNECTED), since.toString());
        assertEquals("token refresh works again", last().message());
        assertEquals(1, client.connects.size(), "no CONNECT while the connection is up");
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2)), retryDelaysInHistory(since));
    }

    @Test
    void aConnectWaitsForAWorkingProviderAndSaysCredentialRefreshFailed() {
        withTokens();
        provider.works(false);
        supervisor.start();
        scheduler.runDue();

        assertEquals(ConnectionState.CREDENTIAL_REFRESH_FAILED, monitor.state());
        assertEquals(SwitchableTokenProvider.FAILURE, last().error());
        assertEquals(Duration.ofSeconds(1), scheduler.nextDelay());
        scheduler.runNext();
        assertEquals(ConnectionState.CREDENTIAL_REFRESH_FAILED, monitor.state());
        assertEquals(Duration.ofSeconds(2), scheduler.nextDelay());
        assertTrue(client.connects.isEmpty(), "no CONNECT without a token");
        assertEquals(HealthCheck.State.DOWN, readiness());

        provider.works(true);
        scheduler.runNext();

        assertEquals(ConnectionState.CONNECTED, monitor.state());
        assertEquals(1, client.connects.size());
        assertArrayEquals("secret-1".getBytes(StandardCharsets.UTF_8), client.connects.get(0).getPassword());
    }

    @Test
    void aConnectWaitingForTheProviderGoesAsSoonAsTheProviderWorksAgain() {
        withTokens();
        provider.works(false);
        supervisor.start();
        scheduler.runDue();
        scheduler.runNext();
        scheduler.runNext();
        assertEquals(Duration.ofSeconds(4), scheduler.nextDelay());
        scheduler.advance(Duration.ofMillis(1_500));

        provider.works(true);
        supervisor.refreshRecovered();

        assertEquals(Duration.ZERO, scheduler.nextDelay());
        scheduler.runDue();
        assertEquals(ConnectionState.CONNECTED, monitor.state());
    }

    @Test
    void aRefreshThatFailsWhileDisconnectedIsRecordedInTheStateTheSupervisorHas() {
        withTokens();
        supervisor.start();
        scheduler.runDue();
        client.refuseNextConnects(1_000);
        client.drop();

        provider.works(false);
        scheduler.advance(Duration.ofMinutes(55));

        ConnectionEvent refresh = monitor.history().stream()
                .filter(e -> SwitchableTokenProvider.FAILURE.equals(e.error())).findFirst().orElseThrow();
        assertTrue(refresh.state() == ConnectionState.RECONNECTING
                || refresh.state() == ConnectionState.CONNECTION_FAILED, refresh.toString());
        assertTrue(refresh.message().endsWith("(a CONNECT waits for a working provider)"), refresh.message());
        assertFalse(monitor.isConnected());
    }

    @Test
    void connectOptionsChangedWhileConnectingDoNotLeakIntoTheAttemptUnderWay() {
        SSLSocketFactory renewed = socketFactory();
        supervisor.login("first", "one".getBytes(StandardCharsets.UTF_8));
        client.duringConnect(options -> {
            supervisor.login("second", "two".getBytes(StandardCharsets.UTF_8));
            supervisor.useSocketFactory(renewed);
        });
        supervisor.start();
        scheduler.runDue();

        MqttConnectionOptions sent = client.connects.get(0);
        assertEquals("first", sent.getUserName());
        assertArrayEquals("one".getBytes(StandardCharsets.UTF_8), sent.getPassword());
        assertSame(tls, sent.getSocketFactory());

        client.duringConnect(options -> { });
        client.drop();
        scheduler.runNext();
        MqttConnectionOptions next = client.connects.get(1);
        assertEquals("second", next.getUserName());
        assertSame(renewed, next.getSocketFactory());
    }

    @Test
    void reconnectsWithTheBackoffAfterTheClientLosesTheConnection() {
        supervisor.start();
        scheduler.runDue();
        client.refuseNextConnects(3);

        client.drop();
        assertEquals(ConnectionState.RECONNECTING, monitor.state());
        for (int i = 0; i < 3; i++) {
            scheduler.runNext();
            assertEquals(ConnectionState.RECONNECTING, monitor.state());
        }
        scheduler.runNext();

        assertEquals(ConnectionState.CONNECTED, monitor.state());
        assertEquals(0, monitor.reconnectAttempts());
        assertEquals(List.of(Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4),
                Duration.ofSeconds(8)), scheduler.delays());
        assertTrue(last().message().startsWith("connected to broker.example:8883"), last().message());
    }

    @Test
    void aConnectionLostBeforeItIsReportedIsNeverReportedAsConnected() {
        supervisor.subscribe("cmd/#", (topic, message) -> { });
        client.duringSubscribe(client::drop);
        supervisor.start();
        scheduler.runDue();

        assertFalse(supervisor.isConnected());
        assertEquals(ConnectionState.RECONNECTING, monitor.state());
        assertTrue(monitor.history().stream().noneMatch(e -> e.state() == ConnectionState.CONNECTED),
                monitor.history().toString());

        client.duringSubscribe(() -> { });
        scheduler.runNext();
        assertEquals(ConnectionState.CONNECTED, monitor.state());
    }

    @Test
    void aConnectionPahoShutsDownForAnExceptionSaysWhichInTheHistory() {
        supervisor.start();
        scheduler.runDue();

        client.drop(new MqttException(new IllegalStateException("Queue full")));

        assertEquals(ConnectionState.RECONNECTING, monitor.state());
        assertEquals("Paho 0 client error (IllegalStateException: Queue full)", last().error());
    }

    @Test
    void publishesTimingOutOnASilentConnectionReplaceItOnce() {
        supervisor.start();
        scheduler.runDue();
        long oldest = client.now();
        List<Long> waiting = List.of(oldest, client.now(), client.now());
        scheduler.advance(SESSION.publishTimeout());

        waiting.forEach(client::publishTimesOut);
        scheduler.runDue();
        client.publishTimesOut(client.now());

        assertEquals(1, client.forcedDisconnects());
        assertFalse(supervisor.isConnected());
        assertEquals(ConnectionState.RECONNECTING, monitor.state());
        assertEquals("connection to broker.example:8883 silent; reconnecting in 1s", last().message());
        assertEquals("no PUBACK nor any other packet from the broker for 10s while publishes waited", last().error());
        assertEquals(1, monitor.history().stream().filter(e -> e.error() != null).count(), "one WARN");

        scheduler.runNext();
        assertEquals(ConnectionState.CONNECTED, monitor.state());
        client.publishTimesOut(oldest); // a publish of the old connection, reported late
        scheduler.runDue();
        assertEquals(1, client.forcedDisconnects());
        assertEquals(2, client.connects.size());
        assertEquals(ConnectionState.CONNECTED, monitor.state());
    }

    @Test
    void aSlowBrokerWhosePacketsStillArriveKeepsItsConnectionWhenPublishesTimeOut() {
        supervisor.start();
        scheduler.runDue();
        long sent = client.now();
        client.receives(client.now()); // the PUBACK of another publish
        scheduler.advance(SESSION.publishTimeout());

        client.publishTimesOut(sent);
        scheduler.runDue();

        assertEquals(0, client.forcedDisconnects());
        assertTrue(supervisor.isConnected());
        assertEquals(ConnectionState.CONNECTED, monitor.state());
        assertEquals(1, client.connects.size());
        assertTrue(monitor.history().stream().noneMatch(e -> e.error() != null), monitor.history().toString());
    }

    @Test
    void withReconnectionOffASilentConnectionIsClosedAndStaysDownSayingWhy() {
        supervisor.start();
        scheduler.runDue();
        supervisor.reconnectEnabled(false);
        long sent = client.now();
        scheduler.advance(SESSION.publishTimeout());

        client.publishTimesOut(sent);
        scheduler.runDue();

        assertEquals(1, client.forcedDisconnects());
        assertEquals(ConnectionState.DISCONNECTED, monitor.state());
        assertTrue(last().message().startsWith("connection to broker.example:8883 silent; reconnect disabled"),
                last().message());
        assertNull(scheduler.nextDelay(), "no CONNECT scheduled");
    }

    @Test
    void withReconnectionOffADroppedConnectionStaysDownAndSaysWhyOnce() {
        supervisor.start();
        scheduler.runDue();
        supervisor.reconnectEnabled(false);

        client.drop();
        scheduler.advance(Duration.ofMinutes(5));

        assertEquals(ConnectionState.DISCONNECTED, monitor.state());
        assertFalse(monitor.reconnectEnabled());
        assertEquals("connection to broker.example:8883 lost; reconnect disabled (POST /connection"
                + " {\"reconnect\": true} connects again)", last().message());
        assertEquals(1, monitor.history().stream().filter(e -> e.error() != null).count(), "one WARN");
        assertEquals(1, client.connects.size(), "no CONNECT while switched off");
        assertEquals(HealthCheck.State.DOWN, readiness());
        assertTrue(readinessMessage().contains("reconnect disabled"), readinessMessage());
    }

    @Test
    void stoppingDisconnectsAndClosesTheClient() {
        supervisor.start();
        scheduler.runDue();

        supervisor.stop(Duration.ofSeconds(1));

        assertFalse(supervisor.isConnected());
        assertTrue(client.closed());
        assertEquals(ConnectionState.DISCONNECTED, monitor.state());
    }

    @Test
    void aClockTheCertificateIsNotValidAtIsRetriedWithTheBackoffSayingWhyUntilItIsRight() {
        AtomicReference<Optional<String>> clockProblem = new AtomicReference<>(Optional.of(
                "the gateway's clock says 2000-01-01T00:00:00Z, but the certificate ...: is NTP running?"));
        supervisor.checkClockBeforeConnect(clockProblem::get);
        for (int i = 0; i < 3; i++) {
            client.failNextConnect(serverCertificateNotYetValid());
        }

        supervisor.start();
        scheduler.runDue();

        assertEquals(ConnectionState.RECONNECTING, monitor.state());
        String error = last().error();
        assertTrue(error.startsWith("TLS handshake with broker.example:8883 failed: the server's certificate is not"
                + " valid at the gateway's time 2025-01-01T00:00:00Z (is the gateway's clock right? is NTP running?);"
                + " the gateway's clock says 2000-01-01T00:00:00Z"), error);
        assertTrue(readinessMessage().contains("is NTP running?"), readinessMessage());
        assertEquals(Duration.ofSeconds(1), scheduler.nextDelay());
        scheduler.runNext();
        assertEquals(Duration.ofSeconds(2), scheduler.nextDelay());
        scheduler.runNext();
        assertEquals(Duration.ofSeconds(4), scheduler.nextDelay());

        clockProblem.set(Optional.empty());
        scheduler.runNext();

        assertEquals(ConnectionState.CONNECTED, monitor.state());
        assertEquals(4, client.connects.size(), "every attempt was a CONNECT: the broker judges by its own clock");
        assertEquals(HealthCheck.State.UP, readiness());
    }

    @Test
    void stepsOfTheWallClockDuringTheBackoffNeitherDelayNorHurryTheNextConnect() {
        client.refuseNextConnects(3);
        supervisor.start();
        scheduler.runDue();
        assertEquals(1, client.connects.size());

        wall.advance(Duration.ofDays(-1));
        assertEquals(Duration.ofSeconds(1), scheduler.nextDelay());
        scheduler.advance(Duration.ofSeconds(1));
        assertEquals(2, client.connects.size(), "the retry came after the back-off, not a day later");

        wall.advance(Duration.ofDays(365));
        scheduler.advance(Duration.ofMillis(1_999));
        assertEquals(2, client.connects.size(), "a step forward does not hurry the retry either");
        scheduler.advance(Duration.ofMillis(1));
        assertEquals(3, client.connects.size());

        wall.advance(Duration.ofDays(-400));
        scheduler.advance(Duration.ofSeconds(4));
        assertEquals(ConnectionState.CONNECTED, monitor.state());
        client.drop();
        wall.advance(Duration.ofDays(-1));
        scheduler.advance(Duration.ofSeconds(1));
        assertEquals(ConnectionState.CONNECTED, monitor.state(), "reconnected within the back-off after a step back");
        assertEquals(5, client.connects.size());
    }

    /** What Paho throws when Java's PKIX check finds the server's certificate not yet valid by the local clock. */
    private static MqttException serverCertificateNotYetValid() {
        CertPathValidatorException validity = new CertPathValidatorException("validity check failed",
                new CertificateNotYetValidException("NotBefore: Wed Jan 01 00:00:00 UTC 2025"), null, -1,
                CertPathValidatorException.BasicReason.NOT_YET_VALID);
        SSLHandshakeException handshake = new SSLHandshakeException("PKIX path validation failed: " + validity);
        handshake.initCause(validity);
        return new MqttException(MqttClientException.REASON_CODE_SERVER_CONNECT_ERROR, handshake);
    }

    private void withTokens() {
        TokenManager tokens = new TokenManager(provider, new CustomAuthorizerLogin(null, "uplink-authorizer", null,
                null), Duration.ofMinutes(5), BACKOFF, scheduler.clock(), scheduler::nanos, scheduler, supervisor::login,
                supervisor);
        supervisor.useCredentials(ConnectionSupervisor.Credentials.of(tokens::ensureFresh, tokens::invalidate));
    }

    private ConnectionEvent last() {
        List<ConnectionEvent> history = monitor.history();
        return history.get(history.size() - 1);
    }

    private HealthCheck.State readiness() {
        return readinessResult().getState();
    }

    private String readinessMessage() {
        return readinessResult().getMessage().orElse("");
    }

    private HealthCheck.Result readinessResult() {
        MqttConnectionHealthCheck check = new MqttConnectionHealthCheck(monitor);
        HealthCheckResultBuilder builder = HealthCheckResultBuilder.on(check);
        check.doCall(builder, Map.of());
        return builder.build();
    }

    private static List<Duration> retryDelaysInHistory(List<ConnectionEvent> events) {
        return events.stream().filter(e -> e.error() != null)
                .map(e -> e.message().substring(e.message().lastIndexOf("retrying in ") + "retrying in ".length()))
                .map(Durations::parse)
                .toList();
    }

    private static SSLSocketFactory socketFactory() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, null, null);
            return context.getSocketFactory();
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }
}
