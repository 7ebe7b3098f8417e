package io.wattflow.pipeline.usage;

import java.util.Collection;

/**
 * A Bloom filter of one meter's accepted reading ids, on the heap: "not in it" is certain, "in it" means ask state.
 * Almost every reading of a drain or of a steady stream is new, and proving that a reading id is not in RocksDB was a
 * lookup that searches the memtable and the files' filters and finds nothing: a quarter of the keyed task's time in
 * the benchmark's drain. With the filter a new reading costs no lookup; a resend (or a false positive, about 1 in 100)
 * still asks state, which decides.
 *
 * <p>Ten bits and five hashes per id; sized for four times the ids it starts with (at least {@link #MIN_CAPACITY}),
 * and built again from state when full.
 */
final class ReadingIdFilter {
    static final int BITS_PER_ID = 10;
    private static final int HASHES = 5;
    /**
     * The least number of ids a filter is sized for (640 bytes): building it again means reading every id of the meter
     * from state, so a meter's filter should rarely fill.
     */
    static final int MIN_CAPACITY = 512;

    private final long[] words;
    private final int bitCount;
    private final int capacity;
    private int added;

    private ReadingIdFilter(int capacity) {
        this.capacity = capacity;
        this.words = new long[(int) ((long) capacity * BITS_PER_ID + 63) / 64];
        this.bitCount = words.length * 64;
    }

    /** A filter of the ids, with room for three times as many more. */
    static ReadingIdFilter of(Collection<String> ids) {
        ReadingIdFilter filter = new ReadingIdFilter(capacityFor(ids.size()));
        ids.forEach(filter::add);
        return filter;
    }

    /** What a filter of that many ids takes on the heap, roughly. */
    static long bytesFor(int ids) {
        return (long) capacityFor(ids) * BITS_PER_ID / 8 + 32;
    }

    private static int capacityFor(int ids) {
        return (int) Math.min(Integer.MAX_VALUE / BITS_PER_ID, Math.max(MIN_CAPACITY, 4L * ids));
    }

    void add(String readingId) {
        long hash = hash(readingId);
        for (int i = 0; i < HASHES; i++) {
            int bit = bit(hash, i);
            words[bit >>> 6] |= 1L << bit;
        }
        added++;
    }

    /** False only when the id was never added. */
    boolean mightContain(String readingId) {
        long hash = hash(readingId);
        for (int i = 0; i < HASHES; i++) {
            int bit = bit(hash, i);
            if ((words[bit >>> 6] & (1L << bit)) == 0) {
                return false;
            }
        }
        return true;
    }

    /** The i-th of the id's bits, from the two halves of its hash (Kirsch and Mitzenmacher's double hashing). */
    private int bit(long hash, int i) {
        return Math.floorMod((int) hash + i * (int) (hash >>> 32), bitCount);
    }

    /** More ids than it was sized for: its false positives climb, so it should be built again. */
    boolean full() {
        return added > capacity;
    }

    long bytes() {
        return (long) words.length * 8 + 32;
    }

    /** FNV-1a over the UTF-16 units, finished with MurmurHash3's 64-bit mix: both halves are usable hashes. */
    private static long hash(String id) {
        long hash = 0xcbf29ce484222325L;
        for (int i = 0; i < id.length(); i++) {
            hash ^= id.charAt(i);
            hash *= 0x100000001b3L;
        }
        hash ^= hash >>> 33;
        hash *= 0xff51afd7ed558ccdL;
        hash ^= hash >>> 33;
        hash *= 0xc4ceb9fe1a85ec53L;
        hash ^= hash >>> 33;
        return hash;
    }
}
