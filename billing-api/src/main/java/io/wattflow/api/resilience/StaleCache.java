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
 * {@code freshFor}. When it has aged, one request reads it again while the others are still served the answer in
 * hand (at most twice {@code freshFor} old), so the expiry is not a burst of identical queries.
 */
public final class StaleCache<V> {
    private final Duration maxAge;
    private final long freshForNanos;
    private final Map<String, Entry<V>> entries;
    private final java.util.Set<String> refreshing = java.util.concurrent.ConcurrentHashMap.newKeySet();

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
        boolean refresher = false;
        if (freshForNanos > 0) {
            Entry<V> cached;
            synchronized (entries) {
                cached = entries.get(key);
            }
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
