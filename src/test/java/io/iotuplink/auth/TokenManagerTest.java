package io.iotuplink.auth;

import io.iotuplink.TokenRefreshException;
import io.iotuplink.config.Backoff;
import io.iotuplink.support.ManualScheduler;
import io.iotuplink.support.SimulatedClock;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The token manager in simulated time: when it asks the provider, and what it reports. */
class TokenManagerTest {

    private static final Backoff BACKOFF = new Backoff(true, 3, Duration.ofSeconds(1), Duration.ofSeconds(60), 2.0,
            0);

    private final ManualScheduler scheduler = new ManualScheduler();
    /** Tokens live an hour and are refreshed 5 minutes before they expire. */
    private final SwitchableTokenProvider provider = new SwitchableTokenProvider(scheduler.clock(), 3600);
    private final List<String> events = new ArrayList<>();
    private final List<String> passwords = new ArrayList<>();
    private final TokenManager tokens = new TokenManager(provider, new CustomAuthorizerLogin(null, "uplink-authorizer",
            null, null), Duration.ofMinutes(5), BACKOFF, scheduler.clock(), scheduler::nanos, scheduler,
            (username, password) -> passwords.add(new String(password, StandardCharsets.UTF_8)),
            new TokenEvents() {
                @Override
                public void refreshFailed(TokenRefreshException failure, Duration retryIn) {
                    events.add("failed: " + failure.getMessage() + ", again in " + retryIn);
                }

                @Override
                public void refreshRecovered() {
                    events.add("recovered");
                }
            });

    @Test
    void stepsOfTheWallClockNeitherExpireATokenNorLengthenItsLife() {
        SimulatedClock wall = new SimulatedClock(Instant.parse("2025-01-01T00:00:00Z"));
        SwitchableTokenProvider byWall = new SwitchableTokenProvider(wall, 3600);
        List<String> used = new ArrayList<>();
        TokenManager manager = new TokenManager(byWall, new CustomAuthorizerLogin(null, "uplink-authorizer", null,
                null), Duration.ofMinutes(5), BACKOFF, wall, scheduler::nanos, scheduler,
                (username, password) -> used.add(new String(password, StandardCharsets.UTF_8)), new TokenEvents() {
                    @Override
                    public void refreshFailed(TokenRefreshException failure, Duration retryIn) {
                        events.add("failed");
                    }

                    @Override
                    public void refreshRecovered() {
                        events.add("recovered");
                    }
                });

        manager.ensureFresh();
        wall.advance(Duration.ofDays(365));
        manager.ensureFresh();
        assertEquals(List.of("secret-1"), used, "a step of a year forward did not expire the token");

        wall.advance(Duration.ofDays(-366));
        assertEquals(Duration.ofMinutes(55), scheduler.nextDelay(), "the refresh waits on monotonic time");
        scheduler.advance(Duration.ofMinutes(55));
        assertEquals(List.of("secret-1", "secret-2"), used, "a step back did not put the refresh off");

        manager.stop();
        wall.advance(Duration.ofDays(-1));
        scheduler.advance(Duration.ofMinutes(60));
        manager.ensureFresh();
        assertEquals(List.of("secret-1", "secret-2", "secret-3"), used,
                "after its hour the token is expired, though the wall clock went back a day");
    }

    @Test
    void theTokenManagerNeverWritesTheConnectionState() {
        assertTrue(Arrays.stream(TokenManager.class.getDeclaredFields())
                        .noneMatch(f -> f.getType().getPackageName().equals("io.iotuplink.connection")),
                "the token manager holds nothing of the connection's");
        tokens.ensureFresh();
        provider.works(false);

        scheduler.advance(Duration.ofMinutes(55));

        assertEquals(List.of("failed: " + SwitchableTokenProvider.FAILURE + ", again in PT1S"), events);
        assertEquals(List.of("secret-1"), passwords, "the token handed out stays in use");
    }

    @Test
    void aBackgroundRefreshIsRetriedWithTheBackoffUntilTheProviderWorksAgain() {
        tokens.ensureFresh();
        provider.works(false);
        scheduler.advance(Duration.ofMinutes(55));
        scheduler.runNext();
        scheduler.runNext();
        scheduler.runNext();
        provider.works(true);
        scheduler.runNext();

        assertEquals(List.of("failed: " + SwitchableTokenProvider.FAILURE + ", again in PT1S",
                "failed: " + SwitchableTokenProvider.FAILURE + ", again in PT2S",
                "failed: " + SwitchableTokenProvider.FAILURE + ", again in PT4S",
                "failed: " + SwitchableTokenProvider.FAILURE + ", again in PT4S",
                "recovered"), events, "the delay stops growing at the policy's last step");
        assertEquals(List.of("secret-1", "secret-2"), passwords);
        assertEquals(Duration.ofMinutes(55), scheduler.nextDelay(), "the next refresh before the new token expires");
    }

    @Test
    void aConnectWithoutATokenGetsTheProvidersErrorAndNoBackgroundLoop() {
        provider.works(false);

        TokenRefreshException thrown = assertThrows(TokenRefreshException.class, tokens::ensureFresh);

        assertEquals(SwitchableTokenProvider.FAILURE, thrown.getMessage());
        assertEquals(List.of(), events, "the caller reports it and retries the CONNECT");
        assertEquals(null, scheduler.nextDelay());
    }

    @Test
    void aTokenStillValidIsUsedWhileBackgroundRefreshesFail() {
        tokens.ensureFresh();
        provider.works(false);
        scheduler.advance(Duration.ofMinutes(55));
        int asked = provider.asked();

        tokens.ensureFresh();

        assertEquals(asked, provider.asked(), "no provider call for a CONNECT while the token is valid");
    }

    @Test
    void aRefusedTokenIsReplacedBeforeTheNextConnect() {
        tokens.ensureFresh();
        tokens.invalidate();

        tokens.ensureFresh();

        assertEquals(List.of("secret-1", "secret-2"), passwords);
    }
}
