package io.wattflow.api.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DatabaseGuardTest {

    @ParameterizedTest(name = "SQLSTATE {0}: outage {1}")
    @CsvSource({
            "08006, true", "08001, true", "57014, true", "57P01, true", "53300, true", "58030, true", "XX000, true",
            "22008, false", "22003, false", "23505, false", "23503, false", "40001, false", "40P01, false", "42P01, false"})
    void onlyFailuresOfTheDatabaseItselfCountAsOutages(String state, boolean outage) {
        assertThat(DatabaseGuard.isDatabaseFailure(new IllegalStateException("query failed", new SQLException("x", state)))).isEqualTo(outage);
    }

    @Test
    void aPoolWithoutConnectionsAndAnErrorWithoutStateAreOutages() {
        assertThat(DatabaseGuard.isDatabaseFailure(new SQLTransientConnectionException("pool timed out", "08003"))).isTrue();
        assertThat(DatabaseGuard.isDatabaseFailure(new SQLException("I/O error"))).isTrue();
        assertThat(DatabaseGuard.isDatabaseFailure(new IllegalArgumentException("no SQL at all"))).isFalse();
    }

    @Test
    void requestsWhoseDataTheDatabaseRefusesNeverOpenTheBreaker() {
        DatabaseGuard guard = new DatabaseGuard();
        for (int i = 0; i < 20; i++) {
            assertThatThrownBy(() -> guard.call(() -> {
                throw new IllegalStateException("query failed", new SQLException("timestamp out of range", "22008"));
            })).isInstanceOf(IllegalStateException.class);
        }
        assertThat(guard.state()).isEqualTo(CircuitBreaker.State.CLOSED);

        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> guard.call(() -> {
                throw new IllegalStateException("query failed", new SQLException("connection refused", "08001"));
            }));
        }
        assertThat(guard.state()).isEqualTo(CircuitBreaker.State.OPEN);
    }
}
