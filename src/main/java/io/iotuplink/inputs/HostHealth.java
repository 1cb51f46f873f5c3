package io.iotuplink.inputs;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** A sample of the gateway's own health: load average, memory, free disk for the data dir, uptime. */
public final class HostHealth {

    private final Path dataDir;

    public HostHealth(Path dataDir) {
        this.dataDir = dataDir;
    }

    /** The telemetry data of one sample. */
    public Map<String, Object> sample() {
        Map<String, Object> data = new LinkedHashMap<>();
        var os = ManagementFactory.getOperatingSystemMXBean();
        double load = os.getSystemLoadAverage();
        data.put("load_average_1m", load < 0 ? null : Math.round(load * 100) / 100.0);
        if (os instanceof com.sun.management.OperatingSystemMXBean host) {
            data.put("memory_total_bytes", host.getTotalMemorySize());
            data.put("memory_free_bytes", host.getFreeMemorySize());
        }
        try {
            Path dir = Files.isDirectory(dataDir) ? dataDir : dataDir.toAbsolutePath().getRoot();
            data.put("disk_free_bytes", Files.getFileStore(dir).getUsableSpace());
        } catch (IOException e) {
            data.put("disk_free_bytes", null);
        }
        data.put("uptime_seconds", hostUptime());
        return data;
    }

    private static double hostUptime() {
        try {
            String first = Files.readString(Path.of("/proc/uptime")).trim().split("\\s+")[0];
            return Double.parseDouble(first);
        } catch (IOException | RuntimeException e) {
            return ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0;
        }
    }
}
