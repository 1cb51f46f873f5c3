package io.iotuplink.auth;

import io.iotuplink.config.ConfigReader;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CustomAuthorizerLoginTest {

    private static final Token TOKEN = new Token("a b+c/=", null, Instant.EPOCH);

    @Test
    void anUnsignedAuthorizerNamesItselfInTheUserName() {
        assertEquals("device?x-amz-customauthorizer-name=My+Authorizer",
                new CustomAuthorizerLogin("device", "My Authorizer", null, null).mqttUsername(TOKEN));
    }

    @Test
    void aSignedAuthorizerCarriesTheTokenAndSignatureUrlEncoded() {
        assertEquals("device?x-amz-customauthorizer-name=Auth&tokenKey=a+b%2Bc%2F%3D"
                        + "&x-amz-customauthorizer-signature=sig%2Fnature%3D",
                new CustomAuthorizerLogin("device", "Auth", "tokenKey", "sig/nature=").mqttUsername(TOKEN));
    }

    @Test
    void theProvidersUserNameWins() {
        assertTrue(new CustomAuthorizerLogin("configured", "Auth", null, null)
                .mqttUsername(new Token("t", "from-provider", Instant.EPOCH)).startsWith("from-provider?"));
    }

    @Test
    void theTokenIsNeverInItsToString() {
        assertTrue(!TOKEN.toString().contains("a b+c"));
    }

    @Test
    void aCustomAuthorizerNeedsItsNameAndExactlyOneProvider() {
        Map<String, String> p = new HashMap<>(Map.of("aws.iot.endpoint", "x-ats.iot.eu-west-1.amazonaws.com",
                "uplink.auth", "custom-authorizer", "uplink.token.file", "/run/token.json",
                "uplink.token.command", "get-token"));

        var problems = ConfigReader.read(k -> Optional.ofNullable(p.get(k)), false).problems();

        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("AWS_IOT_AUTHORIZER_NAME is not set"), problems.toString());
        assertTrue(problems.get(1).contains("exactly one token provider"), problems.toString());
        assertTrue(problems.stream().noneMatch(x -> x.contains("AWS_IOT_CERT_PATH")), "no certificate needed");
    }
}
