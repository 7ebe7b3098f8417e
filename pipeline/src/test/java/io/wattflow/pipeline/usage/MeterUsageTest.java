package io.wattflow.pipeline.usage;

import static org.assertj.core.api.Assertions.assertThat;

import io.wattflow.pipeline.reading.MeterReading;
import io.wattflow.pipeline.reading.ParseAndValidate;
import io.wattflow.pipeline.reading.RawReading;
import io.wattflow.pipeline.reading.Rejection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** MeterUsageOperator as the job runs it: on RocksDB, writes buffered until the checkpoint barrier. */
class MeterUsageTest {
    /** Registers of meters whose id starts with ROLL- wrap at 100000 kWh. */
    static final UsageRules RULES = UsageRules.of(Duration.ofDays(7), Duration.ofDays(1), 10_000, Map.of("ROLL-", 100_000_000_000L));
    private KeyedOneInputStreamOperatorTestHarness<String, MeterReading, UsageBucket> harness;

    /** On RocksDB as in the job: a heap backend hands out the stored objects themselves, which hides a missed write. */
    private KeyedOneInputStreamOperatorTestHarness<String, MeterReading, UsageBucket> newHarness(int maxBufferedEntries) throws Exception {
        return newHarness(RULES, maxBufferedEntries);
    }

    /**
     * On RocksDB with a slot's share of managed memory, as in the job (without it the harness gives RocksDB a write
     * buffer of a few hundred kilobytes, and RocksDB warns that performance will be poor).
     */
    static KeyedOneInputStreamOperatorTestHarness<String, MeterReading, UsageBucket> newHarness(UsageRules rules, int maxBufferedEntries)
            throws Exception {
        return newHarness(new MeterUsageOperator(rules, maxBufferedEntries));
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, MeterReading, UsageBucket> newHarness(MeterUsageOperator operator)
            throws Exception {
        MockEnvironment slot = new MockEnvironmentBuilder().setManagedMemorySize(64L << 20).build();
        var harness = new KeyedOneInputStreamOperatorTestHarness<>(operator,
                (MeterReading reading) -> reading.meterId, Types.STRING, slot);
        harness.setStateBackend(new EmbeddedRocksDBStateBackend());
        return harness;
    }

    @BeforeEach
    void openHarness() throws Exception {
        harness = newHarness(1_000);
        harness.open();
    }

    @AfterEach
    void closeHarness() throws Exception {
        harness.close();
    }

    private static long at(String instant) {
        return Instant.parse(instant).toEpochMilli();
    }

    private static MeterReading reading(String id, String start, String end, long energy, String recordTime) {
        MeterReading reading = new MeterReading(id, "MTR-0001", "import", at(start), at(end), energy, at(recordTime));
        reading.source = new RawReading("readings", 0, 1, at(recordTime), null, ("{\"readingId\":\"" + id + "\"}").getBytes());
        return reading;
    }

    private void process(MeterReading reading) throws Exception {
        harness.processElement(new StreamRecord<>(reading, reading.recordTimestamp));
    }

    private List<String> rejectedReasons() {
        var side = harness.getSideOutput(ParseAndValidate.REJECTED);
        return side == null ? List.of() : side.stream().map(StreamRecord::getValue).map((Rejection r) -> r.reason.code()).toList();
    }

    /** The meter's keys in state once the writes waiting for a checkpoint are written, as at a barrier. */
    private <K, V> List<K> mapKeys(MapStateDescriptor<K, V> descriptor) throws Exception {
        harness.prepareSnapshotPreBarrier(0);
        return storedKeys(harness, "MTR-0001", descriptor);
    }

    private static <K, V> List<K> storedKeys(KeyedOneInputStreamOperatorTestHarness<String, MeterReading, UsageBucket> harness, String meterId,
                                             MapStateDescriptor<K, V> descriptor) throws Exception {
        harness.getOperator().setCurrentKey(meterId);
        MapState<K, V> state = harness.getOperator().getKeyedStateBackend()
                .getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, descriptor);
        List<K> keys = new ArrayList<>();
        state.keys().forEach(keys::add);
        return keys;
    }

    @Test
    void eachReadingEmitsTheNewAbsoluteTotalOfEveryBucketItTouches() throws Exception {
        process(reading("r-1", "2026-11-28T10:00:00Z", "2026-11-28T10:20:00Z", 1_001, "2026-11-28T10:31:00Z"));
        process(reading("r-2", "2026-11-28T10:20:00Z", "2026-11-28T10:30:00Z", 2_000, "2026-11-28T10:31:00Z"));

        assertThat(harness.extractOutputValues()).containsExactly(
                new UsageBucket("MTR-0001", "import", at("2026-11-28T10:00:00Z"), 751, 1),
                new UsageBucket("MTR-0001", "import", at("2026-11-28T10:15:00Z"), 250, 1),
                new UsageBucket("MTR-0001", "import", at("2026-11-28T10:15:00Z"), 2_250, 2));
        assertThat(rejectedReasons()).isEmpty();
    }

