package io.iotuplink.config;

import java.nio.file.Path;
import java.time.Duration;

/** The validated configuration of one running bundle, built once at start by {@link ConfigReader}. */
public record UplinkConfig(
        boolean local,
        String endpointHost,
        int port,
        Path certPath,
        Path keyPath,
        Path caPath,
        String clientId,
        String deviceId,
        String topicPrefix,
        Duration keepaliveInterval,
        MqttSession mqtt,
        Path dataDir,
        Path inbox,
        Path routesDir,
        String publishRoute,
        String serialPort,
        int serialBaud,
        Duration sampleInterval,
        Backoff publishRetry,
        OutboxLimits outbox,
        Backoff reconnect,
        Duration shutdownTimeout,
        Duration certificateCheckInterval,
        AuthSettings auth,
        int maxPublishRate,
        long maxBytesRate,
        String compress,
        int batchMaxReadings,
        Duration batchMaxDelay,
        int maxInflight,
        InboxSettings inboxSettings,
        FileMode fileMode,
        HttpLimits http,
        CommandLimits commands,
        TimeToLive timeToLive,
        DeadLetterLimits deadLetters) {

    public String telemetryTopic() {
        return topicPrefix + "/telemetry";
    }

    public String eventsTopic() {
        return topicPrefix + "/events";
    }

    public String commandsFilter() {
        return topicPrefix + "/commands/#";
    }

    /** The Paho server URI; always TLS. */
    public String serverUri() {
        return "ssl://" + endpointHost + ":" + port;
    }

    /** {@code host:port}, as the status and the start log show it. */
    public String endpoint() {
        return endpointHost + ":" + port;
    }

    /**
     * The outbox file: {@code --local} keeps its own ({@code outbox-local.db}), so its throwaway readings and a real
     * run's never meet.
     */
    public Path outboxFile() {
        return dataDir.resolve(local ? "outbox-local.db" : "outbox.db");
    }

    public Path deadLetterDir() {
        return dataDir.resolve("dead-letter");
    }

    public Path localPkiDir() {
        return dataDir.resolve("local-pki");
    }
}
