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

    /** CPU ticks (user and system) of every process in the trees at one moment, by PID. */
    record Sample(Map<Long, Long> ticksByPid) {
        /**
         * CPU nanoseconds spent since {@code earlier} by the processes of this sample: a process born in between
         * counts whole; one that ended in between is lost (its last seconds are not in /proc any more).
         */
        long nanosSince(Sample earlier) {
            long ticks = 0;
            for (Map.Entry<Long, Long> process : ticksByPid.entrySet()) {
                ticks += Math.max(0, process.getValue() - earlier.ticksByPid.getOrDefault(process.getKey(), 0L));
            }
            return ticks * NANOS_PER_TICK;
        }
    }

    static Sample sample(Collection<ProcessHandle> roots) {
        Map<Long, Long> ticks = new HashMap<>();
        for (ProcessHandle root : roots) {
            Stream.concat(Stream.of(root), root.descendants()).forEach(process ->
                    ticks(process.pid()).ifPresent(value -> ticks.put(process.pid(), value)));
        }
        return new Sample(Map.copyOf(ticks));
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
