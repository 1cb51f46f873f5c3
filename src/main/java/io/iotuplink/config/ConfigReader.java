package io.iotuplink.config;

import io.iotuplink.ConfigurationException;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reads {@link UplinkConfig} from Camel property keys, collecting every problem (one line each, naming the
 * environment variable) before failing, so a user fixes them all in one go.
 */
public final class ConfigReader {

    /** The publish route the jar ships: the project's {@code routes/publish.camel.yaml}, apart from the inputs. */
    public static final String BUILT_IN_PUBLISH_ROUTE = "classpath:publish/publish.camel.yaml";

    /** Port of the embedded broker in {@code --local} mode. */
    public static final String LOCAL_PORT = "uplink.local.port";

    private static final int MAX_CLIENT_ID_BYTES = 128;
    private static final int MAX_TOPIC_BYTES = 256;
    private static final int MAX_TOPIC_SLASHES = 7;

    private final Function<String, Optional<String>> properties;
    private final List<String> problems = new ArrayList<>();

    private ConfigReader(Function<String, Optional<String>> properties) {
        this.properties = properties;
    }

    /**
     * Reads and checks every value (but not the files the paths name: see {@code PemFiles}).
     *
     * @param properties looks a Camel property key up (with environment variables overriding)
     * @param local      whether {@code --local} runs against the embedded broker
     * @return the configuration, as complete as the values allow, and the problems found
     */
    public static Result read(Function<String, Optional<String>> properties, boolean local) {
        ConfigReader reader = new ConfigReader(properties);
        UplinkConfig config = reader.read(local);
        return new Result(config, List.copyOf(reader.problems));
    }

    /** A configuration and what is wrong with it; a path left unset is null. */
    public record Result(UplinkConfig config, List<String> problems) {

        /** The configuration, or a {@link ConfigurationException} listing every problem. */
        public UplinkConfig orThrow() {
            if (!problems.isEmpty()) {
                throw new ConfigurationException(problems);
            }
            return config;
        }
    }

