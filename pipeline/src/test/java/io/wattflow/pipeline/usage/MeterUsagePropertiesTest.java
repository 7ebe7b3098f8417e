package io.wattflow.pipeline.usage;

import static org.assertj.core.api.Assertions.assertThat;

import io.wattflow.pipeline.reading.MeterReading;
import io.wattflow.pipeline.reading.ParseAndValidate;
import io.wattflow.pipeline.reading.RawReading;
import io.wattflow.pipeline.reading.ReadingKind;
import io.wattflow.pipeline.reading.Rejection;
import io.wattflow.pipeline.reading.RejectionReason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Properties of MeterUsageOperator in its harness (RocksDB, writes buffered until the barrier, as the job runs it) over
 * generated readings with extreme values in every field the parser lets through: no exception escapes, each reading is
 * accepted, a duplicate or rejected for a rule (never {@code unprocessable}), and every bucket total stays within what
 * the meter could have measured. Seeded: a failure names the seed and the reading.
 */
class MeterUsagePropertiesTest {
    private static final long BASE = Instant.parse("2026-11-28T00:00:00Z").toEpochMilli();
    private static final long QUARTER = Duration.ofMinutes(15).toMillis();
    private static final UsageRules RULES = MeterUsageTest.RULES.withMaxPower(Map.of("HH-", 50L))
            .withMaxRegisterSpan(Duration.ofDays(30));
    private static final String[] METERS = {"HH-1", "HH-2", "MTR-1", "ROLL-1"};

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {11, 12, 13})
    void everyReadingIsAcceptedOrRejectedAndTotalsStayPlausible(long seed) throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        var harness = MeterUsageTest.newHarness(RULES, 64);
        harness.open();
        try {
            long recordClock = BASE;
            long watermark = Long.MIN_VALUE;
            for (int i = 0; i < 1_500; i++) {
                recordClock += random.nextInt(10) == 0 ? random.nextLong(Duration.ofDays(3).toMillis()) : random.nextLong(QUARTER);
                MeterReading reading = reading(random, i, recordClock);
                int outputsBefore = harness.getOutput().size();
                int rejectedBefore = rejected(harness).size();

                harness.processElement(new StreamRecord<>(reading, reading.recordTimestamp));

                List<Rejection> rejections = rejected(harness);
                assertThat(rejections.size() - rejectedBefore).as("seed %d: %s", seed, reading).isBetween(0, 1);
                if (rejections.size() > rejectedBefore) {
                    Rejection rejection = rejections.get(rejections.size() - 1);
                    assertThat(rejection.reason).as("seed %d: %s: %s", seed, reading, rejection)
                            .isNotEqualTo(RejectionReason.UNPROCESSABLE);
                    assertThat(harness.getOutput().size()).as("a rejected reading changes no bucket").isEqualTo(outputsBefore);
                }
                if (random.nextInt(50) == 0) {
                    harness.prepareSnapshotPreBarrier(i);
                }
                if (random.nextInt(20) == 0) {
                    // the stream's time, at most the horizon behind the newest record: timers forget silent meters
                    watermark = Math.max(watermark, recordClock - RULES.latenessHorizon().toMillis() - random.nextLong(Duration.ofDays(2).toMillis()));
                    harness.processWatermark(watermark);
                }
            }
            assertThat(rejected(harness).size()).as("the generator reaches acceptance, not only rejections").isLessThan(1_000);
            for (UsageBucket bucket : harness.extractOutputValues()) {
                long limit = RULES.maxEnergy(bucket.meterId, QUARTER) + bucket.readingCount; // + the pro-rata rounding
                assertThat(bucket.energyMilliWattHours).as("seed %d: %s", seed, bucket).isBetween(0L, limit);
                assertThat(bucket.readingCount).as("seed %d: %s", seed, bucket).isPositive();
            }
        } finally {
            harness.close();
        }
    }

    private static List<Rejection> rejected(KeyedOneInputStreamOperatorTestHarness<String, MeterReading, UsageBucket> harness) {
        var side = harness.getSideOutput(ParseAndValidate.REJECTED);
        return side == null ? List.of() : side.stream().map(StreamRecord::getValue).toList();
    }

    /** A reading as the parser could pass it on: whole seconds within the horizon of its record time, bounded energy. */
    private static MeterReading reading(SplittableRandom random, int index, long recordTimestamp) {
        String meter = METERS[random.nextInt(METERS.length)];
        String channel = random.nextInt(4) == 0 ? "export" : "import";
        boolean register = meter.startsWith("ROLL-") || meter.equals("HH-2") ? random.nextInt(10) > 0 : random.nextInt(10) == 0;
        long time = wholeSeconds(recordTimestamp - random.nextLong(random.nextInt(5) == 0 ? Duration.ofDays(7).toMillis() : 3 * QUARTER));
        String id = random.nextInt(10) == 0 ? "r-" + random.nextInt(Math.max(1, index)) : "r-" + index; // some ids again
        MeterReading reading;
        if (register) {
            long value = switch (random.nextInt(6)) {
                case 0 -> random.nextLong(1_000_000_000_000_000_000L);
                case 1 -> 99_999_999_000L + random.nextLong(2_000_000L); // around ROLL-'s capacity
                case 2 -> 0;
                default -> 10_000_000_000L + (time - BASE) / 1000 * random.nextLong(1, 20); // a meter that keeps advancing
            };
            reading = MeterReading.register(id, meter, channel, time, value, recordTimestamp);
        } else {
            long length = random.nextInt(4) == 0 ? 1000L * random.nextLong(1, 86_400) : QUARTER * random.nextLong(1, 4);
            long start = random.nextBoolean() ? time - length : (time - length) / QUARTER * QUARTER;
            long energy = random.nextInt(5) == 0 ? RULES.maxEnergy(length) : random.nextLong(RULES.maxEnergy(length) + 1);
            reading = new MeterReading(id, meter, channel, start, start + length, energy, recordTimestamp);
        }
        reading.source = new RawReading("readings", 0, index, recordTimestamp, meter.getBytes(StandardCharsets.UTF_8),
                reading.toString().getBytes(StandardCharsets.UTF_8));
        return reading;
    }

    private static long wholeSeconds(long millis) {
        return Math.floorDiv(millis, 1000) * 1000;
    }

    static {
        assertThat(ReadingKind.values()).hasSize(2); // the generator covers both kinds
    }
}
