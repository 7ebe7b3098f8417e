package io.wattflow.api.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
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
    void whileOneRequestReadsAnAgedAnswerAgainTheOthersAreServedTheAnswerInHand() throws Exception {
        StaleCache<Integer> cache = new StaleCache<>(10, Duration.ofMinutes(1), Duration.ofMillis(300));
        cache.get("a", () -> 1);
        Thread.sleep(350);
        CountDownLatch loading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Integer> refresher = CompletableFuture.supplyAsync(() ->
                cache.get("a", () -> {
                    loading.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return 2;
                }).value());
        loading.await();
        AtomicInteger otherLoads = new AtomicInteger();

        Integer served = cache.get("a", () -> otherLoads.incrementAndGet() + 100).value();
        release.countDown();

        assertThat(served).isEqualTo(1);
        assertThat(otherLoads).hasValue(0);
        assertThat(refresher.get()).isEqualTo(2);
        assertThat(cache.get("a", () -> 3).value()).isEqualTo(2);
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

    @Test
    void theCacheIsBoundedByTheSizeOfItsAnswersNotByTheirCount() {
        StaleCache<byte[]> cache = new StaleCache<>(100_000, Duration.ofMinutes(1), Duration.ofSeconds(1), answer -> answer.length);

        for (int i = 0; i < 1_000; i++) {
            cache.get("key-" + i, () -> new byte[10_000]);
            assertThat(cache.weight()).isLessThanOrEqualTo(100_000);
        }
        cache.get("huge", () -> new byte[1_000_000]); // larger than the whole cache: answered, never kept
        assertThat(cache.weight()).isLessThanOrEqualTo(100_000);
    }
}
