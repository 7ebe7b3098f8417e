package io.wattflow.pipeline.usage;

import io.wattflow.pipeline.reading.MeterReading;
import io.wattflow.pipeline.reading.ReadingKind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Holds state writes in memory until the checkpoint barrier (or until {@code maxBufferedEntries} are waiting): a
 * bucket that three readings change within a checkpoint is read and written once, a meter's clock is written once,
 * and the accepted reading ids go to RocksDB in one batch per meter. Nothing waits across a checkpoint, so the
 * snapshot holds exactly what writing each change at once would have left.
 *
 * <p>It also remembers what it last read or wrote of a meter's clock, sweep day and channel kinds: this operator is
 * their only writer, so reading them again would cost a RocksDB lookup for nothing. A restored or rescaled job
 * starts empty and reads state.
 *
 * <p>For the same reason it keeps a {@link ReadingIdFilter} of each meter's accepted reading ids, built from state
 * when the meter is first met (none to read for a new meter) and again after each daily sweep or when full: a
 * reading id the filter has never seen is new without asking RocksDB. Within {@link #MAX_FILTER_BYTES} per subtask;
 * a meter met beyond it asks state for every reading, as without the filter.
 */
final class MeterStateCache {
    /** At most this many meters per subtask are remembered (about 200 bytes each). */
    static final int MAX_CACHED_METERS = 200_000;
    /**
     * Heap for the meters' reading-id filters per subtask: 32 MB holds about 10,000 meters of 15-minute readings over
     * the 7-day horizon (672 ids, 3.4 KB with room to grow), or 50,000 meters of up to 512 ids (640 bytes).
     */
    static final long MAX_FILTER_BYTES = 32L << 20;

    /** Switches the keyed state between meters. */
    interface KeySwitch {
        void switchTo(String meterId);

        String current();
    }

    private final MeterState state;
    private final KeySwitch keys;
    private final int maxBufferedEntries;
    private final Map<String, Meter> meters = new HashMap<>();
    /** Meters whose entry holds writes not yet in state, or bucket totals read since their last write-out. */
    private final Set<String> metersBuffering = new LinkedHashSet<>();
    /** Accepted readings and bucket totals held by the entries of {@link #metersBuffering}. */
    private int bufferedEntries;
    /** Heap taken by the filters of the remembered meters. */
    private long filterBytes;

    /**
     * @param maxBufferedEntries accepted readings and bucket totals held in memory per subtask before they are written
     *                           to state ahead of the next checkpoint (about 200 bytes each)
     */
    MeterStateCache(MeterState state, KeySwitch keys, int maxBufferedEntries) {
        this.state = state;
        this.keys = keys;
        this.maxBufferedEntries = maxBufferedEntries;
    }

    /** The meter the keyed state is at. */
    Meter meter(String meterId) throws Exception {
        Meter meter = meters.get(meterId);
        if (meter == null) {
            if (meters.size() >= MAX_CACHED_METERS) {
                writeBuffered();
                meters.clear();
                filterBytes = 0;
            }
            meter = new Meter();
            Long storedClock = state.clock.value();
            Long storedSweep = state.lastSweepDay.value();
            meter.clock = storedClock == null ? Long.MIN_VALUE : storedClock;
            meter.sweptDay = storedSweep == null ? Long.MIN_VALUE : storedSweep;
            // Read even for a meter without a clock: one seek that finds nothing costs what one lookup of a new id did.
            meter.rebuildFilter();
            meters.put(meterId, meter);
        }
        metersBuffering.add(meterId);
        return meter;
    }

    /** Writes everything waiting once the buffer is full; the keyed state is back at the current meter afterwards. */
    void writeBufferedIfFull() throws Exception {
        if (bufferedEntries >= maxBufferedEntries) {
            writeBuffered();
        }
    }

    /**
     * Writes what every buffering meter's entry holds to state, switching the keyed state from meter to meter. Called
     * before each checkpoint barrier and at the end of input, and when the buffer is full.
     */
    void writeBuffered() throws Exception {
        if (metersBuffering.isEmpty()) {
            return;
        }
        String current = keys.current();
        for (String meterId : metersBuffering) {
            Meter meter = meters.get(meterId);
            if (meter.buffering()) {
                keys.switchTo(meterId);
                meter.writeOut();
            }
        }
        metersBuffering.clear();
        bufferedEntries = 0;
        if (current != null) {
            keys.switchTo(current);
        }
    }

    /** Drops what it remembers of a meter whose state was cleared (nothing of it may be waiting). */
    void forget(String meterId) {
        Meter meter = meters.remove(meterId);
        if (meter != null && meter.ids != null) {
            filterBytes -= meter.ids.bytes();
        }
        metersBuffering.remove(meterId);
    }

    /** What this instance knows of one meter, and the writes waiting for {@link #writeBuffered()}. */
    final class Meter implements MeterView {
        long clock = Long.MIN_VALUE;
        private boolean clockChanged;
        long sweptDay = Long.MIN_VALUE;
        private final Map<String, ReadingKind> kinds = new HashMap<>(4);
        /** Readings accepted since the last write-out, by reading id. */
        private Map<String, AcceptedReading> accepted;
        /**
         * Every reading id of this meter in state or waiting to go there, and perhaps some swept since; null when the
         * subtask's filter heap was spent (then every id is looked up in state).
         */
        private ReadingIdFilter ids;
        /** Bucket totals read or changed since the last write-out; null values are buckets known to be absent. */
        private Map<BucketKey, BucketTotal> buckets;
        private Set<BucketKey> changedBuckets;

        /** Moves the clock forward to the record's timestamp, if later; returns the clock. */
        long advanceClock(long recordTimestamp) {
            if (recordTimestamp > clock) {
                clock = recordTimestamp;
                clockChanged = true;
            }
            return clock;
        }

        @Override
        public ReadingKind channelKind(String channel) throws Exception {
            ReadingKind kind = kinds.get(channel);
            if (kind == null) {
                kind = state.channelKinds.get(channel);
                if (kind != null) {
                    kinds.put(channel, kind);
                }
            }
            return kind;
        }

        @Override
        public AcceptedReading acceptedReading(String readingId) throws Exception {
            AcceptedReading waiting = accepted == null ? null : accepted.get(readingId);
            if (waiting != null) {
                return waiting;
            }
            if (ids != null && !ids.mightContain(readingId)) {
                return null; // certain: never accepted
            }
            return state.accepted.get(readingId);
        }

        /**
         * Builds the reading-id filter from what state holds and what waits to go there: when the meter is first met,
         * after the daily sweep removed ids, and when it is full. The keyed state must be at this meter.
         */
        void rebuildFilter() throws Exception {
            if (ids != null) {
                filterBytes -= ids.bytes();
                ids = null;
            }
            List<String> known = new ArrayList<>();
            for (String id : state.accepted.keys()) {
                known.add(id);
            }
            if (accepted != null) {
                known.addAll(accepted.keySet());
            }
            if (filterBytes + ReadingIdFilter.bytesFor(known.size()) > MAX_FILTER_BYTES) {
                return; // this meter asks state for every id
            }
            ids = ReadingIdFilter.of(known);
            filterBytes += ids.bytes();
        }

        /** The bucket's total as it stands, from memory or else from state (then kept until the next write-out). */
        @Override
        public BucketTotal bucket(BucketKey key) throws Exception {
            if (buckets == null) {
                buckets = new HashMap<>();
                changedBuckets = new HashSet<>();
            } else if (buckets.containsKey(key)) {
                return buckets.get(key);
            }
            BucketTotal total = state.buckets.get(key);
            buckets.put(key, total);
            bufferedEntries++;
            return total;
        }

        @Override
        public Iterable<RegisterKey> registerKeys() throws Exception {
            return state.registerValues.keys();
        }

        @Override
        public Long registerValue(RegisterKey key) throws Exception {
            return state.registerValues.get(key);
        }

        /** Records an accepted reading: its id, its channel's kind, and a register's value (and glitches removed). */
        void accept(MeterReading reading, Verdict.Accepted verdict) throws Exception {
            if (reading.kind == ReadingKind.REGISTER) {
                state.registerValues.put(new RegisterKey(reading.channel, reading.startMillis), reading.energyMilliWattHours);
                for (RegisterKey glitch : verdict.glitches()) {
                    state.registerValues.remove(glitch);
                }
            }
            if (accepted == null) {
                accepted = new HashMap<>();
            }
            accepted.put(reading.readingId, new AcceptedReading(reading));
            bufferedEntries++;
            if (ids != null) {
                ids.add(reading.readingId);
                if (ids.full()) {
                    rebuildFilter();
                }
            }
            if (channelKind(reading.channel) == null) {
                state.channelKinds.put(reading.channel, reading.kind);
                kinds.put(reading.channel, reading.kind);
            }
        }

        /** Adds a change the verdict checked to the bucket's total (a new one if the meter has none); returns it. */
        BucketTotal add(BucketChange change, MeterReading reading) throws Exception {
            BucketTotal total = bucket(change.key());
            if (total == null) {
                total = new BucketTotal(0, 0);
                buckets.put(change.key(), total);
            }
            total.energyMilliWattHours += change.energyMilliWattHours();
            total.readingCount += change.readings();
            if (reading.kind == ReadingKind.INTERVAL) {
                total.addInterval(reading.startMillis, reading.endMillis, reading.energyMilliWattHours);
            }
            changedBuckets.add(change.key());
            return total;
        }

        private boolean buffering() {
            return clockChanged || accepted != null || buckets != null;
        }

        private int entries() {
            return (accepted == null ? 0 : accepted.size()) + (buckets == null ? 0 : buckets.size());
        }

        /** Writes this meter's waiting changes to state; the keyed state must be at this meter. */
        void writeOut() throws Exception {
            if (clockChanged) {
                state.clock.update(clock);
                clockChanged = false;
            }
            if (accepted != null) {
                state.accepted.putAll(accepted);
            }
            if (changedBuckets != null && !changedBuckets.isEmpty()) {
                Map<BucketKey, BucketTotal> changed = new HashMap<>();
                for (BucketKey key : changedBuckets) {
                    changed.put(key, buckets.get(key));
                }
                state.buckets.putAll(changed);
            }
            bufferedEntries -= entries();
            accepted = null;
            buckets = null;
            changedBuckets = null;
        }
    }
}