    /** The environment variable Camel maps a property key to: upper case, {@code .} and {@code -} to {@code _}. */
    public static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private UplinkConfig read(boolean local) {
        String host;
        int port;
        Path dataDir = Path.of(text("uplink.data-dir").orElse("./data"));
        if (local) {
            host = "localhost";
            port = port(LOCAL_PORT, 8883);
        } else {
            int defaultPort = port("aws.iot.port", 8883);
            String[] endpoint = endpoint(defaultPort);
            host = endpoint[0];
            port = endpoint.length > 1 ? Integer.parseInt(endpoint[1]) : defaultPort;
        }
        httpPorts();
        AuthSettings auth = auth(local);
        Path localPki = dataDir.resolve("local-pki");
        boolean certificate = !auth.customAuthorizer();
        Path cert = certificate ? path("aws.iot.cert-path", local ? localPki.resolve("device.pem.crt") : null,
                "the device certificate (.pem.crt) downloaded when you created the certificate in AWS IoT") : null;
        Path key = certificate ? path("aws.iot.key-path", local ? localPki.resolve("private.pem.key") : null,
                "the private key (.pem.key) downloaded with the certificate") : null;
        // with a custom authorizer the CA is optional: the JDK's trust store holds Amazon's roots
        Path ca = certificate ? path("aws.iot.ca-path", local ? localPki.resolve("ca.pem") : null,
                "the Amazon root CA (AmazonRootCA1.pem)") : text("aws.iot.ca-path").map(Path::of).orElse(null);

        Optional<String> clientIdSetting = text("aws.iot.client-id");
        Optional<String> deviceIdSetting = text("device.id");
        String deviceId = deviceIdSetting.or(() -> clientIdSetting).orElseGet(ConfigReader::hostName);
        String clientId = clientIdSetting.orElse(deviceId);
        checkClientId(clientIdSetting.isPresent() ? "aws.iot.client-id" : "device.id", clientId);

        String prefix = text("uplink.topic-prefix").orElse("bombercat");
        checkTopicPrefix(prefix);

        MqttSession session = new MqttSession(
                duration("uplink.mqtt.keep-alive", "30s", Duration.ofSeconds(30), Duration.ofSeconds(1200),
                        "AWS IoT Core accepts 30s to 1200s"),
                bool("uplink.mqtt.clean-start", true),
                duration("uplink.mqtt.session-expiry", "0s", Duration.ZERO, Duration.ofSeconds(0xFFFFFFFFL), null),
                duration("uplink.mqtt.connect-timeout", "10s", Duration.ofSeconds(1), Duration.ofMinutes(5), null),
                duration("uplink.mqtt.publish-timeout", "10s", Duration.ofMillis(100), Duration.ofMinutes(5), null));

        Duration keepaliveInterval = duration("uplink.keepalive-interval", "25s", Duration.ZERO, Duration.ofDays(1),
                null);
        return new UplinkConfig(local, host, port, cert, key, ca, clientId, deviceId, prefix,
                keepaliveInterval,
                session, dataDir, Path.of(text("uplink.inbox").orElse("./inbox")),
                Path.of(text("uplink.routes-dir").orElse("./routes.d")),
                publishRoute(),
                text("uplink.serial.port").orElse(""),
                integer("uplink.serial.baud", 115200, 50, 4_000_000),
                duration("uplink.sample-interval", local ? "10s" : "0", Duration.ZERO, Duration.ofDays(1), null),
                backoff("uplink.publish.retry", 5),
                new OutboxLimits(integer("uplink.outbox.max-readings", 100_000, 1, Integer.MAX_VALUE),
                        byteSize("uplink.outbox.max-bytes", 64L << 20),
                        choice("uplink.outbox.when-full", "reject", "reject", "drop-oldest")),
                backoff("uplink.reconnect", 5),
                duration("uplink.shutdown-timeout", "10s", Duration.ZERO, Duration.ofMinutes(10), null),
                duration("uplink.tls.check-interval", "30s", Duration.ZERO, Duration.ofDays(1), null),
                auth,
                integer("uplink.max-publish-rate", 100, 0, 1_000_000),
                byteSize("uplink.max-bytes-rate", 512L << 10),
                choice("uplink.compress", "none", "none", "gzip"),
                integer("uplink.batch.max-readings", 1, 1, 10_000),
                duration("uplink.batch.max-delay", "1s", Duration.ZERO, Duration.ofMinutes(10), null),
                integer("uplink.max-inflight", 100, 1, 1_000),
                new InboxSettings(
                        duration("uplink.inbox.settle-time", "2s", Duration.ZERO, Duration.ofHours(1), null),
                        positiveByteSize("uplink.inbox.max-file-size", 64L << 20)),
                fileMode(),
                httpLimits(),
                new CommandLimits(integer("uplink.commands.concurrency", 1, 1, 64),
                        integer("uplink.commands.queue-size", 100, 1, 100_000)),
                timeToLive(keepaliveInterval),
                new DeadLetterLimits(integer("uplink.dead-letter.max-readings", 10_000, 1, Integer.MAX_VALUE),
                        positiveByteSize("uplink.dead-letter.max-bytes", 64L << 20)));
    }

    /** {@code uplink.outbox.ttl.*}: off for telemetry and events, two keepalive intervals for keepalive events. */
    private TimeToLive timeToLive(Duration keepaliveInterval) {
        String twoIntervals = Durations.format(keepaliveInterval.multipliedBy(2));
        return new TimeToLive(
                duration("uplink.outbox.ttl.telemetry", "0", Duration.ZERO, Duration.ofDays(3650), null),
                duration("uplink.outbox.ttl.event", "0", Duration.ZERO, Duration.ofDays(3650), null),
                duration("uplink.outbox.ttl.keepalive", twoIntervals, Duration.ZERO, Duration.ofDays(3650), null));
    }

    /** {@code uplink.file-mode}: who may read the outbox and the dead letters. */
    private FileMode fileMode() {
        Optional<String> value = text("uplink.file-mode");
        if (value.isEmpty()) {
            return FileMode.PRIVATE;
        }
        try {
            return FileMode.parse(value.get());
        } catch (IllegalArgumentException e) {
            problems.add(envName("uplink.file-mode") + "=" + value.get() + ": " + e.getMessage());
            return FileMode.PRIVATE;
        }
    }

