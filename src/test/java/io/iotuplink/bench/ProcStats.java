package io.iotuplink.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** CPU time and resident memory of a process and of its threads, read from /proc (Linux). */
final class ProcStats {

    private ProcStats() {
    }

    /** User and system CPU time of the whole process. */
    static long cpuNanos(long pid) {
        return cpuNanos(read(Path.of("/proc/" + pid + "/stat")));
    }

    /**
     * CPU time per group of threads (names without their numbers), so that the JVM's own threads (JIT compilers,
     * GC) count too; Linux cuts thread names to 15 characters.
     */
    static Map<String, Long> threadCpu(long pid) {
        Map<String, Long> cpu = new HashMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    cpu.merge(name.replaceAll("\\d+", "N"), cpuNanos(stat), Long::sum);
                } catch (IOException | RuntimeException gone) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return cpu;
    }

    static String residentMemory(long pid) {
        for (String line : read(Path.of("/proc/" + pid + "/status")).split("\n")) {
            if (line.startsWith("VmRSS:")) {
                return line.substring(6).trim();
            }
        }
        return "unknown";
    }

    /** User and system CPU time in a /proc {@code stat} line (clock ticks of 10 ms). */
    private static long cpuNanos(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10_000_000L;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
