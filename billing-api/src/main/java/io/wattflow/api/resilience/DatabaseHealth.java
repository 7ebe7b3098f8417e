package io.wattflow.api.resilience;

import java.sql.Connection;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;

/**
 * Whether PostgreSQL answers, as health checks report it. Checked at most once per {@link #CHECK_EVERY} whatever the
 * number of callers (health checks need no token, so anyone may call them as often as they like): one caller checks,
 * the others get the last answer.
 */
public final class DatabaseHealth {
    static final Duration CHECK_EVERY = Duration.ofSeconds(1);

    private final DataSource dataSource;
    private final ReentrantLock checking = new ReentrantLock();
    private volatile boolean reachable;
    private volatile long checkedAtNanos = System.nanoTime() - 2 * CHECK_EVERY.toNanos();

    public DatabaseHealth(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public boolean reachable() {
        if (System.nanoTime() - checkedAtNanos >= CHECK_EVERY.toNanos() && checking.tryLock()) {
            try {
                if (System.nanoTime() - checkedAtNanos >= CHECK_EVERY.toNanos()) {
                    reachable = check();
                    checkedAtNanos = System.nanoTime();
                }
            } finally {
                checking.unlock();
            }
        }
        return reachable;
    }

    private boolean check() {
        try (Connection connection = dataSource.getConnection()) {
            return connection.isValid(2);
        } catch (Exception e) {
            return false;
        }
    }
}
