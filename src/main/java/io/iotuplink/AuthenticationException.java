package io.iotuplink;

/** The broker refused the client's credentials or certificate. */
public class AuthenticationException extends UplinkException {

    public AuthenticationException(String message) {
        super(message);
    }

    public AuthenticationException(String message, Throwable cause) {
        super(message, cause);
    }
}
