package io.iotuplink.config;

import java.time.Duration;

/**
 * How the device proves who it is: {@code mtls} (the certificate, the default) or {@code custom-authorizer} (a
 * token from one provider, sent as the MQTT password to an AWS IoT Core custom authorizer).
 */
public record AuthSettings(String mode, String username, String authorizerName, String tokenKeyName,
        String tokenSignature, String tokenCommand, String tokenFile, String tokenUrl, Duration refreshThreshold) {

    public static final String MTLS = "mtls";
    public static final String CUSTOM_AUTHORIZER = "custom-authorizer";

    public boolean customAuthorizer() {
        return CUSTOM_AUTHORIZER.equals(mode);
    }
}
