package io.iotuplink.support;

import io.iotuplink.config.ConfigReader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The application run as a user runs it: a separate JVM, configured by environment variables, with its exit code. */
public final class BundleProcess implements AutoCloseable {

    /**
     * JVM options for a process that lives seconds (a refused start, a short run): the optimising JIT tier (C2) and a
     * parallel collector only add start-up time there, and nothing a test asserts (exit code, output, what reaches
     * the broker) depends on them.
     */
    public static final List<String> SHORT_LIVED_JVM = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

    private final Process process;
    private final Path output;

    private BundleProcess(Process process, Path output) {
        this.process = process;
        this.output = output;
    }

    /** Starts {@code io.iotuplink.Application} with only {@code env} (plus PATH and HOME) as its environment. */
    public static BundleProcess start(Path workDir, Map<String, String> env, String... args) {
        return start(workDir, env, List.of(), args);
    }

    /** Likewise, with options for the JVM ({@code -Xmx576m}...). */
    public static BundleProcess start(Path workDir, Map<String, String> env, List<String> jvmOptions,
            String... args) {
        return startMain(workDir, env, jvmOptions, "io.iotuplink.Application", args);
    }

    /** Starts another main class of the class path (a test's helper process) likewise. */
    public static BundleProcess startMain(Path workDir, Map<String, String> env, List<String> jvmOptions,
            String mainClass, String... args) {
        // the production logging configuration, not the test one the class path also holds
        String logback = BundleProcess.class.getClassLoader().getResource("logback.xml").toExternalForm();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-Dlogback.configurationFile=" + logback, "-cp", System.getProperty("java.class.path"),
                mainClass));
        command.addAll(List.of(args));
        return start(workDir, env, command);
    }

    /** The bundle as a user runs it: {@code java -jar jar args...} (after {@code mvn package}). */
    public static BundleProcess startJar(Path workDir, Map<String, String> env, Path jar, String... args) {
        return startJar(workDir, env, List.of(), jar, args);
    }

    /** Likewise, with options for the JVM. */
    public static BundleProcess startJar(Path workDir, Map<String, String> env, List<String> jvmOptions, Path jar,
            String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toAbsolutePath().toString()));
        command.addAll(List.of(args));
        return start(workDir, env, command);
    }

    /**
     * The bundle as a gateway runs it: {@code bin/iot-uplink args...} (the image's entry point, the systemd unit's
     * command), on the JVM this one runs on, with {@code target/iot-uplink.jar} (after {@code mvn package}).
     */
    public static BundleProcess startLauncher(Path workDir, Map<String, String> env, String... args) {
        Map<String, String> all = new HashMap<>(env);
        all.putIfAbsent("JAVA_HOME", System.getProperty("java.home"));
        List<String> command = new ArrayList<>();
        command.add(Path.of("bin", "iot-uplink").toAbsolutePath().toString());
        command.addAll(List.of(args));
        return start(workDir, all, command);
    }

    private static BundleProcess start(Path workDir, Map<String, String> env, List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
        builder.environment().keySet().removeIf(k -> !k.equals("PATH") && !k.equals("HOME"));
        builder.environment().putAll(env);
        Path output = workDir.resolve("bundle-" + System.nanoTime() + ".log");
        builder.redirectErrorStream(true).redirectOutput(output.toFile());
        try {
            Files.createDirectories(workDir);
            return new BundleProcess(builder.start(), output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The environment variables a user would set for these properties ({@code aws.iot.cert-path} → {@code AWS_IOT_CERT_PATH}). */
    public static Map<String, String> environment(Map<String, String> properties) {
        Map<String, String> env = new HashMap<>();
        properties.forEach((key, value) -> env.put(ConfigReader.envName(key), value));
        return env;
    }

    /** Waits for the process to end by itself and returns its exit code. */
    public int waitForExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the bundle did not exit within " + timeout + "; it printed:\n" + output());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        return process.exitValue();
    }

    /** Sends SIGTERM, as {@code kill}, systemd and Kubernetes do. */
    public void terminate() {
        process.destroy();
    }

    /** SIGKILL: no shutdown hook, no graceful anything, as a power cut or the OOM killer. */
    public void kill() {
        process.destroyForcibly();
    }

    public long pid() {
        return process.pid();
    }

    /** Everything the process printed so far (stdout and stderr). */
    public String output() {
        try {
            return Files.readString(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until the output contains {@code text}. */
    public void awaitOutput(String text, Duration timeout) {
        RunningBundle.await(() -> output().contains(text) || !process.isAlive(), timeout, "'" + text + "' in the output");
        if (!output().contains(text)) {
            throw new AssertionError("the bundle exited (" + process.exitValue() + ") before printing '" + text
                    + "':\n" + output());
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
