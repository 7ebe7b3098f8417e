package io.wattflow.api.resilience;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.function.ToIntBiFunction;
import java.util.function.ToIntFunction;

/**
 * The last good answer of recent reads, kept a short while, to serve (marked stale) while PostgreSQL is down.
 * Bounded by memory (Caffeine's {@code maximumWeight}, each entry weighed by the size of its answer), so no caller can
 * fill the heap with many or large answers; the entries least likely to be used again go first. Callers key it by the
 * normalized request (the parameters it understands, never the raw URL), so junk parameters cannot multiply entries.
 * With a {@code freshFor} above zero, an answer younger than that
 * is served as it is, without asking the database again: many clients polling one report cost one query per
 * {@code freshFor}. When it has aged, one request reads it again while the others are still served the answer in
 * hand (at most twice {@code freshFor} old), so the expiry is not a burst of identical queries.
 */
public final class StaleCache<V> {
    private final Duration maxAge;
    private final long freshForNanos;
    private final Cache<String, Entry<V>> entries;
    private final Set<String> refreshing = ConcurrentHashMap.newKeySet();

    private record Entry<V>(V value, long storedAtNanos) {
    }

    /** An answer and, when it came from the cache, its age. */
    public record Answer<V>(V value, Optional<Duration> staleAge) {
    }

    /** At most {@code maxEntries} answers; for tests. */
    public StaleCache(int maxEntries, Duration maxAge) {
        this(maxEntries, maxAge, Duration.ZERO);
    }

    /** At most {@code maxEntries} answers; for tests. */
    public StaleCache(int maxEntries, Duration maxAge, Duration freshFor) {
        this(maxEntries, maxAge, freshFor, (key, value) -> 1);
    }

    /**
     * @param maxBytes the most memory the answers may take, as {@code bytesOf} estimates it
     * @param bytesOf  an estimate of an answer's size in bytes
     */
    public StaleCache(long maxBytes, Duration maxAge, Duration freshFor, ToIntFunction<V> bytesOf) {
        this(maxBytes, maxAge, freshFor, (key, value) -> bytesOf.applyAsInt(value) + 2 * key.length() + 64); // + key and entry
    }

    private StaleCache(long maxWeight, Duration maxAge, Duration freshFor, ToIntBiFunction<String, V> weightOf) {
        this.maxAge = maxAge;
        this.freshForNanos = freshFor.toNanos();
        this.entries = Caffeine.newBuilder()
                .maximumWeight(maxWeight)
                .weigher((String key, Entry<V> entry) -> weightOf.applyAsInt(key, entry.value()))
                .expireAfterWrite(maxAge)
                .executor(Runnable::run) // evict on the caller's thread: the bound holds when put returns
                .build();
    }

    /** A fresh cached answer when there is one; else from {@code load} when it works; else the cached answer when there is one young enough; else the failure. */
    public Answer<V> get(String key, Supplier<V> load) {
        boolean refresher = false;
        if (freshForNanos > 0) {
            Entry<V> cached = entries.getIfPresent(key);
            long age = cached == null ? Long.MAX_VALUE : System.nanoTime() - cached.storedAtNanos();
            if (age < freshForNanos) {
                return new Answer<>(cached.value(), Optional.empty());
            }
            if (age < 2 * freshForNanos) {
                if (!refreshing.add(key)) {
                    return new Answer<>(cached.value(), Optional.empty()); // another request is reading it again
                }
                refresher = true;
            }
        }
        try {
            return load(key, load);
        } finally {
            if (refresher) {
                refreshing.remove(key);
            }
        }
    }

    private Answer<V> load(String key, Supplier<V> load) {
        try {
            V value = load.get();
            entries.put(key, new Entry<>(value, System.nanoTime()));
            return new Answer<>(value, Optional.empty());
        } catch (RuntimeException failure) {
            if (!DatabaseGuard.isDatabaseFailure(failure)) {
                throw failure;
            }
            Entry<V> cached = entries.getIfPresent(key);
            Duration age = cached == null ? null : Duration.ofNanos(System.nanoTime() - cached.storedAtNanos());
            if (age == null || age.compareTo(maxAge) > 0) {
                throw failure;
            }
            return new Answer<>(cached.value(), Optional.of(age));
        }
    }

    /** The estimated bytes the cached answers take. */
    public long weight() {
        return entries.policy().eviction().map(eviction -> eviction.weightedSize().orElse(0)).orElse(0L);
    }
}
