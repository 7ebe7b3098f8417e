package io.wattflow.bench.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * CPU time of processes and their descendants, read from /proc: what a measurement cost the machine, which moves far
 * less between this machine's fast and slow phases than a rate does. PostgreSQL's backends are children of its
 * postmaster, so a process tree is what one component costs.
 */
final class ProcessCpu {
    /** Linux reports utime and stime in clock ticks of USER_HZ, 100 per second on every architecture Flink runs on. */
    static final long NANOS_PER_TICK = 10_000_000L;

    private ProcessCpu() {
    }

    /**
     * CPU ticks (user and system) of every process in the trees at one moment, by PID, and of their JIT compiler
     * threads: a TaskManager started for one job compiles Flink's, Kafka's and our hot paths for a minute and more.
     */
    record Sample(Map<Long, Long> ticksByPid, Map<Long, Long> compilerTicksByPid) {
        /**
         * CPU nanoseconds spent since {@code earlier} by the processes of this sample: a process born in between
         * counts whole; one that ended in between is lost (its last seconds are not in /proc any more).
         */
        long nanosSince(Sample earlier) {
            return delta(ticksByPid, earlier.ticksByPid);
        }

        /** Of {@link #nanosSince}, what the JVMs' JIT compiler threads spent. */
        long compilerNanosSince(Sample earlier) {
            return delta(compilerTicksByPid, earlier.compilerTicksByPid);
        }

        private static long delta(Map<Long, Long> later, Map<Long, Long> earlier) {
            long ticks = 0;
            for (Map.Entry<Long, Long> process : later.entrySet()) {
                ticks += Math.max(0, process.getValue() - earlier.getOrDefault(process.getKey(), 0L));
            }
            return ticks * NANOS_PER_TICK;
        }
    }

    static Sample sample(Collection<ProcessHandle> roots) {
        Map<Long, Long> ticks = new HashMap<>();
        Map<Long, Long> compilerTicks = new HashMap<>();
        for (ProcessHandle root : roots) {
            Stream.concat(Stream.of(root), root.descendants()).forEach(process -> {
                ticks(process.pid()).ifPresent(value -> ticks.put(process.pid(), value));
                compilerTicks.put(process.pid(), compilerTicks(process.pid()));
            });
        }
        return new Sample(Map.copyOf(ticks), Map.copyOf(compilerTicks));
    }

    /** utime + stime of the process's threads named like HotSpot's compiler threads ("C2 CompilerThre", "C1 ..."). */
    static long compilerTicks(long pid) {
        long ticks = 0;
        try (Stream<Path> threads = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path thread : (Iterable<Path>) threads::iterator) {
                try {
                    String stat = Files.readString(thread.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
                        ticks += ticksOfStatLine(stat);
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended between listing and reading
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return ticks;
    }

    /** utime + stime of the process, or empty when it has ended. */
    static OptionalLong ticks(long pid) {
        try {
            return OptionalLong.of(ticksOfStatLine(Files.readString(Path.of("/proc", Long.toString(pid), "stat"))));
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * Fields 14 and 15 of a /proc/PID/stat line (proc(5)). The command name in field 2 is in parentheses and may hold
     * spaces and parentheses itself, so the fields are counted from the last ')'.
     */
    static long ticksOfStatLine(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        // fields[0] is field 3 (state), so field n is fields[n - 3]
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }
}
