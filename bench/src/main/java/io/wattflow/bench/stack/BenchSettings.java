package io.wattflow.bench.stack;

import java.time.Duration;

/**
 * The sizes of one benchmark: the full run of the figures, or {@code --quick}, each figure once on smaller
 * data for a first look. The full run drains its backlog twelve times (four jobs, three runs each), so the backlog is
 * sized for the whole to fit 45 minutes on a slow phase of the machine.
 *
 * @param runs             runs per figure (the median of at least 3 is quoted)
 * @param backlogReadings  readings pre-loaded for the ceiling and the two drains
 * @param backlogMeters    meters of that backlog
 * @param backlogInterval  minutes covered by each reading of the backlog
 * @param steadyRate       readings/s produced for the latency and recovery figures
 * @param latencyLoad      how long each latency run produces
 * @param recoveryLoad     how long each recovery run produces (5-minute readings; the TaskManager dies once the job keeps up, 25 to 45 s in; at most 288 s: one day of them)
 * @param wrkDuration      how long wrk loads each endpoint
 * @param billingCustomers customers (one meter each, a full month of 15-minute usage) of the billing run
 * @param stateMeters      meters whose state is measured after one day of 15-minute readings
 * @param checkpointInterval checkpoint interval of every job the benchmark runs
 */
public record BenchSettings(boolean quick, int runs, int backlogReadings, int backlogMeters, int backlogInterval, int steadyRate,
                            Duration latencyLoad, Duration recoveryLoad, Duration wrkDuration, int billingCustomers,
                            int stateMeters, Duration checkpointInterval) {

    public static BenchSettings standard() {
        return new BenchSettings(false, 3, 2_500_000, 10_000, 5, 10_000, Duration.ofSeconds(60), Duration.ofSeconds(180),
                Duration.ofSeconds(30), 10_000, 50_000, Duration.ofSeconds(10));
    }

    public static BenchSettings quickLook() {
        return new BenchSettings(true, 1, 500_000, 10_000, 5, 10_000, Duration.ofSeconds(30), Duration.ofSeconds(180),
                Duration.ofSeconds(10), 1_000, 10_000, Duration.ofSeconds(10));
    }

    public BenchSettings withRuns(int runs) {
        if (runs < 1) {
            throw new IllegalArgumentException("--runs must be at least 1, got " + runs);
        }
        return new BenchSettings(quick, runs, backlogReadings, backlogMeters, backlogInterval, steadyRate, latencyLoad, recoveryLoad,
                wrkDuration, billingCustomers, stateMeters, checkpointInterval);
    }

    public BenchSettings withBacklog(int readings) {
        if (readings < backlogMeters) {
            throw new IllegalArgumentException("--backlog must be at least one reading per meter (" + backlogMeters + "), got " + readings);
        }
        return new BenchSettings(quick, runs, readings, backlogMeters, backlogInterval, steadyRate, latencyLoad, recoveryLoad,
                wrkDuration, billingCustomers, stateMeters, checkpointInterval);
    }

    public int backlogReadingsPerMeter() {
        return (int) Math.ceil((double) backlogReadings / backlogMeters);
    }
}
