package io.iotuplink.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotuplink.ConfigurationException;
import io.iotuplink.config.ConfigReader;
import io.iotuplink.config.Durations;
import io.iotuplink.config.UplinkConfig;
import io.iotuplink.datadir.DataDirLock;
import io.iotuplink.deadletter.DeadLetter;
import io.iotuplink.deadletter.DeadLetters;
import io.iotuplink.outbox.Lane;
import io.iotuplink.outbox.OutboxTarget;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The operator's commands ({@code outbox status | list | retarget | drop}, {@code dead-letter list | replay}): the
 * bundle's configuration, its data dir's lock for as long as they run, then plain SQL on the outbox file and the
 * dead-letter directory. Exit codes: 0 done, 1 not done (a confirmation missing, something left), 2 the command
 * line, the configuration, or the data dir in use.
 */
public final class OperatorCommands {

    public static final int DONE = 0;
    public static final int NOT_DONE = 1;
    public static final int USAGE = 2;

    private static final String LOCAL = "--local";
    private static final String YES = "--yes";
    private static final String ALL = "--all";
    private static final String LANE = "--lane";
    private static final String LIMIT = "--limit";
    private static final String OLDER_THAN = "--older-than";

    private final Function<String, Optional<String>> properties;
    private final Clock clock;
    private final PrintStream out;
    private final PrintStream err;
    private final ObjectMapper json = new ObjectMapper();

    private OperatorCommands(Function<String, Optional<String>> properties, Clock clock, PrintStream out,
            PrintStream err) {
        this.properties = properties;
        this.clock = clock;
        this.out = out;
        this.err = err;
    }

    /** Whether {@code word}, the first of a command line, names one of these commands. */
    public static boolean names(String word) {
        return "outbox".equals(word) || "dead-letter".equals(word);
    }

    /**
     * Runs one command.
     *
     * @param args       the whole command line ({@code outbox drop --all --yes})
     * @param properties looks a property key up as the bundle would (environment variables, application.properties)
     * @return the exit code
     */
    public static int run(List<String> args, Function<String, Optional<String>> properties, Clock clock,
            PrintStream out, PrintStream err) {
        return new OperatorCommands(properties, clock, out, err).run(args);
    }

    private int run(List<String> args) {
        String name = String.join(" ", args.subList(0, Math.min(2, args.size())));
        List<String> words = args.subList(Math.min(2, args.size()), args.size());
        try {
            return switch (name) {
                case "outbox status" -> withOutbox(name, words, Set.of(), Set.of(), (config, db, a) -> {
                    Map<String, Object> status = OutboxSummary.of(db);
                    status.put("configured_target", OutboxTarget.Target.of(config).toString());
                    DeadLetters letters = DeadLetters.read(config.deadLetterDir());
                    Map<String, Object> dead = new LinkedHashMap<>();
                    dead.put("readings", letters.count());
                    dead.put("bytes", letters.bytes());
                    status.put("dead_letters", dead);
                    out.println(json.writerWithDefaultPrettyPrinter().writeValueAsString(status));
                    return DONE;
                });
                case "outbox list" -> withOutbox(name, words, Set.of(), Set.of(LANE, LIMIT), (config, db, a) -> {
                    Lane lane = a.value(LANE).map(OperatorCommands::lane).orElse(null);
                    long limit = a.value(LIMIT).map(OperatorCommands::limit).orElse(Long.MAX_VALUE);
                    OutboxListing.print(db, lane, limit, json, out);
                    return DONE;
                });
                case "outbox retarget" -> withOutbox(name, words, Set.of(YES), Set.of(), this::retarget);
                case "outbox drop" -> withOutbox(name, words, Set.of(YES, ALL), Set.of(LANE, OLDER_THAN),
                        this::drop);
                case "dead-letter list" -> withDataDir(name, words, Set.of(), Set.of(), (config, a) -> {
                    for (DeadLetter letter : DeadLetters.read(config.deadLetterDir()).list()) {
                        out.println(json.writeValueAsString(describe(letter)));
                    }
                    return DONE;
                });
                case "dead-letter replay" -> withOutbox(name, words, Set.of(ALL), Set.of(), this::replay);
                default -> throw new Arguments.UsageException(args.isEmpty() ? "no command"
                        : "unknown command '" + name + "'");
            };
        } catch (Arguments.UsageException e) {
            err.println("iot-uplink: " + e.getMessage() + " (iot-uplink --help shows the commands)");
            err.println(Usage.text());
            return USAGE;
        } catch (ConfigurationException e) {
            e.problems().forEach(p -> err.println("iot-uplink " + name + ": " + p));
            return USAGE;
        } catch (SQLException | IOException | UncheckedIOException e) {
            err.println("iot-uplink " + name + " failed: " + e.getMessage() + " (nothing after the last commit was"
                    + " changed)");
            return NOT_DONE;
        }
    }

    private int retarget(UplinkConfig config, Connection db, Arguments a) throws SQLException, IOException {
        OutboxTarget.Target target = OutboxTarget.Target.of(config);
        OutboxRetarget.Move move = OutboxRetarget.plan(db, target);
        Map<String, Object> said = new LinkedHashMap<>();
        said.put("from", move.from());
        said.put("to", move.to());
        said.put("readings", move.readings());
        if (!move.changes()) {
            said.put("moved", false);
            out.println(json.writeValueAsString(said));
            err.println("The outbox is bound to " + move.to() + " already: nothing to do");
            return DONE;
        }
        if (!a.has(YES)) {
            said.put("moved", false);
            out.println(json.writeValueAsString(said));
            err.println("Would bind " + move.readings() + " reading(s) waiting for " + move.from() + " to "
                    + move.to() + " (AWS_IOT_ENDPOINT and AWS_IOT_CLIENT_ID as configured); run again with --yes"
                    + " to do it");
            return NOT_DONE;
        }
        OutboxRetarget.apply(db, target, clock.millis());
        said.put("moved", true);
        out.println(json.writeValueAsString(said));
        return DONE;
    }

