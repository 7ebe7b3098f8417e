package io.wattflow.bench;

import io.wattflow.pipeline.MeteringJob;
import io.wattflow.pipeline.reading.MeterReading;
import io.wattflow.pipeline.usage.MeterUsageOperator;
import io.wattflow.pipeline.usage.UsageBucket;
import io.wattflow.pipeline.usage.UsageRules;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
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
 * The keyed heart of the job, MeterUsageOperator on RocksDB as on the cluster (its writes buffered up to a checkpoint barrier
 * every 10,000 readings), one reading at a time through Flink's operator harness: a new reading (deduplication check, then the bucket totals it changes) and a resend (deduplication check
 * only). 1,000 meters, each with a day of 15-minute readings in state already.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class MeterUsageBenchmarks {
    private static final int METERS = 1_000;
    private static final long SLOT_MANAGED_MEMORY_BYTES = 160L << 20;
    /** Readings between checkpoint barriers, where the operator writes its buffered changes to RocksDB. */
    private static final long BARRIER_EVERY = 10_000;
    private static final long QUARTER_HOUR = Duration.ofMinutes(15).toMillis();
    private static final long DAY_START = Instant.parse("2026-11-27T00:00:00Z").toEpochMilli();

    private KeyedOneInputStreamOperatorTestHarness<String, MeterReading, UsageBucket> harness;
    private MeterReading[] resends;
    private long sent;

    @Setup(Level.Iteration)
    public void openStateWithOneDayPerMeter() throws Exception {
        harness = openOnRocksDb();
        resends = new MeterReading[METERS];
        for (int slot = 0; slot < 96; slot++) {
            for (int meter = 0; meter < METERS; meter++) {
                MeterReading reading = reading(meter, slot);
                harness.processElement(new StreamRecord<>(reading, reading.recordTimestamp));
                resends[meter] = reading;
            }
            harness.getOutput().clear();
            harness.prepareSnapshotPreBarrier(slot);
        }
        sent = 96L * METERS;
    }

    /**
     * MeterUsageOperator as on the cluster, opened: one slot's share of a TaskManager's managed memory and the RocksDB
     * options of flink-conf/config.yaml (without managed memory the harness gives RocksDB a write buffer of a few
     * hundred kilobytes).
     */
    static KeyedOneInputStreamOperatorTestHarness<String, MeterReading, UsageBucket> openOnRocksDb() throws Exception {
        UsageRules rules = UsageRules.of(Duration.ofDays(7), Duration.ofDays(1), 10_000, Map.of());
        MockEnvironment oneSlot = new MockEnvironmentBuilder().setManagedMemorySize(SLOT_MANAGED_MEMORY_BYTES).build();
        var harness = new KeyedOneInputStreamOperatorTestHarness<>(new MeterUsageOperator(rules, MeteringJob.MAX_BUFFERED_STATE_ENTRIES),
                (MeterReading reading) -> reading.meterId, Types.STRING, oneSlot);
        harness.setStateBackend(new EmbeddedRocksDBStateBackend().configure(Configuration.fromMap(Map.of(
                "state.backend.rocksdb.use-bloom-filter", "true",
                "state.backend.rocksdb.compression.per.level", "NO_COMPRESSION;NO_COMPRESSION;LZ4_COMPRESSION")),
                MeterUsageBenchmarks.class.getClassLoader()));
        harness.open();
        return harness;
    }

    @TearDown(Level.Iteration)
    public void close() throws Exception {
        harness.close();
    }

    private static MeterReading reading(int meter, long slot) {
        long start = DAY_START + slot * QUARTER_HOUR;
        String meterId = String.format("MTR-%05d", meter);
        return new MeterReading(meterId + "-" + slot, meterId, "import", start, start + QUARTER_HOUR, 250_000 + meter, start + QUARTER_HOUR);
    }

    /** A reading never seen: dedup check, overlap check, one bucket read and written, one total emitted. */
    @Benchmark
    public void newReading() throws Exception {
        long index = sent++;
        MeterReading reading = reading((int) (index % METERS), index / METERS);
        harness.processElement(new StreamRecord<>(reading, reading.recordTimestamp));
        if (index % BARRIER_EVERY == 0) {
            harness.getOutput().clear();
            harness.prepareSnapshotPreBarrier(index);
        }
    }

    /** The same reading again under the same id: recognised as a resend and dropped. */
    @Benchmark
    public void resend() throws Exception {
        long index = sent++;
        MeterReading reading = resends[(int) (index % METERS)];
        harness.processElement(new StreamRecord<>(reading, reading.recordTimestamp));
        if (index % BARRIER_EVERY == 0) {
            harness.prepareSnapshotPreBarrier(index);
        }
    }
}
