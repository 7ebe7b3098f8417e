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
 * Deterministic stream of readings in the Kafka contract, meter by meter within each interval: interval readings
 * from MTR- meters and cumulative register values (at each interval end, some of them resets to zero) from REG-
 * meters, with the configured share of duplicates, out-of-order, late and malformed records mixed in.
 * It is an iterator, so millions of records need no memory; {@link #validReadings} lists what the pipeline must
 * bill, which is how tests know the exact expected totals.
 */
public final class ReadingGenerator implements Iterator<ReadingGenerator.Record> {

    /** One Kafka record: key (the meter id) and JSON value. */
    public record Record(String key, String value) {
    }

    /**
     * What the pipeline must bill for one interval of one meter: an interval reading, or the span of a register meter
     * from the previous interval end to this one (zero energy when the register was reset).
     */
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
    /** Current register value of each register meter, in milli-Wh. */
    private final long[] registerValues;

    public ReadingGenerator(GeneratorSettings settings) {
        this.settings = settings;
        this.faults = new SplittableRandom(settings.seed() ^ 0x5DEECE66DL);
        this.total = (long) settings.allMeters() * settings.readingsPerMeter();
        this.registerValues = new long[settings.registerMeters()];
    }

    /**
     * The reading number {@code n} of the run (meter-major within each interval), independent of the faults. Its id and
     * energy depend only on the seed, the meter and the interval, so two runs that cover the same interval of a meter
     * send the same reading (a duplicate the pipeline must count once), never a conflicting one.
     */
    public static IntervalReading reading(GeneratorSettings settings, long n) {
        int meter = (int) (n % settings.allMeters());
        long interval = n / settings.allMeters();
        Instant start = settings.start().plusSeconds(interval * settings.intervalMinutes() * 60L);
        Instant end = start.plusSeconds(settings.intervalMinutes() * 60L);
        long energy = energy(settings, meter, start);
        if (meter < settings.meters()) {
            return new IntervalReading("r-" + start.getEpochSecond() + "-" + settings.intervalMinutes(), settings.intervalMeter(meter),
                    start, end, energy);
        }
        int register = meter - settings.meters();
        return new IntervalReading("g-" + end.getEpochSecond(), settings.registerMeter(register), start, end,
                isReset(settings, register, interval) ? 0 : energy);
    }

    private static long energy(GeneratorSettings settings, int meter, Instant start) {
        long mix = (settings.seed() * 1_000_003L + meter) * 1_000_003L + start.getEpochSecond();
        return new SplittableRandom(mix).nextLong(0, 2_500_001L * settings.intervalMinutes() / 15);
    }

    /** A register meter's value at the end of this interval is a reset to zero (never for its first value). */
    private static boolean isReset(GeneratorSettings settings, int register, long interval) {
        return interval > 0 && settings.registerResetShare() > 0
                && new SplittableRandom(settings.seed() * 7_919L + register * 104_729L + interval).nextDouble() < settings.registerResetShare();
    }

    /** The first register value of a meter, a large one, so that a reset is always a drop. */
    private static long registerBase(GeneratorSettings settings, int register) {
        return new SplittableRandom(settings.seed() * 31L + register).nextLong(10_000_000_000L, 90_000_000_000L);
    }

    /** What the run must bill, one entry per meter and interval (a register meter's first value bills nothing). */
    public static Iterable<IntervalReading> validReadings(GeneratorSettings settings) {
        long count = (long) settings.allMeters() * settings.readingsPerMeter();
        return () -> new Iterator<>() {
            long n = nextBilled(0);

            private long nextBilled(long from) {
                long candidate = from;
                // the first interval of a register meter is its baseline
                while (candidate < count && candidate < settings.allMeters() && candidate % settings.allMeters() >= settings.meters()) {
                    candidate++;
                }
                return candidate;
            }

            @Override
            public boolean hasNext() {
                return n < count;
            }

            @Override
            public IntervalReading next() {
                IntervalReading reading = reading(settings, n);
                n = nextBilled(n + 1);
                return reading;
            }
        };
    }

    public static String toJson(IntervalReading reading) {
        return "{\"readingId\":\"" + reading.readingId() + "\",\"meterId\":\"" + reading.meterId()
                + "\",\"channel\":\"import\",\"kind\":\"interval\",\"start\":\"" + reading.start()
                + "\",\"end\":\"" + reading.end() + "\",\"kwh\":"
                + BigDecimal.valueOf(reading.energyMilliWattHours(), 6).stripTrailingZeros().toPlainString() + "}";
    }

    /** The JSON of reading {@code n}; register meters send their running value, kept by this iterator. */
    private String json(IntervalReading reading, long n) {
        int meter = (int) (n % settings.allMeters());
        if (meter < settings.meters()) {
            return toJson(reading);
        }
        int register = meter - settings.meters();
        long interval = n / settings.allMeters();
        long energy = energy(settings, meter, reading.start());
        if (interval == 0) {
            registerValues[register] = registerBase(settings, register) + energy;
        } else if (isReset(settings, register, interval)) {
            registerValues[register] = 0;
        } else {
            registerValues[register] += energy;
        }
        return "{\"readingId\":\"" + reading.readingId() + "\",\"meterId\":\"" + reading.meterId()
                + "\",\"channel\":\"import\",\"kind\":\"register\",\"ts\":\"" + reading.end() + "\",\"registerKwh\":"
                + BigDecimal.valueOf(registerValues[register], 6).stripTrailingZeros().toPlainString() + "}";
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
            IntervalReading reading = reading(settings, next);
            Record record = new Record(reading.meterId(), json(reading, next));
            next++;
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