    private int drop(UplinkConfig config, Connection db, Arguments a) throws SQLException, IOException {
        Duration olderThan = a.value(OLDER_THAN).map(OperatorCommands::duration).orElse(null);
        Lane lane = a.value(LANE).map(OperatorCommands::lane).orElse(null);
        if (a.has(ALL) == (olderThan != null || lane != null)) {
            throw new Arguments.UsageException("outbox drop needs --all, or --older-than and/or --lane");
        }
        OutboxDrop.Selection selection = new OutboxDrop.Selection(olderThan, lane);
        long now = clock.millis();
        Map<String, Object> said = new LinkedHashMap<>();
        if (!a.has(YES)) {
            said.put("would_drop", OutboxDrop.count(db, selection, now));
            out.println(json.writeValueAsString(said));
            err.println("Would drop " + said.get("would_drop") + " reading(s), counted as dropped; run again with"
                    + " --yes to do it");
            return NOT_DONE;
        }
        said.put("dropped", OutboxDrop.drop(db, selection, now));
        out.println(json.writeValueAsString(said));
        return DONE;
    }

    private int replay(UplinkConfig config, Connection db, Arguments a) throws SQLException, IOException {
        if (a.has(ALL) == !a.rest().isEmpty()) {
            throw new Arguments.UsageException("dead-letter replay needs --all, or the message ids to replay");
        }
        DeadLetters letters = DeadLetters.read(config.deadLetterDir());
        List<DeadLetter> chosen = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        if (a.has(ALL)) {
            chosen.addAll(letters.list());
        } else {
            for (String id : a.rest()) {
                letters.find(id).ifPresentOrElse(chosen::add, () -> missing.add(id));
            }
        }
        DeadLetterReplay.Result result = DeadLetterReplay.replay(db, letters, chosen);
        missing.forEach(id -> err.println(id + ": no such dead letter in " + letters.dir()));
        result.left().forEach(err::println);
        Map<String, Object> said = new LinkedHashMap<>();
        said.put("replayed", result.replayed());
        said.put("left", missing.size() + result.left().size());
        out.println(json.writeValueAsString(said));
        return missing.isEmpty() && result.left().isEmpty() ? DONE : NOT_DONE;
    }

    private Map<String, Object> describe(DeadLetter letter) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("message_id", letter.messageId());
        line.put("topic", letter.topic());
        line.put("kind", letter.kind());
        line.put("lane", letter.lane());
        line.put("accepted_at", letter.acceptedAtMillis() < 0 ? null
                : java.time.Instant.ofEpochMilli(letter.acceptedAtMillis()).toString());
        line.put("failed_at", letter.failedAt() == null ? null : letter.failedAt().toString());
        line.put("reason_code", letter.reasonCode());
        line.put("error", letter.error());
        line.put("batch", letter.batch());
        line.put("replayable", letter.replayable());
        return line;
    }

    /** A command on the outbox file, run while it holds the data dir's lock. */
    private interface OutboxWork {
        int run(UplinkConfig config, Connection db, Arguments args) throws SQLException, IOException;
    }

    /** A command on the data dir, run while it holds its lock. */
    private interface DataDirWork {
        int run(UplinkConfig config, Arguments args) throws SQLException, IOException;
    }

    private int withOutbox(String name, List<String> words, Set<String> flags, Set<String> values, OutboxWork work)
            throws SQLException, IOException {
        return withDataDir(name, words, flags, values, (config, a) -> {
            try (Connection db = OutboxFile.open(config.outboxFile())) {
                return work.run(config, db, a);
            }
        });
    }

    private int withDataDir(String name, List<String> words, Set<String> flags, Set<String> values,
            DataDirWork work) throws SQLException, IOException {
        Set<String> allFlags = new java.util.HashSet<>(flags);
        allFlags.add(LOCAL);
        Arguments a = Arguments.parse(words, allFlags, values);
        if (!a.rest().isEmpty() && !"dead-letter replay".equals(name)) {
            throw new Arguments.UsageException("unexpected '" + a.rest().get(0) + "' after " + name);
        }
        UplinkConfig config = ConfigReader.read(properties, a.has(LOCAL)).orThrow();
        try (DataDirLock lock = DataDirLock.take(config.dataDir(),
                ConfigReader.envName("uplink.data-dir") + "=" + config.dataDir(), name)) {
            return work.run(config, a);
        }
    }

    private static Lane lane(String name) {
        try {
            return Lane.named(name);
        } catch (IllegalArgumentException e) {
            throw new Arguments.UsageException("--lane " + name + ": write priority or bulk");
        }
    }

    private static long limit(String text) {
        try {
            long n = Long.parseLong(text);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new Arguments.UsageException("--limit " + text + ": write a whole number (0 or more)");
    }

    private static Duration duration(String text) {
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new Arguments.UsageException("--older-than " + text + ": write a duration like 90m, 12h or 2d");
        }
    }
}
