package io.wattflow.api.resilience;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The last good answer of recent reads, kept a short while, to serve (marked stale) while PostgreSQL is down.
 * Bounded: the least recently used entries go first. With a {@code freshFor} above zero, an answer younger than that
 * is served as it is, without asking the database again: many clients polling one report cost one query per
 * {@code freshFor}.
 */
public final class StaleCache<V> {
    private final Duration maxAge;
    private final long freshForNanos;
    private final Map<String, Entry<V>> entries;

    private record Entry<V>(V value, long storedAtNanos) {
    }

    /** An answer and, when it came from the cache, its age. */
    public record Answer<V>(V value, Optional<Duration> staleAge) {
    }

    public StaleCache(int maxEntries, Duration maxAge) {
        this(maxEntries, maxAge, Duration.ZERO);
    }

    public StaleCache(int maxEntries, Duration maxAge, Duration freshFor) {
        this.maxAge = maxAge;
        this.freshForNanos = freshFor.toNanos();
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry<V>> eldest) {
                return size() > maxEntries;
            }
        };
    }

    /** A fresh cached answer when there is one; else from {@code load} when it works; else the cached answer when there is one young enough; else the failure. */
    public Answer<V> get(String key, Supplier<V> load) {
        if (freshForNanos > 0) {
            Entry<V> cached;
            synchronized (entries) {
                cached = entries.get(key);
            }
            if (cached != null && System.nanoTime() - cached.storedAtNanos() < freshForNanos) {
                return new Answer<>(cached.value(), Optional.empty());
            }
        }
        try {
            V value = load.get();
            synchronized (entries) {
                entries.put(key, new Entry<>(value, System.nanoTime()));
            }
            return new Answer<>(value, Optional.empty());
        } catch (RuntimeException failure) {
            if (!DatabaseGuard.isDatabaseFailure(failure)) {
                throw failure;
            }
            Entry<V> cached;
            synchronized (entries) {
                cached = entries.get(key);
            }
            Duration age = cached == null ? null : Duration.ofNanos(System.nanoTime() - cached.storedAtNanos());
            if (age == null || age.compareTo(maxAge) > 0) {
                throw failure;
            }
            return new Answer<>(cached.value(), Optional.of(age));
        }
    }
}
