package io.iotuplink.connection;

import io.iotuplink.AuthenticationException;
import io.iotuplink.ConnectionException;
import io.iotuplink.UplinkException;
import io.iotuplink.mqtt.ReasonCodes;
import org.eclipse.paho.mqttv5.common.MqttException;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.time.Instant;
import javax.net.ssl.SSLHandshakeException;

/** Turns what Paho and the TLS stack throw on CONNECT into an error that says what to check. */
final class ConnectFailure {

    private ConnectFailure() {
    }

    /**
     * @param endpoint  {@code host:port}
     * @param clientId  the MQTT client id
     * @param caSetting {@code AWS_IOT_CA_PATH=...}, named when the server is not trusted
     * @param now       the gateway's wall-clock time, named when the server's certificate is judged by it
     */
    static UplinkException classify(Throwable failure, String endpoint, String clientId, String caSetting,
            Instant now) {
        if (failure instanceof MqttException mqtt && mqtt.getReasonCode() >= 0x80 && mqtt.getReasonCode() < 0x100) {
            int code = mqtt.getReasonCode();
            String refused = "the broker at " + endpoint + " refused the connection: CONNACK " + ReasonCodes.describe(code);
            return switch (code) {
                case 0x85, 0x86, 0x87, 0x8A, 0x8C -> new AuthenticationException(refused
                        + " (is the certificate active, and does its policy allow iot:Connect for client id '"
                        + clientId + "'?)", failure);
                default -> new ConnectionException(refused, failure);
            };
        }
        // the most specific cause wins: a certificate problem sits below the SSLHandshakeException that carries it
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (outsideValidity(t)) {
                return new ConnectionException("TLS handshake with " + endpoint + " failed: the server's certificate"
                        + " is not valid at the gateway's time " + now + " (is the gateway's clock right? is NTP"
                        + " running?)", failure);
            }
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof CertPathBuilderException || t instanceof CertPathValidatorException) {
                return new ConnectionException("TLS handshake with " + endpoint + " failed: the server's certificate"
                        + " is not signed by a CA in " + caSetting + " (for AWS IoT Core use AmazonRootCA1.pem)", failure);
            }
            if (t instanceof CertificateException && String.valueOf(t.getMessage()).contains("No ")) {
                return new ConnectionException("TLS handshake with " + endpoint + " failed: the server's certificate"
                        + " does not name this host (" + t.getMessage() + "); check AWS_IOT_ENDPOINT", failure);
            }
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SSLHandshakeException) {
                String alert = String.valueOf(t.getMessage());
                String hint = alert.contains("certificate") || alert.contains("handshake_failure")
                        ? " (the broker refused the device certificate: is it registered and active in AWS IoT?)" : "";
                return new AuthenticationException("TLS handshake with " + endpoint + " failed: " + alert + hint,
                        failure);
            }
            if (t instanceof UnknownHostException) {
                return new ConnectionException("cannot resolve the host of " + endpoint
                        + " (check AWS_IOT_ENDPOINT and the gateway's DNS)", failure);
            }
            if (t instanceof ConnectException) {
                return new ConnectionException("nothing accepts connections at " + endpoint + " ("
                        + t.getMessage() + ")", failure);
            }
            if (t instanceof SocketTimeoutException) {
                return new ConnectionException("no answer from " + endpoint + " in time (is the port open"
                        + " on the way out?)", failure);
            }
        }
        return new ConnectionException("cannot connect to " + endpoint + ": " + ReasonCodes.describe(failure), failure);
    }

    /** Java's PKIX checks judge the server's certificate by the wall clock: a wrong clock fails them. */
    private static boolean outsideValidity(Throwable t) {
        if (t instanceof CertificateExpiredException || t instanceof CertificateNotYetValidException) {
            return true;
        }
        return t instanceof CertPathValidatorException invalid
                && (invalid.getReason() == CertPathValidatorException.BasicReason.EXPIRED
                        || invalid.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID);
    }
}