    @Test
    void aResentReadingIsCountedOnce() throws Exception {
        process(reading("r-1", "2026-11-28T10:00:00Z", "2026-11-28T10:15:00Z", 700, "2026-11-28T10:16:00Z"));
        process(reading("r-1", "2026-11-28T10:00:00Z", "2026-11-28T10:15:00Z", 700, "2026-11-28T10:17:00Z"));

        assertThat(harness.extractOutputValues()).containsExactly(new UsageBucket("MTR-0001", "import", at("2026-11-28T10:00:00Z"), 700, 1));
        assertThat(rejectedReasons()).isEmpty();
    }

    @Test
    void theSameReadingIdWithAnotherEnergyIsAConflictAndChangesNothing() throws Exception {
        process(reading("r-1", "2026-11-28T10:00:00Z", "2026-11-28T10:15:00Z", 700, "2026-11-28T10:16:00Z"));
        process(reading("r-1", "2026-11-28T10:00:00Z", "2026-11-28T10:15:00Z", 900, "2026-11-28T10:17:00Z"));

        assertThat(harness.extractOutputValues()).hasSize(1);
        assertThat(rejectedReasons()).containsExactly("conflicting_duplicate");
    }

    @Test
    void aReadingOlderThanTheHorizonOfTheMetersLatestRecordIsTooLate() throws Exception {
        process(reading("r-new", "2026-11-28T10:00:00Z", "2026-11-28T10:15:00Z", 700, "2026-11-28T10:16:00Z"));
        // Its own record timestamp is old enough to pass the parser, but the meter's clock has moved on.
        process(reading("r-old", "2026-11-20T10:00:00Z", "2026-11-20T10:15:00Z", 700, "2026-11-21T10:16:00Z"));

        assertThat(harness.extractOutputValues()).hasSize(1);
        assertThat(rejectedReasons()).containsExactly("too_late");
    }

    @Test
    void stateOfReadingsAndBucketsBeyondTheHorizonIsRemovedByRecordTime() throws Exception {
        for (int i = 0; i < 4; i++) {
            String start = Instant.parse("2026-11-01T00:00:00Z").plus(Duration.ofMinutes(15L * i)).toString();
            String end = Instant.parse("2026-11-01T00:15:00Z").plus(Duration.ofMinutes(15L * i)).toString();
            process(reading("r-" + i, start, end, 100, "2026-11-01T02:00:00Z"));
        }
        assertThat(mapKeys(MeterState.ACCEPTED_READINGS)).hasSize(4);
        assertThat(mapKeys(MeterState.BUCKET_TOTALS)).hasSize(4);

        // Nine days later by record time: the old readings and buckets are past horizon + max interval.
        process(reading("r-late", "2026-11-10T00:00:00Z", "2026-11-10T00:15:00Z", 100, "2026-11-10T00:20:00Z"));

        assertThat(mapKeys(MeterState.ACCEPTED_READINGS)).containsExactly("r-late");
        assertThat(mapKeys(MeterState.BUCKET_TOTALS)).containsExactly(new BucketKey("import", at("2026-11-10T00:00:00Z")));
        assertThat(mapKeys(MeterState.CHANNEL_KINDS)).containsExactly("import");
        assertThat(mapKeys(MeterState.REGISTER_VALUES)).isEmpty();
        // the expiry timer moved to the new day: one per meter
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    /** Everything the meter holds in state, once the writes waiting for a checkpoint are written. */
    private List<Object> everythingStored(String meterId) throws Exception {
        harness.prepareSnapshotPreBarrier(0);
        List<Object> stored = new ArrayList<>();
        for (MapStateDescriptor<?, ?> map : List.of(MeterState.ACCEPTED_READINGS, MeterState.BUCKET_TOTALS, MeterState.CHANNEL_KINDS,
                MeterState.REGISTER_VALUES)) {
            stored.addAll(storedKeys(harness, meterId, map));
        }
        for (var value : List.of(MeterState.CLOCK, MeterState.LAST_SWEEP_DAY)) {
            harness.getOperator().setCurrentKey(meterId);
            Long stored1 = harness.getOperator().getKeyedStateBackend()
                    .getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, value).value();
            if (stored1 != null) {
                stored.add(value.getName() + "=" + stored1);
            }
        }
        return stored;
    }

    /** What reading r-1 of 11-01 00:00-00:15, recorded at 00:16, leaves in state. */
    private static final Object[] READING_R1_STORED = {"r-1", new BucketKey("import", at("2026-11-01T00:00:00Z")), "import",
            "record-clock=" + at("2026-11-01T00:16:00Z"), "last-sweep-day=" + at("2026-11-01T00:00:00Z") / 86_400_000L};

    @Test
    void aMeterSeenOnceIsForgottenWhenTheWatermarkHasPassedItsDayPlusTheLongestInterval() throws Exception {
        process(reading("r-1", "2026-11-01T00:00:00Z", "2026-11-01T00:15:00Z", 700, "2026-11-01T00:16:00Z"));
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);

        // Its day ends at 11-02 00:00; readings may end 5 minutes after their record (to the bucket's end: 00:15);
        // the longest interval is a day. Only a reading ending after 11-03 00:15 can follow it then.
        harness.processWatermark(at("2026-11-03T00:15:00Z") - 1);
        assertThat(everythingStored("MTR-0001")).containsExactlyInAnyOrder(READING_R1_STORED);
        harness.processWatermark(at("2026-11-03T00:15:00Z"));

