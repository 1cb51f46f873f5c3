package io.iotuplink.mqtt;

import io.iotuplink.config.MqttSession;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;

import javax.net.ssl.SSLSocketFactory;

/** Builds Paho's CONNECT options from the session settings: mutual TLS, hostname verification, our own reconnect. */
public final class MqttOptions {

    private MqttOptions() {
    }

    public static MqttConnectionOptions connect(MqttSession session, SSLSocketFactory tls) {
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setSocketFactory(tls);
        options.setHttpsHostnameVerificationEnabled(true);
        options.setKeepAliveInterval((int) session.keepAlive().toSeconds());
        options.setCleanStart(session.cleanStart());
        options.setSessionExpiryInterval(session.sessionExpiry().toSeconds());
        options.setConnectionTimeout((int) Math.max(1, session.connectTimeout().toSeconds()));
        // reconnecting is the ConnectionSupervisor's job: Paho's own loop would bypass the back-off policy
        options.setAutomaticReconnect(false);
        return options;
    }
}
