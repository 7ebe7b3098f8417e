package io.wattflow.bench;

import io.wattflow.pipeline.reading.MeterReading;
import io.wattflow.pipeline.usage.UsageBucket;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * MeterUsageOperator as one subtask sees {@code bin/wattflow bench}'s drain: 5,000 meters (half the backlog's 10,000,
 * one of two subtasks), 5-minute readings in time order across meters, so three readings share each 15-minute bucket,
 * and state growing from empty in every iteration; a checkpoint barrier every 200,000 readings (10 s of a subtask's
 * share of the drain). What {@link MeterUsageBenchmarks} does not show: the buckets a meter already has, read again.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(1)
public class MeterUsageDrainBenchmark {
    private static final int METERS = 5_000;
    private static final long BARRIER_EVERY = 200_000;
    private static final long FIVE_MINUTES = Duration.ofMinutes(5).toMillis();
    private static final long FIRST_START = Instant.parse("2026-11-27T00:00:00Z").toEpochMilli();
    private static final String[] METER_IDS = new String[METERS];

    static {
        for (int meter = 0; meter < METERS; meter++) {
            METER_IDS[meter] = String.format("MTR-%05d", meter);
        }
    }

    private KeyedOneInputStreamOperatorTestHarness<String, MeterReading, UsageBucket> harness;
    private long sent;

    @Setup(Level.Iteration)
    public void openEmptyState() throws Exception {
        harness = MeterUsageBenchmarks.openOnRocksDb();
        sent = 0;
    }

    @TearDown(Level.Iteration)
    public void close() throws Exception {
        harness.close();
    }

    /** The next reading of the drain: meter by meter within a 5-minute slot, slot after slot. */
    @Benchmark
    public void drainReading() throws Exception {
        long index = sent++;
        int meter = (int) (index % METERS);
        long start = FIRST_START + (index / METERS) * FIVE_MINUTES;
        MeterReading reading = new MeterReading(METER_IDS[meter] + "-" + index, METER_IDS[meter], "import", start, start + FIVE_MINUTES,
                80_000 + meter, start + FIVE_MINUTES);
        harness.processElement(new StreamRecord<>(reading, reading.recordTimestamp));
        if (index % BARRIER_EVERY == BARRIER_EVERY - 1) {
            harness.getOutput().clear();
            harness.prepareSnapshotPreBarrier(index);
        }
    }
}
