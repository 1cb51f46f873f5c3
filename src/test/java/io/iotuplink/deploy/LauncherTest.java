package io.iotuplink.deploy;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code bin/iot-uplink} starts, with a fake {@code java} (in {@code JAVA_HOME}) that prints its arguments: the
 * JVM options, which class data archive it writes or maps, the jar it finds. {@link LauncherIT} runs it for real.
 */
class LauncherTest {

    /** The first four bytes of a whole dynamic archive: its magic number, 0xf00baba8 little-endian. */
    static final String ARCHIVE_MAGIC = "a8ab0bf0";
    private static final byte[] WHOLE_ARCHIVE = HexFormat.of().parseHex(ARCHIVE_MAGIC + "00".repeat(60));
    private static final List<String> SMALL_MACHINE = List.of("-XX:+UseSerialGC", "-XX:MaxRAMPercentage=25",
            "-XX:TieredStopAtLevel=1");

    @TempDir
    Path dir;
    private Path jar;
    private Path data;

    @BeforeEach
    void fakes() throws IOException {
        Path java = Files.createDirectories(dir.resolve("jdk").resolve("bin")).resolve("java");
        Files.writeString(java, "#!/bin/sh\nprintf '%s\\n' \"MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX\" \"$@\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        jar = Files.writeString(dir.resolve("iot-uplink.jar"), "not really a jar");
        data = dir.resolve("data");
    }

    @Test
    void startsTheJarWithTheOptionsForASmallMachineAndWritesAnArchiveAtExitTheFirstTime() throws Exception {
        List<String> args = launch(Map.of("UPLINK_DATA_DIR", data.toString()), "--local");

        assertEquals("MALLOC_ARENA_MAX=2", args.get(0), "glibc's arenas, for a small resident size");
        String archive = args.get(1);
        assertTrue(archive.matches("-XX:ArchiveClassesAtExit=" + data + "/iot-uplink-[0-9]+\\.jsa"), archive);
        assertEquals(List.of("-Xlog:cds=off", "-Xlog:cds+dynamic=off"), args.subList(2, 4), "no chatter while dumping");
        assertEquals(List.of(SMALL_MACHINE, List.of("-jar", jar.toString(), "--local")),
                List.of(args.subList(4, 7), args.subList(7, 10)));
        assertTrue(Files.isDirectory(data), "made, for the JVM to write the archive into");
    }

    @Test
    void mapsAWholeArchiveAndAddsJavaOpts() throws Exception {
        Path archive = archivePath(Map.of("UPLINK_DATA_DIR", data.toString()));
        Files.write(archive, WHOLE_ARCHIVE);

        List<String> args = launch(Map.of("UPLINK_DATA_DIR", data.toString(), "JAVA_OPTS", "-Xmx64m -Dx=y"));

        // no -Xlog:cds=off: an archive the JVM cannot use is named in one warning
        assertEquals(List.of("-XX:SharedArchiveFile=" + archive, "-XX:+UseSerialGC", "-XX:MaxRAMPercentage=25",
                "-XX:TieredStopAtLevel=1", "-Xmx64m", "-Dx=y", "-jar", jar.toString()), args.subList(1, args.size()));
        assertTrue(Files.exists(archive));
    }

    @Test
    void anArchiveCutShortOrMadeForAnotherJarOrOtherOptionsIsReplaced() throws Exception {
        Path archive = archivePath(Map.of("UPLINK_DATA_DIR", data.toString()));
        byte[] cutShort = new byte[4096]; // the JVM writes the header last: killed while writing, it is still zeros
        Files.write(archive, cutShort);

        List<String> args = launch(Map.of("UPLINK_DATA_DIR", data.toString()));

        assertEquals("-XX:ArchiveClassesAtExit=" + archive, args.get(1), "made again");
        assertFalse(Files.exists(archive), "the damaged one is gone");

        Files.write(archive, WHOLE_ARCHIVE);
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().plusSeconds(60))); // a new jar
        String next = launch(Map.of("UPLINK_DATA_DIR", data.toString())).get(1);
        assertTrue(next.startsWith("-XX:ArchiveClassesAtExit=") && !next.endsWith(archive.toString()), next);
        assertEquals(List.of(), archives(data), "the old jar's archive is removed");

