package io.iotuplink.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names the {@code UPLINK_*} and {@code AWS_IOT_*} environment variables the bundle does not read, each with the
 * closest name it does: a misspelt variable ({@code UPLINK_COMPRES}) is otherwise ignored without a word.
 */
public final class UnknownVariables {

    private static final List<String> PREFIXES = List.of("UPLINK_", "AWS_IOT_");
    /** Read by the launcher (bin/iot-uplink) and the logging set-up, never as Camel properties. */
    private static final Set<String> OUTSIDE_PROPERTIES = Set.of("UPLINK_LOG_FORMAT", "UPLINK_LOG_FILE",
            "UPLINK_LOG_LEVEL", "UPLINK_JVM_OPTIONS", "UPLINK_CDS_DIR");
    /** A key in application.properties, set or commented out ("# aws.iot.endpoint = ..."). */
    private static final Pattern DOCUMENTED_KEY = Pattern.compile("^#?\\s*([a-z][a-z0-9.-]*)\\s*=", Pattern.MULTILINE);

    private UnknownVariables() {
    }

    /**
     * One line for each variable of {@code environment} with the bundle's prefixes that is none of {@code keysRead}
     * (Camel property keys) nor of the keys application.properties documents.
     */
    public static List<String> warnings(Map<String, String> environment, Collection<String> keysRead) {
        Set<String> known = new TreeSet<>(OUTSIDE_PROPERTIES);
        keysRead.forEach(key -> known.add(ConfigReader.envName(key)));
        documentedKeys().forEach(key -> known.add(ConfigReader.envName(key)));
        List<String> warnings = new ArrayList<>();
        new TreeSet<>(environment.keySet()).stream()
                .filter(name -> PREFIXES.stream().anyMatch(name::startsWith))
                .filter(name -> !known.contains(name))
                .forEach(name -> warnings.add(name + " is set, but iot-uplink has no such setting and ignores it"
                        + " (did you mean " + ClosestName.among(name, known).orElse("")
                        + "? see docs/configuration.md)"));
        return warnings;
    }

    /** The keys application.properties names, commented out or not. */
    static Set<String> documentedKeys() {
        Set<String> keys = new TreeSet<>();
        try (InputStream in = UnknownVariables.class.getResourceAsStream("/application.properties")) {
            if (in == null) {
                return keys;
            }
            Matcher matcher = DOCUMENTED_KEY.matcher(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            while (matcher.find()) {
                keys.add(matcher.group(1));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return keys;
    }
}
