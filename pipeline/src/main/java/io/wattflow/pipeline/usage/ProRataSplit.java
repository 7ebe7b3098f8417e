package io.wattflow.pipeline.usage;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits the energy of an interval [start, end) across the 15-minute UTC buckets it overlaps, in proportion to
 * the time in each, in integer milli-Wh. Largest-remainder rounding: each bucket gets the floor of its exact share,
 * and the milli-Wh left over go one each to the buckets with the largest remainders, ties to the earliest bucket.
 * The parts therefore always sum to the reading, and the result depends only on the reading.
 */
public final class ProRataSplit {
    public static final long BUCKET_MILLIS = 15 * 60 * 1000L;

    private ProRataSplit() {
    }

    /** One bucket's share. */
    public record Part(long bucketStartMillis, long energyMilliWattHours) {
    }

    public static long bucketStart(long epochMillis) {
        return Math.floorDiv(epochMillis, BUCKET_MILLIS) * BUCKET_MILLIS;
    }

    public static List<Part> split(long startMillis, long endMillis, long energyMilliWattHours) {
        if (endMillis <= startMillis) {
            throw new IllegalArgumentException("end must be after start");
        }
        if (energyMilliWattHours < 0) {
            throw new IllegalArgumentException("energy must not be negative");
        }
        long firstBucket = bucketStart(startMillis);
        if (endMillis <= firstBucket + BUCKET_MILLIS) {
            return List.of(new Part(firstBucket, energyMilliWattHours));
        }
        long total = endMillis - startMillis;
        int count = (int) ((bucketStart(endMillis - 1) - firstBucket) / BUCKET_MILLIS + 1);
        long[] bucketStarts = new long[count];
        long[] parts = new long[count];
        long[] remainders = new long[count];
        long assigned = 0;
        for (int i = 0; i < count; i++) {
            long bucket = firstBucket + i * BUCKET_MILLIS;
            long overlap = Math.min(endMillis, bucket + BUCKET_MILLIS) - Math.max(startMillis, bucket);
            bucketStarts[i] = bucket;
            long[] quotientAndRemainder = share(energyMilliWattHours, overlap, total);
            parts[i] = quotientAndRemainder[0];
            remainders[i] = quotientAndRemainder[1];
            assigned += parts[i];
        }
        long leftOver = energyMilliWattHours - assigned; // fewer than count
        while (leftOver > 0) {
            int best = -1;
            for (int i = 0; i < count; i++) {
                if (remainders[i] >= 0 && (best < 0 || remainders[i] > remainders[best])) {
                    best = i; // strict '>' keeps the earliest bucket on ties
                }
            }
            parts[best]++;
            remainders[best] = -1;
            leftOver--;
        }
        List<Part> result = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            result.add(new Part(bucketStarts[i], parts[i]));
        }
        return result;
    }

    /** floor(energy x overlap / total) and its remainder, exact even where the product exceeds a long. */
    private static long[] share(long energy, long overlap, long total) {
        try {
            long product = Math.multiplyExact(energy, overlap);
            return new long[] {product / total, product % total};
        } catch (ArithmeticException overflow) {
            BigInteger[] division = BigInteger.valueOf(energy).multiply(BigInteger.valueOf(overlap))
                    .divideAndRemainder(BigInteger.valueOf(total));
            return new long[] {division[0].longValueExact(), division[1].longValueExact()};
        }
    }
}
