package io.wattflow.pipeline.usage;

import static org.assertj.core.api.Assertions.assertThat;

import io.wattflow.pipeline.usage.ProRataSplit.Part;
import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ProRataSplitTest {
    private static long at(String instant) {
        return Instant.parse(instant).toEpochMilli();
    }

    @Test
    void anAlignedQuarterHourFallsIntoOneBucket() {
        assertThat(ProRataSplit.split(at("2026-11-28T10:00:00Z"), at("2026-11-28T10:15:00Z"), 1_234_000))
                .containsExactly(new Part(at("2026-11-28T10:00:00Z"), 1_234_000));
    }

    @Test
    void anOddHalfHourGivesTheLeftOverMilliWattHourToTheEarlierBucket() {
        assertThat(ProRataSplit.split(at("2026-11-28T10:00:00Z"), at("2026-11-28T10:30:00Z"), 1_001))
                .containsExactly(new Part(at("2026-11-28T10:00:00Z"), 501), new Part(at("2026-11-28T10:15:00Z"), 500));
    }

    @Test
    void largestRemaindersGetTheLeftOversTiesToTheEarliest() {
        // 45 minutes: 10 + 15 + 15 + 5 minutes -> exact shares 22.2, 33.3, 33.3, 11.1 of 100
        assertThat(ProRataSplit.split(at("2026-11-28T10:05:00Z"), at("2026-11-28T10:50:00Z"), 100)).containsExactly(
                new Part(at("2026-11-28T10:00:00Z"), 22),
                new Part(at("2026-11-28T10:15:00Z"), 34),
                new Part(at("2026-11-28T10:30:00Z"), 33),
                new Part(at("2026-11-28T10:45:00Z"), 11));
    }

    @Test
    void anIntervalInsideOneBucketKeepsItsEnergy() {
        assertThat(ProRataSplit.split(at("2026-11-28T10:01:00Z"), at("2026-11-28T10:06:00Z"), 7))
                .containsExactly(new Part(at("2026-11-28T10:00:00Z"), 7));
    }

    @Test
    void hugeEnergiesAreSplitExactlyWithoutOverflow() {
        long energy = Long.MAX_VALUE / 3;
        List<Part> parts = ProRataSplit.split(at("2026-11-28T00:00:00Z"), at("2026-11-29T00:00:00Z"), energy);
        assertThat(parts).hasSize(96);
        assertThat(parts.stream().mapToLong(Part::energyMilliWattHours).sum()).isEqualTo(energy);
    }

    @Test
    void partsAlwaysSumToTheReadingAndStayWithinOneOfTheExactShare() {
        SplittableRandom random = new SplittableRandom(7);
        long base = at("2026-11-28T00:00:00Z");
        for (int i = 0; i < 5_000; i++) {
            long start = base + random.nextLong(0, 86_400_000L);
            long end = start + random.nextLong(1, 6 * 3_600_000L);
            long energy = random.nextLong(0, 50_000_000L);
            List<Part> parts = ProRataSplit.split(start, end, energy);
            assertThat(parts.stream().mapToLong(Part::energyMilliWattHours).sum()).isEqualTo(energy);
            for (Part part : parts) {
                long overlap = Math.min(end, part.bucketStartMillis() + ProRataSplit.BUCKET_MILLIS) - Math.max(start, part.bucketStartMillis());
                double exact = (double) energy * overlap / (end - start);
                assertThat((double) part.energyMilliWattHours()).isBetween(Math.floor(exact) - 1e-6, Math.ceil(exact) + 1e-6);
            }
        }
    }
}
