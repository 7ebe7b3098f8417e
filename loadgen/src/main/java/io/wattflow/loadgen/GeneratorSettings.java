package io.wattflow.loadgen;

import java.time.Duration;
import java.time.Instant;

/**
 * What to generate. Everything the generator emits is a function of these values, so the same settings give
 * the same records in the same order, and the expected usage is known before a single record is produced.
 *
 * @param meters           number of meters, named MTR-0001, MTR-0002, ...
 * @param readingsPerMeter interval readings per meter (consecutive intervals from {@code start})
 * @param intervalMinutes  length of each interval reading; 15 aligns with the billing buckets, other lengths get split
 * @param seed             seed of every random choice
 * @param start            start of the first interval; aligned to 15 minutes
 * @param duplicateShare   share of readings sent a second time, byte for byte (the pipeline must count them once)
 * @param outOfOrderShare  share of readings held back and sent after the next one
 * @param lateShare        share of readings sent late: after every other reading of the run
 * @param malformedShare   share of extra records that are not valid readings (the pipeline dead-letters them)
 * @param registerMeters   further meters, named REG-0001, ..., that send cumulative register values at each interval end
 * @param registerResetShare share of register values that are a reset to zero (the span before is billed as zero)
 * @param firstMeterNumber added to every meter's number: batches with their own meters (a register meter's values run
 *                         on from one batch to the next only within one generator)
 */
public record GeneratorSettings(int meters, int readingsPerMeter, int intervalMinutes, long seed, Instant start,
                                double duplicateShare, double outOfOrderShare, double lateShare, double malformedShare,
                                int registerMeters, double registerResetShare, int firstMeterNumber) {

    public static final Duration BUCKET = Duration.ofMinutes(15);

    /** Interval meters only, no faults. */
    public GeneratorSettings(int meters, int readingsPerMeter, int intervalMinutes, long seed, Instant start,
                             double duplicateShare, double outOfOrderShare, double lateShare, double malformedShare) {
        this(meters, readingsPerMeter, intervalMinutes, seed, start, duplicateShare, outOfOrderShare, lateShare, malformedShare, 0, 0, 0);
    }

    public GeneratorSettings {
        if (meters < 1 || meters > 9_999_999) {
            throw new IllegalArgumentException("--meters must be between 1 and 9999999, got " + meters);
        }
        if (readingsPerMeter < 1) {
            throw new IllegalArgumentException("readings per meter must be at least 1 (raise --rate or --duration)");
        }
        if (intervalMinutes < 1 || intervalMinutes > 24 * 60) {
            throw new IllegalArgumentException("--interval-minutes must be between 1 and 1440, got " + intervalMinutes);
        }
        if (start.getEpochSecond() % BUCKET.toSeconds() != 0 || start.getNano() != 0) {
            throw new IllegalArgumentException("--start must be aligned to 15 minutes (e.g. 2026-11-28T10:15:00Z), got " + start);
        }
        if (registerMeters < 0 || registerMeters > 9_999_999) {
            throw new IllegalArgumentException("--register-meters must be between 0 and 9999999, got " + registerMeters);
        }
        if (firstMeterNumber < 0 || (long) firstMeterNumber + Math.max(meters, registerMeters) > 9_999_999) {
            throw new IllegalArgumentException("meter numbers must stay between 1 and 9999999, got " + firstMeterNumber + " added");
        }
        for (double share : new double[] {duplicateShare, outOfOrderShare, lateShare, malformedShare, registerResetShare}) {
            if (!(share >= 0 && share <= 1)) {
                throw new IllegalArgumentException("shares must be between 0 and 1, got " + share);
            }
        }
    }

    /** Settings whose last interval ends no later than {@code now}, so no reading lies in the future. */
    public static GeneratorSettings endingBefore(Instant now, int meters, int readingsPerMeter, int intervalMinutes, long seed) {
        long bucketSeconds = BUCKET.toSeconds();
        long span = (long) readingsPerMeter * intervalMinutes * 60;
        long start = Math.floorDiv(now.getEpochSecond() - span, bucketSeconds) * bucketSeconds;
        return new GeneratorSettings(meters, readingsPerMeter, intervalMinutes, seed, Instant.ofEpochSecond(start), 0, 0, 0, 0);
    }

    public GeneratorSettings withFaults(double duplicates, double outOfOrder, double late, double malformed) {
        return new GeneratorSettings(meters, readingsPerMeter, intervalMinutes, seed, start, duplicates, outOfOrder, late, malformed,
                registerMeters, registerResetShare, firstMeterNumber);
    }

    public GeneratorSettings withRegisterMeters(int count, double resetShare) {
        return new GeneratorSettings(meters, readingsPerMeter, intervalMinutes, seed, start, duplicateShare, outOfOrderShare, lateShare,
                malformedShare, count, resetShare, firstMeterNumber);
    }

    /** The same, with every meter's number {@code first} higher (MTR-0101 and REG-0101 on, for 100). */
    public GeneratorSettings withMeterNumbersFrom(int first) {
        return new GeneratorSettings(meters, readingsPerMeter, intervalMinutes, seed, start, duplicateShare, outOfOrderShare, lateShare,
                malformedShare, registerMeters, registerResetShare, first);
    }

    /** The id of interval meter {@code index} of these settings. */
    public String intervalMeter(int index) {
        return meterId(firstMeterNumber + index);
    }

    /** The id of register meter {@code index} of these settings. */
    public String registerMeter(int index) {
        return registerMeterId(firstMeterNumber + index);
    }

    /** Meters of both kinds. */
    public int allMeters() {
        return meters + registerMeters;
    }

    public Instant end() {
        return start.plus(Duration.ofMinutes((long) readingsPerMeter * intervalMinutes));
    }

    public static String meterId(int index) {
        return String.format("MTR-%04d", index + 1);
    }

    public static String registerMeterId(int index) {
        return String.format("REG-%04d", index + 1);
    }
}
