package io.iotuplink.auth;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * The MQTT user name for an AWS IoT Core custom authorizer, as AWS documents it:
 * {@code {username}?x-amz-customauthorizer-name={name}} and, for a signed authorizer,
 * {@code &{token-key-name}={token}&x-amz-customauthorizer-signature={signature}}, values URL-encoded.
 */
public record CustomAuthorizerLogin(String username, String authorizerName, String tokenKeyName,
        String tokenSignature) {

    /** The user name to send with {@code token} (a provider's user name, if any, wins over the configured one). */
    public String mqttUsername(Token token) {
        String user = token.username() != null ? token.username() : username;
        StringBuilder name = new StringBuilder(user == null ? "" : user)
                .append("?x-amz-customauthorizer-name=").append(encode(authorizerName));
        if (tokenKeyName != null && tokenSignature != null) {
            name.append('&').append(encode(tokenKeyName)).append('=').append(encode(token.accessToken()))
                    .append("&x-amz-customauthorizer-signature=").append(encode(tokenSignature));
        }
        return name.toString();
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
