package io.wattflow.pipeline.usage;

import static org.assertj.core.api.Assertions.assertThat;

import io.wattflow.pipeline.reading.IntervalReading;
import io.wattflow.pipeline.reading.ParseAndValidate;
import io.wattflow.pipeline.reading.RawReading;
import io.wattflow.pipeline.reading.Rejection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MeterUsageTest {
    private KeyedOneInputStreamOperatorTestHarness<String, IntervalReading, UsageBucket> harness;

    @BeforeEach
    void openHarness() throws Exception {
        harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new MeterUsage(Duration.ofDays(7), Duration.ofDays(1))), reading -> reading.meterId, Types.STRING);
        harness.open();
    }

    @AfterEach
    void closeHarness() throws Exception {
        harness.close();
    }

    private static long at(String instant) {
        return Instant.parse(instant).toEpochMilli();
    }

    private static IntervalReading reading(String id, String start, String end, long energy, String recordTime) {
        IntervalReading reading = new IntervalReading(id, "MTR-0001", "import", at(start), at(end), energy, at(recordTime));
        reading.source = new RawReading("readings", 0, 1, at(recordTime), null, ("{\"readingId\":\"" + id + "\"}").getBytes());
        return reading;
    }

    private void process(IntervalReading reading) throws Exception {
        harness.processElement(new StreamRecord<>(reading, reading.recordTimestamp));
    }

    private List<String> rejectedReasons() {
        var side = harness.getSideOutput(ParseAndValidate.REJECTED);
        return side == null ? List.of() : side.stream().map(StreamRecord::getValue).map((Rejection r) -> r.reason).toList();
    }

    private <K, V> List<K> mapKeys(MapStateDescriptor<K, V> descriptor) throws Exception {
        harness.getOperator().setCurrentKey("MTR-0001");
        MapState<K, V> state = harness.getOperator().getKeyedStateBackend()
                .getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, descriptor);
        List<K> keys = new java.util.ArrayList<>();
        state.keys().forEach(keys::add);
        return keys;
    }

    @Test
    void eachReadingEmitsTheNewAbsoluteTotalOfEveryBucketItTouches() throws Exception {
        process(reading("r-1", "2026-11-28T10:00:00Z", "2026-11-28T10:30:00Z", 1_001, "2026-11-28T10:31:00Z"));
        process(reading("r-2", "2026-11-28T10:15:00Z", "2026-11-28T10:30:00Z", 2_000, "2026-11-28T10:31:00Z"));

        assertThat(harness.extractOutputValues()).containsExactly(
                new UsageBucket("MTR-0001", "import", at("2026-11-28T10:00:00Z"), 501, 1),
                new UsageBucket("MTR-0001", "import", at("2026-11-28T10:15:00Z"), 500, 1),
                new UsageBucket("MTR-0001", "import", at("2026-11-28T10:15:00Z"), 2_500, 2));
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
        assertThat(mapKeys(MeterUsage.ACCEPTED_READINGS)).hasSize(4);
        assertThat(mapKeys(MeterUsage.BUCKET_TOTALS)).hasSize(4);

        // Nine days later by record time: the old readings and buckets are past horizon + max interval.
        process(reading("r-late", "2026-11-10T00:00:00Z", "2026-11-10T00:15:00Z", 100, "2026-11-10T00:20:00Z"));

        assertThat(mapKeys(MeterUsage.ACCEPTED_READINGS)).containsExactly("r-late");
        assertThat(mapKeys(MeterUsage.BUCKET_TOTALS)).containsExactly(new BucketKey("import", at("2026-11-10T00:00:00Z")));
        assertThat(harness.numKeyedStateEntries()).isEqualTo(4); // the two maps, the clock, the sweep day
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }
}