        assertThat(everythingStored("MTR-0001")).isEmpty();
        assertThat(harness.numEventTimeTimers()).isZero();
        // A resend of what was forgotten ends before the watermark: too late, not billed again
        process(reading("r-1", "2026-11-01T00:00:00Z", "2026-11-01T00:15:00Z", 700, "2026-11-01T00:16:00Z"));
        process(reading("r-2", "2026-11-02T00:00:00Z", "2026-11-03T00:00:00Z", 960, "2026-11-03T00:16:00Z"));
        // the earliest a reading may end now: it cannot reach the forgotten meter's buckets
        process(reading("r-3", "2026-11-02T00:15:00Z", "2026-11-03T00:15:00Z", 960, "2026-11-03T00:16:00Z"));

        assertThat(rejectedReasons()).containsExactly("too_late", "too_late");
        assertThat(latestTotals()).hasSize(1 + 96).containsEntry(at("2026-11-01T00:00:00Z"), 700L)
                .containsEntry(at("2026-11-02T00:15:00Z"), 10L).containsEntry(at("2026-11-03T00:00:00Z"), 10L);
    }

    @Test
    void aSilentRegisterMeterKeepsOnlyItsLastValueUntilNoSpanFromItCanBeBilled() throws Exception {
        process(register("MTR-0001", "a", "2026-11-01T00:00:00Z", 1_000_000, "2026-11-01T00:01:00Z"));
        process(register("MTR-0001", "b", "2026-11-01T00:15:00Z", 1_000_900, "2026-11-01T00:16:00Z"));
        harness.processWatermark(at("2026-11-03T00:15:00Z"));

        assertThat(everythingStored("MTR-0001")).containsExactlyInAnyOrder("import", new RegisterKey("import", at("2026-11-01T00:15:00Z")),
                "record-clock=" + at("2026-11-01T00:16:00Z"), "last-sweep-day=" + at("2026-11-01T00:00:00Z") / 86_400_000L);
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);

        // 400 days after the last value (the longest span billed) the meter is forgotten
        harness.processWatermark(at("2026-11-01T00:15:00Z") + Duration.ofDays(400).toMillis());
        assertThat(everythingStored("MTR-0001")).hasSize(4);
        harness.processWatermark(at("2026-11-01T00:15:00Z") + Duration.ofDays(400).toMillis() + 1);
        assertThat(everythingStored("MTR-0001")).isEmpty();
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void aSilentRegisterMeterIsStillBilledFromItsLastValueAfterTheWatermarkPassedIt() throws Exception {
        process(register("MTR-0001", "a", "2026-11-01T00:00:00Z", 1_000_000, "2026-11-01T00:01:00Z"));
        process(register("MTR-0001", "b", "2026-11-01T00:15:00Z", 1_000_900, "2026-11-01T00:16:00Z"));
        harness.processWatermark(at("2026-11-14T00:00:00Z"));
        process(register("MTR-0001", "c", "2026-11-21T00:15:00Z", 1_000_900 + 1_920_000, "2026-11-21T00:16:00Z"));

        Map<Long, Long> totals = latestTotals();
        assertThat(totals).hasSize(1 + 20 * 96);
        assertThat(totals.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(900L + 1_920_000L);
        assertThat(rejectedReasons()).isEmpty();
    }

    @Test
    void theEndOfInputIsNotTheEndOfTimeNoMeterIsForgotten() throws Exception {
        process(reading("r-1", "2026-11-01T00:00:00Z", "2026-11-01T00:15:00Z", 700, "2026-11-01T00:16:00Z"));
        harness.processWatermark(Long.MAX_VALUE);

        assertThat(everythingStored("MTR-0001")).containsExactlyInAnyOrder(READING_R1_STORED);
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);
    }

    @Test
    void aRestoredJobKeepsTheWatermarkItHadReachedSoAForgottenReadingStaysTooLate() throws Exception {
        process(reading("r-1", "2026-11-01T00:00:00Z", "2026-11-01T00:15:00Z", 700, "2026-11-01T00:16:00Z"));
        harness.processWatermark(at("2026-11-03T00:15:00Z"));
        restartFromACheckpoint();
        // The restored job has no watermark yet: without the saved one this resend would be billed a second time
        process(reading("r-1", "2026-11-01T00:00:00Z", "2026-11-01T00:15:00Z", 700, "2026-11-01T00:16:00Z"));

        assertThat(harness.extractOutputValues()).isEmpty();
        assertThat(rejectedReasons()).containsExactly("too_late");
    }

    private static MeterReading register(String meter, String id, String ts, long valueMilliWattHours, String recordTime) {
        MeterReading reading = MeterReading.register(id, meter, "import", at(ts), valueMilliWattHours, at(recordTime));
        reading.source = new RawReading("readings", 0, 1, at(recordTime), null, ("{\"readingId\":\"" + id + "\"}").getBytes());
        return reading;
    }

    /** The latest absolute total emitted per bucket start, for one meter. */
    private Map<Long, Long> latestTotals() {
        Map<Long, Long> totals = new TreeMap<>();
        harness.extractOutputValues().forEach(bucket -> totals.put(bucket.bucketStartMillis, bucket.energyMilliWattHours));
        return totals;
    }

    @Test
    void theSameIntervalUnderAnotherReadingIdIsADuplicate() throws Exception {
        process(reading("r-1", "2026-11-28T10:00:00Z", "2026-11-28T10:15:00Z", 700, "2026-11-28T10:16:00Z"));
        process(reading("gw-77", "2026-11-28T10:00:00Z", "2026-11-28T10:15:00Z", 700, "2026-11-28T10:17:00Z"));
        process(reading("gw-78", "2026-11-28T10:00:00Z", "2026-11-28T10:15:00Z", 900, "2026-11-28T10:17:00Z"));

        assertThat(harness.extractOutputValues()).containsExactly(new UsageBucket("MTR-0001", "import", at("2026-11-28T10:00:00Z"), 700, 1));
        assertThat(rejectedReasons()).containsExactly("conflicting_duplicate");
    }

    @Test
    void anIntervalOverlappingAnAcceptedOneIsRejectedAndChangesNothing() throws Exception {
        process(reading("r-1", "2026-11-28T10:00:00Z", "2026-11-28T10:30:00Z", 1_000, "2026-11-28T10:31:00Z"));
        process(reading("r-2", "2026-11-28T10:15:00Z", "2026-11-28T10:45:00Z", 1_000, "2026-11-28T10:46:00Z"));
        process(reading("r-3", "2026-11-28T10:30:00Z", "2026-11-28T10:45:00Z", 300, "2026-11-28T10:46:00Z"));

        assertThat(rejectedReasons()).containsExactly("overlap");
        assertThat(latestTotals()).containsExactly(Map.entry(at("2026-11-28T10:00:00Z"), 500L),
                Map.entry(at("2026-11-28T10:15:00Z"), 500L), Map.entry(at("2026-11-28T10:30:00Z"), 300L));
    }

    @Test
    void aRegisterValueOnAnIntervalChannelIsAKindConflict() throws Exception {
        process(reading("r-1", "2026-11-28T10:00:00Z", "2026-11-28T10:15:00Z", 700, "2026-11-28T10:16:00Z"));
        process(register("MTR-0001", "reg-1", "2026-11-28T10:15:00Z", 5_000_000, "2026-11-28T10:16:00Z"));

        assertThat(rejectedReasons()).containsExactly("kind_conflict");
    }

    @Test
    void consecutiveRegisterValuesBillTheirDifferenceProRata() throws Exception {
        process(register("MTR-0001", "a", "2026-11-28T10:00:00Z", 10_000_000, "2026-11-28T10:01:00Z"));
        process(register("MTR-0001", "b", "2026-11-28T10:30:00Z", 10_001_001, "2026-11-28T10:31:00Z"));

        assertThat(harness.extractOutputValues()).containsExactly(
                new UsageBucket("MTR-0001", "import", at("2026-11-28T10:00:00Z"), 501, 1),
                new UsageBucket("MTR-0001", "import", at("2026-11-28T10:15:00Z"), 500, 1));
    }

    @Test
    void aLateRegisterValueBetweenTwoKnownOnesResplitsTheSpanWithTheSameTotal() throws Exception {
        process(register("MTR-0001", "a", "2026-11-28T10:00:00Z", 0, "2026-11-28T10:01:00Z"));
        process(register("MTR-0001", "c", "2026-11-28T11:00:00Z", 4_000, "2026-11-28T11:01:00Z"));
        assertThat(latestTotals().values()).containsExactly(1_000L, 1_000L, 1_000L, 1_000L);

        // Late: by 10:15 the meter had already used 3000 of the 4000.
        process(register("MTR-0001", "b", "2026-11-28T10:15:00Z", 3_000, "2026-11-28T11:05:00Z"));

        assertThat(latestTotals()).containsExactly(
                Map.entry(at("2026-11-28T10:00:00Z"), 3_000L), Map.entry(at("2026-11-28T10:15:00Z"), 334L),
                Map.entry(at("2026-11-28T10:30:00Z"), 333L), Map.entry(at("2026-11-28T10:45:00Z"), 333L));
        assertThat(latestTotals().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(4_000L);
        assertThat(harness.extractOutputValues().get(harness.extractOutputValues().size() - 1).readingCount).isEqualTo(1);
    }

    @Test
    void aRegisterThatGoesDownIsAResetBilledAsZeroAndTheNewBaseline() throws Exception {
        process(register("MTR-0001", "a", "2026-11-28T10:00:00Z", 9_000_000, "2026-11-28T10:01:00Z"));
        process(register("MTR-0001", "b", "2026-11-28T10:15:00Z", 1_000, "2026-11-28T10:16:00Z"));
        process(register("MTR-0001", "c", "2026-11-28T10:30:00Z", 1_600, "2026-11-28T10:31:00Z"));

        assertThat(harness.extractOutputValues()).containsExactly(
                new UsageBucket("MTR-0001", "import", at("2026-11-28T10:00:00Z"), 0, 1),
                new UsageBucket("MTR-0001", "import", at("2026-11-28T10:15:00Z"), 600, 1));
    }

    @Test
    void aGlitchBelowTwoPlausibleValuesIsUndoneWhenTheRegisterComesBack() throws Exception {
        process(register("MTR-0001", "a", "2026-11-28T10:00:00Z", 50_000_000_000L, "2026-11-28T10:01:00Z"));
        process(register("MTR-0001", "glitch", "2026-11-28T10:15:00Z", 1_000, "2026-11-28T10:16:00Z"));
        assertThat(latestTotals()).containsExactly(Map.entry(at("2026-11-28T10:00:00Z"), 0L)); // a reset, as far as anyone can tell
        // back at 50,000 kWh: no 10,000 kW meter climbs there from 1 Wh in 15 minutes, but it advanced 600 mWh from a
        process(register("MTR-0001", "c", "2026-11-28T10:30:00Z", 50_000_000_600L, "2026-11-28T10:31:00Z"));
        // the glitch again, resent and under another id
        process(register("MTR-0001", "glitch", "2026-11-28T10:15:00Z", 1_000, "2026-11-28T10:32:00Z"));
        process(register("MTR-0001", "glitch-2", "2026-11-28T10:15:00Z", 1_000, "2026-11-28T10:32:00Z"));

        // 600 mWh from a to c, and c accepted rather than refused as a 50,000 kWh advance
        assertThat(latestTotals()).containsExactly(Map.entry(at("2026-11-28T10:00:00Z"), 300L), Map.entry(at("2026-11-28T10:15:00Z"), 300L));
        assertThat(rejectedReasons()).containsExactly("implausible_register");
        assertThat(mapKeys(MeterState.REGISTER_VALUES)).extracting(key -> key.timestampMillis)
                .containsExactlyInAnyOrder(at("2026-11-28T10:00:00Z"), at("2026-11-28T10:30:00Z"));
    }

    @Test
    void aResetTheMeterCouldHaveClimbedBackFromStaysAReset() throws Exception {
        process(register("MTR-0001", "a", "2026-11-28T10:00:00Z", 1_000_000, "2026-11-28T10:01:00Z"));
        process(register("MTR-0001", "reset", "2026-11-28T10:15:00Z", 0, "2026-11-28T10:16:00Z"));
        process(register("MTR-0001", "c", "2026-11-28T10:30:00Z", 1_500_000, "2026-11-28T10:31:00Z"));

        assertThat(latestTotals()).containsExactly(Map.entry(at("2026-11-28T10:00:00Z"), 0L), Map.entry(at("2026-11-28T10:15:00Z"), 1_500_000L));
    }

    @Test
    void aDropOfARegisterWithCapacityIsARolloverAndBilled() throws Exception {
        process(register("ROLL-1", "a", "2026-11-28T10:00:00Z", 99_999_999_000L, "2026-11-28T10:01:00Z"));
        process(register("ROLL-1", "b", "2026-11-28T10:15:00Z", 2_000, "2026-11-28T10:16:00Z"));

        assertThat(harness.extractOutputValues()).containsExactly(new UsageBucket("ROLL-1", "import", at("2026-11-28T10:00:00Z"), 3_000, 1));
    }

    @Test
    void aMeterSilentForLongerThanTheHorizonIsBilledFromItsLastValue() throws Exception {
        process(register("MTR-0001", "a", "2026-11-01T00:00:00Z", 1_000_000, "2026-11-01T00:01:00Z"));
        process(register("MTR-0001", "b", "2026-11-01T00:15:00Z", 1_000_900, "2026-11-01T00:16:00Z"));
        // Silent for 20 days (the daily sweep runs on this reading: the last value must survive it)
        process(register("MTR-0001", "c", "2026-11-21T00:15:00Z", 1_000_900 + 1_920_000, "2026-11-21T00:16:00Z"));

        Map<Long, Long> totals = latestTotals();
        assertThat(totals).hasSize(1 + 20 * 96);
        assertThat(totals.get(at("2026-11-01T00:00:00Z"))).isEqualTo(900L);
        assertThat(totals.get(at("2026-11-10T12:00:00Z"))).isEqualTo(1_000L);
        assertThat(totals.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(900L + 1_920_000L);
        assertThat(rejectedReasons()).isEmpty();
    }

    @Test
    void registerValuesResentOrConflictingAtTheSameInstant() throws Exception {
        process(register("MTR-0001", "a", "2026-11-28T10:00:00Z", 1_000, "2026-11-28T10:01:00Z"));
        process(register("MTR-0001", "b", "2026-11-28T10:15:00Z", 2_000, "2026-11-28T10:16:00Z"));
        process(register("MTR-0001", "b2", "2026-11-28T10:15:00Z", 2_000, "2026-11-28T10:17:00Z"));
        process(register("MTR-0001", "b3", "2026-11-28T10:15:00Z", 2_500, "2026-11-28T10:17:00Z"));

        assertThat(harness.extractOutputValues()).containsExactly(new UsageBucket("MTR-0001", "import", at("2026-11-28T10:00:00Z"), 1_000, 1));
        assertThat(rejectedReasons()).containsExactly("conflicting_duplicate");
    }

    @Test
    void oldRegisterValuesAreRemovedButTheNewestBeforeTheHorizonStays() throws Exception {
        for (int day = 1; day <= 3; day++) {
            String ts = String.format("2026-11-%02dT00:00:00Z", day);
            process(register("MTR-0001", "d" + day, ts, day * 1_000L, ts));
        }
        process(register("MTR-0001", "d20", "2026-11-20T00:00:00Z", 50_000, "2026-11-20T00:00:00Z"));

        assertThat(mapKeys(MeterState.REGISTER_VALUES)).extracting(key -> key.timestampMillis)
                .containsExactlyInAnyOrder(at("2026-11-03T00:00:00Z"), at("2026-11-20T00:00:00Z"));
        assertThat(mapKeys(MeterState.BUCKET_TOTALS)).allSatisfy(key -> assertThat(key.bucketStartMillis).isGreaterThanOrEqualTo(at("2026-11-03T00:00:00Z")));
    }

    private static MeterReading ofMeter(String meterId, String id, String start, long energy) {
        Instant from = Instant.parse(start);
        MeterReading reading = new MeterReading(id, meterId, "import", from.toEpochMilli(), from.plus(Duration.ofMinutes(5)).toEpochMilli(), energy,
                from.plus(Duration.ofMinutes(6)).toEpochMilli());
        reading.source = new RawReading("readings", 0, 1, reading.recordTimestamp, null, ("{\"readingId\":\"" + id + "\"}").getBytes());
        return reading;
    }

    @Test
    void everythingChangedBeforeABarrierIsInTheCheckpointTakenAtIt() throws Exception {
        process(ofMeter("MTR-0001", "a-1", "2026-11-28T10:00:00Z", 100));
        process(ofMeter("MTR-0002", "b-1", "2026-11-28T10:00:00Z", 200));
        process(ofMeter("MTR-0001", "a-2", "2026-11-28T10:05:00Z", 300));
        restartFromACheckpoint();
        // Resends of what was accepted before the barrier are recognised, an id reused for another interval is refused
        // (only the accepted reading ids can tell), and new readings add to the restored totals.
        process(ofMeter("MTR-0001", "a-2", "2026-11-28T10:05:00Z", 300));
        process(ofMeter("MTR-0001", "a-2", "2026-11-28T10:30:00Z", 300));
        process(ofMeter("MTR-0002", "b-1", "2026-11-28T10:00:00Z", 200));
        process(ofMeter("MTR-0001", "a-3", "2026-11-28T10:10:00Z", 400));
        process(ofMeter("MTR-0002", "b-2", "2026-11-28T10:05:00Z", 500));

        assertThat(harness.extractOutputValues()).containsExactly(
                new UsageBucket("MTR-0001", "import", at("2026-11-28T10:00:00Z"), 800, 3),
                new UsageBucket("MTR-0002", "import", at("2026-11-28T10:00:00Z"), 700, 2));
        assertThat(rejectedReasons()).containsExactly("conflicting_duplicate");
    }

    @Test
    void aFullBufferIsWrittenToStateWithoutWaitingForTheBarrier() throws Exception {
        harness.close();
        harness = newHarness(4);
        harness.open();
        for (int meter = 1; meter <= 5; meter++) {
            process(ofMeter(String.format("MTR-%04d", meter), "r-" + meter, "2026-11-28T10:00:00Z", meter));
        }

        // Each reading holds an accepted id and a bucket total: the first two meters filled the buffer of four.
        assertThat(storedKeys(harness, "MTR-0001", MeterState.ACCEPTED_READINGS)).containsExactly("r-1");
        assertThat(storedKeys(harness, "MTR-0002", MeterState.BUCKET_TOTALS)).containsExactly(new BucketKey("import", at("2026-11-28T10:00:00Z")));
        assertThat(harness.extractOutputValues()).extracting(bucket -> bucket.energyMilliWattHours).containsExactly(1L, 2L, 3L, 4L, 5L);
    }

    /** A checkpoint taken at a barrier, and a new operator instance restored from it (as after a failure). */
    private void restartFromACheckpoint() throws Exception {
        harness.prepareSnapshotPreBarrier(1);
        var checkpoint = harness.snapshot(1, 1);
        harness.close();
        harness = newHarness(1_000);
        harness.initializeState(checkpoint);
        harness.open();
    }

    /**
     * The reading-id filter spares the lookup of new ids only: an id accepted before is still found when the filter
     * was grown past its first size, after a restore (built from state), and after the daily sweep (built again).
     * Each probe reuses an accepted id for an interval no reading covered, so only the id tells it apart.
     */
    @Test
    void acceptedReadingIdsAreFoundWhateverTheReadingIdFilterHolds() throws Exception {
        int readings = ReadingIdFilter.MIN_CAPACITY + 10; // built again when full, until 2026-11-28T19:30
        for (int i = 0; i < readings; i++) {
            String start = Instant.parse("2026-11-27T00:00:00Z").plusSeconds(300L * i).toString();
            String end = Instant.parse(start).plusSeconds(300).toString();
            process(reading("r-" + i, start, end, 10, end));
        }
        process(reading("r-0", "2026-11-28T20:00:00Z", "2026-11-28T20:05:00Z", 10, "2026-11-28T21:00:00Z"));
        assertThat(rejectedReasons()).containsExactly("conflicting_duplicate");
        assertThat(harness.extractOutputValues()).as("one bucket total per reading accepted").hasSize(readings);

        restartFromACheckpoint();
        process(reading("r-1", "2026-11-28T20:05:00Z", "2026-11-28T20:10:00Z", 10, "2026-11-28T21:00:00Z"));
        // the next day of the clock: swept (nothing is beyond the horizon yet) and the filter built again
        process(reading("r-2", "2026-11-28T20:10:00Z", "2026-11-28T20:15:00Z", 10, "2026-11-29T01:00:00Z"));
        process(reading("r-" + (readings - 1), "2026-11-28T20:15:00Z", "2026-11-28T20:20:00Z", 10, "2026-11-29T01:00:00Z"));

        assertThat(rejectedReasons()).containsExactly("conflicting_duplicate", "conflicting_duplicate", "conflicting_duplicate");
        assertThat(harness.extractOutputValues()).as("no probe changed a bucket").isEmpty();
        assertThat(mapKeys(MeterState.ACCEPTED_READINGS)).hasSize(readings);
    }

    @Test
    void aResyncingOperatorRestoredFromACheckpointEmitsEveryBucketOfItsStateOnceAndThenGoesOn() throws Exception {
        process(reading("r-1", "2026-11-28T10:00:00Z", "2026-11-28T10:20:00Z", 1_001, "2026-11-28T10:31:00Z"));
        process(ofMeter("MTR-0002", "r-2", "2026-11-28T10:30:00Z", 7));
        // waiting in the cache when the checkpoint is taken: written to state at the barrier, so it is resynced too
        process(reading("r-3", "2026-11-28T10:20:00Z", "2026-11-28T10:30:00Z", 2_000, "2026-11-28T10:31:00Z"));
        harness.prepareSnapshotPreBarrier(1);
        var checkpoint = harness.snapshot(1, 1);
        harness.close();

        harness = newHarness(new MeterUsageOperator(RULES, 1_000, true));
        harness.initializeState(checkpoint);
        harness.open();
        assertThat(harness.extractOutputValues()).as("nothing before the task runs").isEmpty();
        harness.setProcessingTime(harness.getProcessingTime() + 1);

        assertThat(harness.extractOutputValues()).containsExactlyInAnyOrder(
                new UsageBucket("MTR-0001", "import", at("2026-11-28T10:00:00Z"), 751, 1),
                new UsageBucket("MTR-0001", "import", at("2026-11-28T10:15:00Z"), 2_250, 2),
                new UsageBucket("MTR-0002", "import", at("2026-11-28T10:30:00Z"), 7, 1));
        // once: the operator then counts on from the restored totals
        process(reading("r-4", "2026-11-28T10:30:00Z", "2026-11-28T10:45:00Z", 5, "2026-11-28T10:46:00Z"));
        harness.setProcessingTime(harness.getProcessingTime() + 60_000);
        assertThat(harness.extractOutputValues()).hasSize(4).last()
                .isEqualTo(new UsageBucket("MTR-0001", "import", at("2026-11-28T10:30:00Z"), 5, 1));
    }

    private void restartWith(UsageRules rules) throws Exception {
        harness.close();
        harness = newHarness(rules, 1_000);
        harness.open();
    }

    @Test
    void aGlitchAboveTwoPlausibleValuesIsRejectedAndNeitherTheWayThereNorBackIsBilled() throws Exception {
        process(register("MTR-0001", "a", "2026-11-28T10:00:00Z", 1_000_000, "2026-11-28T10:01:00Z"));
        process(register("MTR-0001", "b", "2026-11-28T10:15:00Z", 1_000_500, "2026-11-28T10:16:00Z"));
        // 900,000 kWh in 15 minutes is 3.6 GW: more than the meter's 10,000 kW
        process(register("MTR-0001", "glitch", "2026-11-28T10:30:00Z", 900_000_000_000L, "2026-11-28T10:31:00Z"));
        process(register("MTR-0001", "c", "2026-11-28T10:45:00Z", 1_001_000, "2026-11-28T10:46:00Z"));

        assertThat(rejectedReasons()).containsExactly("implausible_register");
        assertThat(latestTotals()).containsExactly(Map.entry(at("2026-11-28T10:00:00Z"), 500L),
                Map.entry(at("2026-11-28T10:15:00Z"), 250L), Map.entry(at("2026-11-28T10:30:00Z"), 250L));
        assertThat(mapKeys(MeterState.REGISTER_VALUES)).extracting(key -> key.timestampMillis)
                .doesNotContain(at("2026-11-28T10:30:00Z"));
    }

    @Test
    void aLateRegisterValueOutsideTheRangeOfItsNeighboursIsRejected() throws Exception {
        process(register("MTR-0001", "a", "2026-11-28T10:00:00Z", 1_000, "2026-11-28T10:01:00Z"));
        process(register("MTR-0001", "c", "2026-11-28T10:30:00Z", 2_000, "2026-11-28T10:31:00Z"));
        process(register("MTR-0001", "high", "2026-11-28T10:15:00Z", 5_000, "2026-11-28T10:32:00Z"));
        process(register("MTR-0001", "low", "2026-11-28T10:20:00Z", 10, "2026-11-28T10:32:00Z"));

        assertThat(rejectedReasons()).containsExactly("implausible_register", "implausible_register");
        assertThat(latestTotals()).containsExactly(Map.entry(at("2026-11-28T10:00:00Z"), 500L),
                Map.entry(at("2026-11-28T10:15:00Z"), 500L));
    }

    @Test
    void aRegisterValueAtTheCapacityOfItsMeterClassIsOutOfRange() throws Exception {
        process(register("ROLL-1", "a", "2026-11-28T10:00:00Z", 100_000_000_000L, "2026-11-28T10:01:00Z"));

        assertThat(rejectedReasons()).containsExactly("register_out_of_range");
        assertThat(storedKeys(harness, "ROLL-1", MeterState.REGISTER_VALUES)).isEmpty();
    }

    @Test
    void theMaximumPowerOfAMeterClassBoundsItsAdvances() throws Exception {
        restartWith(RULES.withMaxPower(Map.of("HH-", 10L)));
        process(register("HH-1", "a", "2026-11-28T10:00:00Z", 0, "2026-11-28T10:01:00Z"));
        process(register("HH-1", "b", "2026-11-28T10:15:00Z", 2_500_000, "2026-11-28T10:16:00Z")); // 10 kW for 15 min: the limit
        process(register("HH-1", "c", "2026-11-28T10:30:00Z", 5_000_001, "2026-11-28T10:31:00Z")); // 1 mWh more
        process(register("MTR-1", "d", "2026-11-28T10:00:00Z", 0, "2026-11-28T10:01:00Z"));
        process(register("MTR-1", "e", "2026-11-28T10:15:00Z", 2_500_001, "2026-11-28T10:16:00Z")); // other classes: 10,000 kW

        assertThat(rejectedReasons()).containsExactly("implausible_register");
        assertThat(harness.extractOutputValues()).containsExactly(
                new UsageBucket("HH-1", "import", at("2026-11-28T10:00:00Z"), 2_500_000, 1),
                new UsageBucket("MTR-1", "import", at("2026-11-28T10:00:00Z"), 2_500_001, 1));
    }

    @Test
    void theMaximumPowerOfAMeterClassBoundsItsIntervals() throws Exception {
        restartWith(RULES.withMaxPower(Map.of("MTR-", 10L)));
        process(reading("r-1", "2026-11-28T10:00:00Z", "2026-11-28T10:15:00Z", 2_500_000, "2026-11-28T10:16:00Z")); // 10 kW
        process(reading("r-2", "2026-11-28T10:15:00Z", "2026-11-28T10:30:00Z", 2_500_001, "2026-11-28T10:31:00Z"));

        assertThat(rejectedReasons()).containsExactly("implausible_energy");
        assertThat(harness.extractOutputValues()).containsExactly(new UsageBucket("MTR-0001", "import", at("2026-11-28T10:00:00Z"), 2_500_000, 1));
    }

    @Test
    void aRegisterSpanLongerThanTheMaximumIsNotSpreadAndTheLaterValueIsANewBaseline() throws Exception {
        restartWith(RULES.withMaxRegisterSpan(Duration.ofDays(10)));
        process(register("MTR-0001", "a", "2026-11-01T00:00:00Z", 1_000, "2026-11-01T00:01:00Z"));
        process(register("MTR-0001", "b", "2026-11-21T00:00:00Z", 9_000, "2026-11-21T00:01:00Z"));
        process(register("MTR-0001", "c", "2026-11-21T00:15:00Z", 9_300, "2026-11-21T00:16:00Z"));

        assertThat(harness.extractOutputValues()).containsExactly(new UsageBucket("MTR-0001", "import", at("2026-11-21T00:00:00Z"), 300, 1));
        assertThat(rejectedReasons()).isEmpty();
    }

    @Test
    void aReadingOurCodeFailsOnIsUnprocessableAndChangesNothing() throws Exception {
        // The parser never lets such energy through; here, with no bound on power, it makes the bucket's sum overflow.
        restartWith(UsageRules.of(Duration.ofDays(7), Duration.ofDays(1), Long.MAX_VALUE, Map.of()));
        process(reading("r-1", "2026-11-28T10:00:00Z", "2026-11-28T10:05:00Z", Long.MAX_VALUE, "2026-11-28T10:06:00Z"));
        process(reading("r-2", "2026-11-28T10:05:00Z", "2026-11-28T10:10:00Z", 1, "2026-11-28T10:11:00Z"));
        process(reading("r-2", "2026-11-28T10:05:00Z", "2026-11-28T10:10:00Z", 1, "2026-11-28T10:11:00Z"));

        assertThat(rejectedReasons()).containsExactly("unprocessable", "unprocessable"); // not accepted, so no duplicate either
        assertThat(harness.getSideOutput(ParseAndValidate.REJECTED).peek().getValue().detail).startsWith("java.lang.ArithmeticException");
        assertThat(harness.extractOutputValues()).containsExactly(
                new UsageBucket("MTR-0001", "import", at("2026-11-28T10:00:00Z"), Long.MAX_VALUE, 1));
        assertThat(mapKeys(MeterState.ACCEPTED_READINGS)).containsExactly("r-1");
    }
}