        Path current = Path.of(next.substring("-XX:ArchiveClassesAtExit=".length()));
        Files.write(current, WHOLE_ARCHIVE);
        String other = launch(Map.of("UPLINK_DATA_DIR", data.toString(), "UPLINK_JVM_OPTIONS", "-XX:+UseSerialGC"))
                .get(1);
        assertTrue(other.startsWith("-XX:ArchiveClassesAtExit=") && !other.endsWith(current.toString()),
                "other options, another archive: " + other);
    }

    @Test
    void theArchiveCanLiveElsewhereOrBeTurnedOffAndTheOptionsReplacedOrLeftOut() throws Exception {
        Path elsewhere = dir.resolve("cds");
        List<String> args = launch(Map.of("UPLINK_DATA_DIR", data.toString(), "UPLINK_CDS_DIR",
                elsewhere.toString()));
        assertTrue(args.get(1).startsWith("-XX:ArchiveClassesAtExit=" + elsewhere + "/iot-uplink-"), args.get(1));

        args = launch(Map.of("UPLINK_CDS_DIR", "off", "UPLINK_JVM_OPTIONS", "-Xmx100m -XX:+UseG1GC",
                "MALLOC_ARENA_MAX", "4"));
        assertEquals(List.of("MALLOC_ARENA_MAX=4", "-Xmx100m", "-XX:+UseG1GC", "-jar", jar.toString()), args);

        args = launch(Map.of("UPLINK_CDS_DIR", "off", "UPLINK_JVM_OPTIONS", ""));
        assertEquals(List.of("MALLOC_ARENA_MAX=2", "-jar", jar.toString()), args, "set but empty: none of ours");
    }

    @Test
    void aDataDirectoryWithSpacesStaysOneArgument() throws Exception {
        Path spaced = dir.resolve("my data *");
        List<String> args = launch(Map.of("UPLINK_DATA_DIR", spaced.toString()));
        assertTrue(args.get(1).startsWith("-XX:ArchiveClassesAtExit=" + spaced + "/iot-uplink-"), args.toString());
        assertTrue(Files.isDirectory(spaced));
    }

    @Test
    void aDirectoryThatCannotBeMadeOrAHelpRunOrACommandStartsWithoutAnArchive() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "");
        List<String> args = launch(Map.of("UPLINK_CDS_DIR", file.resolve("cds").toString()));
        assertEquals(SMALL_MACHINE, args.subList(1, 4));
        assertEquals(List.of("-jar", jar.toString()), args.subList(4, args.size()));

        args = launch(Map.of("UPLINK_DATA_DIR", data.toString()), "--help");
        assertEquals(List.of("-jar", jar.toString(), "--help"), args.subList(4, args.size()),
                "an archive of a run that prints its usage would serve nothing");
        args = launch(Map.of("UPLINK_DATA_DIR", data.toString()), "outbox", "list", "--lane", "bulk");
        assertEquals(List.of("-jar", jar.toString(), "outbox", "list", "--lane", "bulk"),
                args.subList(4, args.size()), "an operator's command is passed as it is, without an archive");
    }

    @Test
    void withoutAJarItExitsTwoWithOneLineSayingWhereItLooked() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path launcher = Files.copy(Path.of("bin", "iot-uplink"), bin.resolve("iot-uplink"));
        ProcessBuilder builder = new ProcessBuilder(launcher.toString()).redirectErrorStream(true);
        builder.environment().remove("IOT_UPLINK_JAR");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes()).trim();
        assertEquals(2, process.waitFor());
        assertEquals(1, output.lines().count(), output);
        assertTrue(output.startsWith("iot-uplink: no jar at " + bin + "/iot-uplink.jar or " + bin
                + "/../target/iot-uplink.jar (IOT_UPLINK_JAR; build it with: mvn -q -DskipTests package)"), output);
    }

    @Test
    void withoutJavaItExitsTwoWithOneLine() throws Exception {
        Path nowhere = dir.resolve("no-jdk");
        Process process = start(Map.of("JAVA_HOME", nowhere.toString()));
        String output = new String(process.getInputStream().readAllBytes()).trim();
        assertEquals(2, process.waitFor());
        assertEquals("iot-uplink: no " + nowhere + "/bin/java (JAVA_HOME); the bundle needs Java 17 or later",
                output);
    }

    /** The fake java's arguments, one per element, after the MALLOC_ARENA_MAX it saw. */
    private List<String> launch(Map<String, String> env, String... args) throws Exception {
        Map<String, String> all = new HashMap<>(env);
        all.putIfAbsent("JAVA_HOME", dir.resolve("jdk").toString());
        Process process = start(all, args);
        String output = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.waitFor(), output);
        return output.lines().toList();
    }

    private Process start(Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of("bin", "iot-uplink").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(Path.of("").toAbsolutePath().toFile())
                .redirectErrorStream(true);
        builder.environment().keySet().removeIf(k -> !k.equals("PATH"));
        builder.environment().put("IOT_UPLINK_JAR", jar.toString());
        builder.environment().putAll(env);
        return builder.start();
    }

    /** Where the launcher puts the archive for this jar and JVM (what a first launch asks the JVM to write). */
    private Path archivePath(Map<String, String> env) throws Exception {
        String option = launch(env).get(1);
        return Path.of(option.substring("-XX:ArchiveClassesAtExit=".length()));
    }

    /** The class data archives in {@code dir} (none when it does not exist). */
    static List<Path> archives(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".jsa")).toList();
        }
    }
}
