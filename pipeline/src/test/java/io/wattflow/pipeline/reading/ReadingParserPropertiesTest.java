package io.wattflow.pipeline.reading;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Properties of the parser over generated input: whatever the bytes and the record timestamp, it returns exactly one of
 * a reading and a rejection, never throws and never calls its own failure {@code unprocessable}; what it accepts lies
 * within the plausibility bounds. Seeded, so a failure names the seed and the input and is reproduced by rerunning.
 */
class ReadingParserPropertiesTest {
    private static final ReadingParser.ReadingRules RULES = ReadingParserTest.RULES;
    private static final long BASE = Instant.parse("2026-11-28T10:00:00Z").toEpochMilli();
    private final ReadingParser parser = new ReadingParser(RULES);

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void arbitraryBytesAreAcceptedOrRejectedNeverThrown(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 3_000; i++) {
            byte[] value = new byte[random.nextInt(600)];
            random.nextBytes(value);
            check(new RawReading("readings", 0, i, recordTimestamp(random), null, value));
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void arbitraryJsonReadingsAreAcceptedOrRejectedNeverThrown(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int accepted = 0;
        for (int i = 0; i < 10_000; i++) {
            String json = HostileJson.reading(random);
            if (check(new RawReading("readings", 0, i, recordTimestamp(random), "M1".getBytes(StandardCharsets.UTF_8),
                    json.getBytes(StandardCharsets.UTF_8)))) {
                accepted++;
            }
        }
        assertThat(accepted).as("the generator reaches the checks past the JSON too").isGreaterThan(100);
    }

    /** Whether the reading was accepted; fails the test on anything but a clean answer. */
    private boolean check(RawReading raw) {
        String input = new String(raw.value, StandardCharsets.UTF_8) + " at record time " + raw.recordTimestamp;
        ReadingParser.Result result = parser.parse(raw);
        assertThat(result.reading() == null).as(input).isNotEqualTo(result.rejection() == null);
        if (result.rejection() != null) {
            assertThat(result.rejection().reason).as(input).isNotEqualTo(RejectionReason.UNPROCESSABLE);
            assertThat(result.rejection().source).isSameAs(raw);
            assertThat(result.rejection().detail).as(input).isNotBlank().hasSizeLessThanOrEqualTo(Rejection.MAX_DETAIL_LENGTH + 3);
            return false;
        }
        MeterReading reading = result.reading();
        assertThat(IsoInstants.inRange(reading.startMillis) && IsoInstants.inRange(reading.endMillis)).as(input).isTrue();
        assertThat(reading.energyMilliWattHours).as(input).isNotNegative();
        assertThat(reading.endMillis).as(input).isLessThanOrEqualTo(raw.recordTimestamp + RULES.maxFutureSkew().toMillis())
                .isGreaterThanOrEqualTo(raw.recordTimestamp - RULES.latenessHorizon().toMillis());
        if (reading.kind == ReadingKind.INTERVAL) {
            assertThat(reading.endMillis - reading.startMillis).as(input).isPositive().isLessThanOrEqualTo(RULES.maxInterval().toMillis());
            assertThat(reading.energyMilliWattHours).as(input).isLessThanOrEqualTo(RULES.maxEnergy(reading.endMillis - reading.startMillis));
        } else {
            assertThat(reading.energyMilliWattHours).as(input).isLessThan(1_000_000_000_000_000_000L);
        }
        return true;
    }

    /** Mostly near the readings' own times, sometimes anywhere a long can be. */
    private static long recordTimestamp(SplittableRandom random) {
        return switch (random.nextInt(10)) {
            case 0 -> random.nextLong();
            case 1 -> HostileJson.pick(random, Long.MIN_VALUE, -1L, 0L, 4_102_444_799_999L, 4_102_444_800_000L, Long.MAX_VALUE);
            default -> BASE + random.nextLong(Duration.ofDays(2).toMillis());
        };
    }
}
