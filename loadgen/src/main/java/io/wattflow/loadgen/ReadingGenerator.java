package io.wattflow.loadgen;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;

/**
 * Deterministic stream of readings in the Kafka contract: interval readings, meter by meter within each
 * interval, with the configured share of duplicates, out-of-order, late and malformed records mixed in.
 * It is an iterator, so millions of records need no memory; {@link #validReadings()} lists what the pipeline
 * must accept, which is how tests know the exact expected totals.
 */
public final class ReadingGenerator implements Iterator<ReadingGenerator.Record> {

    /** One Kafka record: key (the meter id) and JSON value. */
    public record Record(String key, String value) {
    }

    /** A valid, unique interval reading, as the pipeline must count it. */
    public record IntervalReading(String readingId, String meterId, Instant start, Instant end, long energyMilliWattHours) {
    }

    private final GeneratorSettings settings;
    private final SplittableRandom faults;
    private final Deque<Record> pending = new ArrayDeque<>();
    private final List<Record> lateRecords = new ArrayList<>();
    private Record heldBack;
    private long next;
    private final long total;
    private long malformedCount;

    public ReadingGenerator(GeneratorSettings settings) {
        this.settings = settings;
        this.faults = new SplittableRandom(settings.seed() ^ 0x5DEECE66DL);
        this.total = (long) settings.meters() * settings.readingsPerMeter();
    }

    /**
     * The reading number {@code n} of the run (meter-major within each interval), independent of the faults. Its id and
     * energy depend only on the seed, the meter and the interval, so two runs that cover the same interval of a meter
     * send the same reading (a duplicate the pipeline must count once), never a conflicting one.
     */
    public static IntervalReading reading(GeneratorSettings settings, long n) {
        int meter = (int) (n % settings.meters());
        long interval = n / settings.meters();
        Instant start = settings.start().plusSeconds(interval * settings.intervalMinutes() * 60L);
        Instant end = start.plusSeconds(settings.intervalMinutes() * 60L);
        long mix = (settings.seed() * 1_000_003L + meter) * 1_000_003L + start.getEpochSecond();
        long energy = new SplittableRandom(mix).nextLong(0, 2_500_001L * settings.intervalMinutes() / 15);
        return new IntervalReading("r-" + start.getEpochSecond() + "-" + settings.intervalMinutes(), GeneratorSettings.meterId(meter),
                start, end, energy);
    }

    /** Every valid reading the run contains, once each. */
    public static Iterable<IntervalReading> validReadings(GeneratorSettings settings) {
        long count = (long) settings.meters() * settings.readingsPerMeter();
        return () -> new Iterator<>() {
            long n;

            @Override
            public boolean hasNext() {
                return n < count;
            }

            @Override
            public IntervalReading next() {
                return reading(settings, n++);
            }
        };
    }

    public static String toJson(IntervalReading reading) {
        return "{\"readingId\":\"" + reading.readingId() + "\",\"meterId\":\"" + reading.meterId()
                + "\",\"channel\":\"import\",\"kind\":\"interval\",\"start\":\"" + reading.start()
                + "\",\"end\":\"" + reading.end() + "\",\"kwh\":"
                + BigDecimal.valueOf(reading.energyMilliWattHours(), 6).stripTrailingZeros().toPlainString() + "}";
    }

    public long malformedCount() {
        return malformedCount;
    }

    @Override
    public boolean hasNext() {
        fill();
        return !pending.isEmpty();
    }

    @Override
    public Record next() {
        fill();
        if (pending.isEmpty()) {
            throw new NoSuchElementException();
        }
        return pending.removeFirst();
    }

    private void fill() {
        while (pending.isEmpty() && (next < total || heldBack != null || !lateRecords.isEmpty())) {
            if (next >= total) {
                if (heldBack != null) {
                    pending.add(heldBack);
                    heldBack = null;
                } else {
                    pending.addAll(lateRecords);
                    lateRecords.clear();
                }
                return;
            }
            IntervalReading reading = reading(settings, next++);
            Record record = new Record(reading.meterId(), toJson(reading));
            if (chance(settings.malformedShare())) {
                malformedCount++;
                pending.add(new Record(reading.meterId(), malformed(reading)));
            }
            if (chance(settings.lateShare())) {
                lateRecords.add(record);
            } else if (heldBack == null && chance(settings.outOfOrderShare())) {
                heldBack = record;
            } else {
                pending.add(record);
                if (heldBack != null) {
                    pending.add(heldBack);
                    heldBack = null;
                }
            }
            if (chance(settings.duplicateShare())) {
                lateRecords.add(record);
            }
        }
    }

    private boolean chance(double share) {
        return share > 0 && faults.nextDouble() < share;
    }

    /** Records the pipeline must reject, each for a different reason. */
    private String malformed(IntervalReading reading) {
        return switch (faults.nextInt(4)) {
            case 0 -> "{\"readingId\":\"" + reading.readingId() + "-bad\",\"meterId\":\"" + reading.meterId();
            case 1 -> "{\"readingId\":\"" + reading.readingId() + "-bad\",\"meterId\":\"" + reading.meterId()
                    + "\",\"kind\":\"interval\",\"start\":\"" + reading.start() + "\",\"end\":\"" + reading.end() + "\",\"kwh\":-1.5}";
            case 2 -> "{\"readingId\":\"" + reading.readingId() + "-bad\",\"meterId\":\"" + reading.meterId()
                    + "\",\"kind\":\"interval\",\"start\":\"" + reading.end() + "\",\"end\":\"" + reading.start() + "\",\"kwh\":1}";
            default -> "not json at all";
        };
    }
}