    private HttpLimits httpLimits() {
        long maxBodySize = byteSize("uplink.http.max-body-size", 4L << 20);
        if (maxBodySize < 1024 || maxBodySize > (1L << 30)) {
            problems.add(envName("uplink.http.max-body-size") + "=" + maxBodySize
                    + ": must be between 1KB and 1GB (the largest request body the HTTP API reads)");
        }
        return new HttpLimits(maxBodySize,
                duration("uplink.http.idle-timeout", "30s", Duration.ofMillis(100), Duration.ofHours(1), null),
                duration("uplink.http.request-timeout", "60s", Duration.ofMillis(100), Duration.ofHours(1), null));
    }

    /** The publish route's YAML file: the built-in one, or a user's copy that must exist. */
    private String publishRoute() {
        String location = text("uplink.publish-route").orElse(BUILT_IN_PUBLISH_ROUTE);
        if (!location.startsWith("classpath:")) {
            Path file = Path.of(location.startsWith("file:") ? location.substring("file:".length()) : location);
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                problems.add(envName("uplink.publish-route") + "=" + location + ": "
                        + (Files.exists(file) ? "not a readable file" : "file not found")
                        + " (copy routes/publish.camel.yaml from the project and edit it, or unset it for the"
                        + " built-in route)");
            }
            return "file:" + file.toAbsolutePath();
        }
        return location;
    }

    private String[] endpoint(int defaultPort) {
        Optional<String> value = text("aws.iot.endpoint");
        if (value.isEmpty()) {
            problems.add("AWS_IOT_ENDPOINT is not set: give your device data endpoint (AWS IoT console > Settings,"
                    + " like xxxxx-ats.iot.us-east-1.amazonaws.com), or run with --local to use the embedded broker");
            return new String[] {"invalid.invalid"};
        }
        String endpoint = value.get();
        String[] parts = endpoint.split(":");
        if (endpoint.contains("/") || parts.length > 2 || parts[0].isEmpty()) {
            problems.add("AWS_IOT_ENDPOINT=" + endpoint + ": not a host name; write host or host:port"
                    + " (like xxxxx-ats.iot.us-east-1.amazonaws.com), without a scheme or path");
            return new String[] {"invalid.invalid"};
        }
        if (parts.length == 2) {
            try {
                int port = Integer.parseInt(parts[1]);
                if (port < 1 || port > 65535) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                problems.add("AWS_IOT_ENDPOINT=" + endpoint + ": '" + parts[1] + "' is not a port (1-65535)");
                return new String[] {parts[0], String.valueOf(defaultPort)};
            }
        }
        return parts;
    }

    private void checkClientId(String key, String clientId) {
        String var = envName(key);
        if (clientId.isEmpty()) {
            problems.add(var + " is empty: set AWS_IOT_CLIENT_ID to the thing name the policy allows to connect");
        } else if (clientId.startsWith("$")) {
            problems.add(var + "=" + clientId + ": a client id may not start with '$' (AWS IoT reserves it)");
        } else if (clientId.getBytes(StandardCharsets.UTF_8).length > MAX_CLIENT_ID_BYTES) {
            problems.add(var + "=" + clientId + ": longer than " + MAX_CLIENT_ID_BYTES
                    + " bytes, the AWS IoT Core limit for a client id");
        }
    }

    private void checkTopicPrefix(String prefix) {
        String var = envName("uplink.topic-prefix");
        String longest = prefix + "/telemetry";
        if (prefix.isEmpty() || prefix.startsWith("/") || prefix.endsWith("/") || prefix.contains("//")) {
            problems.add(var + "=" + prefix + ": not a topic prefix; write levels separated by '/', like bombercat");
        } else if (prefix.contains("+") || prefix.contains("#")) {
            problems.add(var + "=" + prefix + ": a topic prefix may not contain the wildcards '+' or '#'");
        } else if (prefix.startsWith("$")) {
            problems.add(var + "=" + prefix + ": topics starting with '$' are reserved by AWS IoT");
        } else if (longest.getBytes(StandardCharsets.UTF_8).length > MAX_TOPIC_BYTES) {
            problems.add(var + "=" + prefix + ": topics under it would exceed " + MAX_TOPIC_BYTES
                    + " bytes, the AWS IoT Core limit");
        } else if ((prefix + "/commands/x").chars().filter(c -> c == '/').count() > MAX_TOPIC_SLASHES) {
            problems.add(var + "=" + prefix + ": too many levels; AWS IoT Core allows at most " + MAX_TOPIC_SLASHES
                    + " slashes in a topic and {prefix}/commands/{name} needs two of them");
        }
    }

    private AuthSettings auth(boolean local) {
        String mode = choice("uplink.auth", AuthSettings.MTLS, AuthSettings.MTLS, AuthSettings.CUSTOM_AUTHORIZER);
        Duration threshold = duration("uplink.token.refresh-threshold", "15m", Duration.ZERO, Duration.ofDays(1), null);
        Optional<String> command = text("uplink.token.command");
        Optional<String> file = text("uplink.token.file");
        Optional<String> url = text("uplink.token.url");
        if (AuthSettings.CUSTOM_AUTHORIZER.equals(mode)) {
            if (local) {
                problems.add("UPLINK_AUTH=custom-authorizer: --local uses certificates; leave UPLINK_AUTH unset");
            }
            if (text("aws.iot.authorizer-name").isEmpty()) {
                problems.add("AWS_IOT_AUTHORIZER_NAME is not set: give the name of the custom authorizer"
                        + " (AWS IoT console > Security > Authorizers)");
            }
            long providers = java.util.stream.Stream.of(command, file, url).filter(Optional::isPresent).count();
            if (providers != 1) {
                problems.add("UPLINK_AUTH=custom-authorizer needs exactly one token provider: set one of"
                        + " UPLINK_TOKEN_COMMAND, UPLINK_TOKEN_FILE or UPLINK_TOKEN_URL (" + providers + " set)");
            }
            if (text("aws.iot.token-key-name").isPresent() != text("aws.iot.token-signature").isPresent()) {
                problems.add("AWS_IOT_TOKEN_KEY_NAME and AWS_IOT_TOKEN_SIGNATURE go together (a signed authorizer"
                        + " needs both)");
            }
            url.ifPresent(u -> {
                if (!u.startsWith("https://") && !u.startsWith("http://")) {
                    problems.add("UPLINK_TOKEN_URL: not an http(s) URL");
                }
            });
        }
        return new AuthSettings(mode, text("aws.iot.username").orElse(null),
                text("aws.iot.authorizer-name").orElse(null), text("aws.iot.token-key-name").orElse(null),
                text("aws.iot.token-signature").orElse(null), command.orElse(null), file.orElse(null),
                url.orElse(null), threshold);
    }

    private Backoff backoff(String prefix, int defaultAttempts) {
        return new Backoff(
                bool(prefix + ".enabled", true),
                integer(prefix + ".max-attempts", defaultAttempts, 0, 1_000_000),
                duration(prefix + ".initial-delay", "1s", Duration.ZERO, Duration.ofHours(1), null),
                duration(prefix + ".max-delay", "60s", Duration.ZERO, Duration.ofDays(1), null),
                decimal(prefix + ".multiplier", 2.0, 1.0, 100.0),
                decimal(prefix + ".jitter", 0.2, 0.0, 1.0));
    }

    private Path path(String key, Path localDefault, String what) {
        Optional<String> value = text(key);
        if (value.isPresent()) {
            return Path.of(value.get());
        }
        if (localDefault != null) {
            return localDefault;
        }
        problems.add(envName(key) + " is not set: give the path of " + what);
        return null;
    }

    private Duration duration(String key, String defaultValue, Duration min, Duration max, String why) {
        String value = text(key).orElse(defaultValue);
        Duration d;
        try {
            d = Durations.parse(value);
        } catch (IllegalArgumentException e) {
            problems.add(envName(key) + "=" + value + ": " + e.getMessage());
            return Durations.parse(defaultValue);
        }
        boolean zeroAllowed = min.isZero();
        if (d.compareTo(max) > 0 || (d.compareTo(min) < 0 && !zeroAllowed)) {
            problems.add(envName(key) + "=" + value + ": must be between " + Durations.format(min) + " and "
                    + Durations.format(max) + (why == null ? "" : " (" + why + ")"));
        }
        return d;
    }

    /** A size in bytes: {@code 1048576}, {@code 512KB}, {@code 64MB}, {@code 1GB} (powers of 1024). */
    private long byteSize(String key, long defaultValue) {
        Optional<String> value = text(key);
        if (value.isEmpty()) {
            return defaultValue;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)\\s*(KB|MB|GB|KIB|MIB|GIB|B)?")
                .matcher(value.get().toUpperCase(Locale.ROOT));
        if (!m.matches()) {
            problems.add(envName(key) + "=" + value.get() + ": not a size (write 1048576, 512KB, 64MB or 1GB)");
            return defaultValue;
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2).replace("I", "");
        return switch (unit) {
            case "KB" -> n << 10;
            case "MB" -> n << 20;
            case "GB" -> n << 30;
            default -> n;
        };
    }

    private long positiveByteSize(String key, long defaultValue) {
        long size = byteSize(key, defaultValue);
        if (size < 1) {
            problems.add(envName(key) + "=" + text(key).orElse("") + ": must be at least 1 byte");
            return defaultValue;
        }
        return size;
    }

    /**
     * The HTTP server's ports: camel-main takes a value that is no number for "any free port" and fails on one out
     * of range with a stack trace, so both are named here first.
     */
    private void httpPorts() {
        if (!"true".equalsIgnoreCase(text("camel.server.enabled").orElse("false"))) {
            return;
        }
        port("camel.server.port", 8080);
        Optional<String> management = text("camel.management.port");
        if (management.isPresent() && !management.equals(text("camel.server.port"))) {
            port("camel.management.port", 8080);
        }
    }

    /** A TCP port: a whole number from 1 to 65535. */
    private int port(String key, int defaultValue) {
        Optional<String> value = text(key);
        if (value.isEmpty()) {
            return defaultValue;
        }
        try {
            int n = Integer.parseInt(value.get());
            if (n >= 1 && n <= 65535) {
                return n;
            }
        } catch (NumberFormatException e) {
            // named below, like a number out of range
        }
        problems.add(envName(key) + "=" + value.get() + ": not a port; write a whole number from 1 to 65535");
        return defaultValue;
    }

    private String choice(String key, String defaultValue, String... allowed) {
        String value = text(key).orElse(defaultValue).toLowerCase(Locale.ROOT);
        if (!List.of(allowed).contains(value)) {
            problems.add(envName(key) + "=" + value + ": write one of " + String.join(", ", allowed));
            return defaultValue;
        }
        return value;
    }

    private int integer(String key, int defaultValue, int min, int max) {
        Optional<String> value = text(key);
        if (value.isEmpty()) {
            return defaultValue;
        }
        try {
            int n = Integer.parseInt(value.get());
            if (n < min || n > max) {
                problems.add(envName(key) + "=" + value.get() + ": must be between " + min + " and " + max);
            }
            return n;
        } catch (NumberFormatException e) {
            problems.add(envName(key) + "=" + value.get() + ": not a whole number");
            return defaultValue;
        }
    }

    private double decimal(String key, double defaultValue, double min, double max) {
        Optional<String> value = text(key);
        if (value.isEmpty()) {
            return defaultValue;
        }
        try {
            double n = Double.parseDouble(value.get());
            if (!(n >= min && n <= max)) {
                problems.add(envName(key) + "=" + value.get() + ": must be between " + min + " and " + max);
            }
            return n;
        } catch (NumberFormatException e) {
            problems.add(envName(key) + "=" + value.get() + ": not a number");
            return defaultValue;
        }
    }

    private boolean bool(String key, boolean defaultValue) {
        Optional<String> value = text(key);
        if (value.isEmpty()) {
            return defaultValue;
        }
        return switch (value.get().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> {
                problems.add(envName(key) + "=" + value.get() + ": write true or false");
                yield defaultValue;
            }
        };
    }

    private Optional<String> text(String key) {
        return properties.apply(key).map(String::trim).filter(v -> !v.isEmpty());
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "iot-uplink";
        }
    }
}
