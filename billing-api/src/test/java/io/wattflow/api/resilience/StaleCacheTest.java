package io.wattflow.api.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class StaleCacheTest {
    private static final RuntimeException DATABASE_DOWN = new IllegalStateException("down", new SQLException("connection refused", "08001"));

    @Test
    void aFreshAnswerIsServedWithoutLoadingAgainUntilItAges() throws Exception {
        StaleCache<Integer> cache = new StaleCache<>(10, Duration.ofMinutes(1), Duration.ofMillis(200));
        AtomicInteger loads = new AtomicInteger();

        assertThat(cache.get("a", loads::incrementAndGet).value()).isEqualTo(1);
        assertThat(cache.get("a", loads::incrementAndGet).value()).isEqualTo(1);
        assertThat(cache.get("b", loads::incrementAndGet).value()).isEqualTo(2);
        Thread.sleep(250);
        assertThat(cache.get("a", loads::incrementAndGet).value()).isEqualTo(3);
        assertThat(loads).hasValue(3);
    }

    @Test
    void withoutFreshnessEveryRequestLoads() {
        StaleCache<Integer> cache = new StaleCache<>(10, Duration.ofMinutes(1));
        AtomicInteger loads = new AtomicInteger();

        cache.get("a", loads::incrementAndGet);
        cache.get("a", loads::incrementAndGet);

        assertThat(loads).hasValue(2);
    }

    @Test
    void whenTheDatabaseIsDownTheLastAnswerIsServedMarkedStale() {
        StaleCache<Integer> cache = new StaleCache<>(10, Duration.ofMinutes(1));
        cache.get("a", () -> 7);

        StaleCache.Answer<Integer> answer = cache.get("a", () -> {
            throw DATABASE_DOWN;
        });

        assertThat(answer.value()).isEqualTo(7);
        assertThat(answer.staleAge()).isPresent();
        assertThatThrownBy(() -> cache.get("never-read", () -> {
            throw DATABASE_DOWN;
        })).isSameAs(DATABASE_DOWN);
    }
}
