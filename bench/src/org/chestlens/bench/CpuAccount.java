package org.chestlens.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * CPU seconds per thread group of a process, from Linux's /proc (utime + stime of each thread), so a
 * run can say where the cores went: libtorch's and ONNX Runtime's workers inherit the name of the thread
 * that started them (the batcher, which also loads the model, or the benchmark's main thread), request
 * threads are Tomcat's http-nio-*.
 * Threads that ended between two snapshots are not counted.
 */
final class CpuAccount {

    static final String JIT = "JIT compiler";
    static final String GC = "garbage collector";
    private static final double TICKS_PER_SECOND = 100.0; // USER_HZ, 100 on every Linux architecture

    private CpuAccount() {
    }

    /** Seconds of CPU per group for one process, now. */
    static Map<String, Double> snapshot(long pid) {
        Map<String, Double> groups = new TreeMap<>();
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        if (!Files.isDirectory(tasks)) {
            return groups;
        }
        try (Stream<Path> threads = Files.list(tasks)) {
            threads.forEach(thread -> {
                try {
                    String stat = Files.readString(thread.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    double seconds = (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND;
                    groups.merge(group(name), seconds, Double::sum);
                } catch (IOException | RuntimeException ended) {
                    // the thread ended while being read
                }
            });
        } catch (IOException e) {
            return groups;
        }
        return groups;
    }

    /** Seconds of CPU of all PostgreSQL server processes on this machine (the benchmark's database). */
    static double postgres() {
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            return all.filter(p -> p.info().command().map(c -> c.contains("postgres")).orElse(false))
                    .mapToDouble(p -> snapshot(p.pid()).values().stream().mapToDouble(Double::doubleValue).sum())
                    .sum();
        }
    }

    static String group(String thread) {
        if (thread.startsWith("batcher-")) {
            return "forward (batcher + engine workers)";
        }
        if (thread.startsWith("http-nio-")) {
            return "requests (Tomcat threads)";
        }
        if (thread.startsWith("C1 Compiler") || thread.startsWith("C2 Compiler")) {
            return JIT;
        }
        if (thread.startsWith("GC ") || thread.startsWith("G1 ")) {
            return "garbage collector";
        }
        return "other";
    }

    /** What each group used between two snapshots, in milliseconds of one core per image. */
    static String perImage(Map<String, Double> before, Map<String, Double> after, double images) {
        StringBuilder out = new StringBuilder();
        after.forEach((group, seconds) -> {
            double used = seconds - before.getOrDefault(group, 0.0);
            out.append(String.format("  %-38s %8.1f core-ms per image%n", group, 1000 * used / images));
        });
        return out.toString();
    }
}
