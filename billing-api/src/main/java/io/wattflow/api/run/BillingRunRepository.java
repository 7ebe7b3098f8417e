package io.wattflow.api.run;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/** SQL of billing runs and of their customers' states, in one place (invoices: {@link InvoiceRepository}). */
public final class BillingRunRepository {
    private final DataSource dataSource;

    public BillingRunRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public record Run(UUID id, String period, RunStatus status, BigDecimal completenessThreshold, String currency) {
    }

    /** Who asked for a change of a run: the token's id and role. */
    public record Actor(UUID tokenId, String role) {
    }

    /**
     * Creates the run, one pending row per customer with a tariff by the end of the period, and the event
     * {@code billing-run.started} naming who started it; empty when a run for the period is already live (not cancelled).
     */
    public Optional<Run> create(String period, String lastDay, BigDecimal threshold, String currency, boolean forced, Actor startedBy,
                                Outbox outbox) {
        UUID id = UUID.randomUUID();
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try (PreparedStatement run = connection.prepareStatement("""
                    INSERT INTO billing_run (id, period, status, completeness_threshold, currency, forced, started_by)
                    VALUES (?, ?, 'running', ?, ?, ?, ?)
                    ON CONFLICT (period) WHERE status <> 'cancelled' DO NOTHING
                    """);
                 PreparedStatement customers = connection.prepareStatement("""
                         INSERT INTO billing_run_customer (run_id, customer_id, state)
                         SELECT DISTINCT ?, customer_id, 'pending' FROM customer_tariff WHERE valid_from <= ?::date
                         """)) {
                run.setObject(1, id);
                run.setString(2, period);
                run.setBigDecimal(3, threshold);
                run.setString(4, currency);
                run.setBoolean(5, forced);
                run.setObject(6, startedBy.tokenId());
                if (run.executeUpdate() == 0) {
                    connection.rollback();
                    return Optional.empty();
                }
                customers.setObject(1, id);
                customers.setString(2, lastDay);
                customers.executeUpdate();
                outbox.write(connection, period, BillingEvent.RunEvent.started(id, period, startedBy, currency, forced));
                connection.commit();
                return Optional.of(new Run(id, period, RunStatus.RUNNING, threshold, currency));
            } catch (SQLException e) {
                connection.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("creating the billing run failed: " + e.getMessage(), e);
        }
    }

    /** The time zones of the customers a run of the period would bill. */
    public List<String> customerTimeZones(String lastDay) {
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement("""
                SELECT DISTINCT c.timezone FROM customer c JOIN customer_tariff t ON t.customer_id = c.id WHERE t.valid_from <= ?::date
                """)) {
            statement.setString(1, lastDay);
            List<String> zones = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    zones.add(rows.getString(1));
                }
            }
            return zones;
        } catch (SQLException e) {
            throw new IllegalStateException("reading the customers' time zones failed: " + e.getMessage(), e);
        }
    }

    /** Writes an event to the transactional outbox, in the caller's transaction. */
    @FunctionalInterface
    public interface Outbox {
        void write(Connection connection, String key, BillingEvent event) throws SQLException;
    }

    public Optional<Run> find(UUID id) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(
                     "SELECT id, period, status, completeness_threshold, currency FROM billing_run WHERE id = ?")) {
            statement.setObject(1, id);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? Optional.of(run(rows)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("billing run lookup failed: " + e.getMessage(), e);
        }
    }

    private static Run run(ResultSet rows) throws SQLException {
        String currency = rows.getString(5);
        return new Run(rows.getObject(1, UUID.class), rows.getString(2), StoredName.of(RunStatus.class, rows.getString(3)), rows.getBigDecimal(4),
                currency == null ? null : currency.trim());
    }

    /**
     * Takes (or renews) the lease of a run that needs work and whose lease is free, expired or already ours.
     * The lease is what lets any instance resume a run after a crash, and never two at once.
     */
    public Optional<Run> lease(String owner, Duration leaseTime) {
        String sql = """
                UPDATE billing_run SET lease_owner = ?, lease_until = now() + ?::interval
                 WHERE id = (SELECT id FROM billing_run
                              WHERE status IN ('running', 'cancelling')
                                AND (lease_until IS NULL OR lease_until < now() OR lease_owner = ?)
                              ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING id, period, status, completeness_threshold, currency
                """;
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, owner);
            statement.setString(2, leaseTime.toMillis() + " milliseconds");
            statement.setString(3, owner);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? Optional.of(run(rows)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("leasing a billing run failed: " + e.getMessage(), e);
        }
    }

    /** Customers of the run in the given state. */
    public List<String> customers(UUID runId, CustomerState state) {
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(
                "SELECT customer_id FROM billing_run_customer WHERE run_id = ? AND state = ? ORDER BY customer_id")) {
            statement.setObject(1, runId);
            statement.setString(2, state.code());
            List<String> customers = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    customers.add(rows.getString(1));
                }
            }
            return customers;
        } catch (SQLException e) {
            throw new IllegalStateException("billing run customers query failed: " + e.getMessage(), e);
        }
    }

    /** Moves the run from {@code from} to {@code to}; false when it was not in {@code from} (another instance finished it). */
    public boolean finish(UUID runId, RunStatus from, RunStatus to) {
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(
                "UPDATE billing_run SET status = ?, finished_at = now(), lease_owner = NULL, lease_until = NULL WHERE id = ? AND status = ?")) {
            statement.setString(1, to.code());
            statement.setObject(2, runId);
            statement.setString(3, from.code());
            return statement.executeUpdate() == 1;
        } catch (SQLException e) {
            throw new IllegalStateException("finishing the billing run failed: " + e.getMessage(), e);
        }
    }

    /** Marks the run for cancellation and writes {@code billing-run.cancel-requested} naming who asked; false when it cannot be. */
    public boolean requestCancel(UUID runId, Actor cancelledBy, Outbox outbox) {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try (PreparedStatement statement = connection.prepareStatement("""
                    UPDATE billing_run SET status = 'cancelling', finished_at = NULL, cancelled_by = ?
                     WHERE id = ? AND status IN ('running', 'completed') RETURNING period
                    """)) {
                statement.setObject(1, cancelledBy.tokenId());
                statement.setObject(2, runId);
                try (ResultSet rows = statement.executeQuery()) {
                    if (!rows.next()) {
                        connection.rollback();
                        return false;
                    }
                    String period = rows.getString(1);
                    outbox.write(connection, period, BillingEvent.RunEvent.cancelRequested(runId, period, cancelledBy));
                }
                connection.commit();
                return true;
            } catch (SQLException e) {
                connection.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cancelling the billing run failed: " + e.getMessage(), e);
        }
    }

    /** The customer's state in the run, locked until the transaction ends; null when the run has no such customer. */
    public CustomerState lockCustomer(Connection connection, UUID runId, String customerId) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT state FROM billing_run_customer WHERE run_id = ? AND customer_id = ? FOR UPDATE")) {
            statement.setObject(1, runId);
            statement.setString(2, customerId);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? StoredName.of(CustomerState.class, rows.getString(1)) : null;
            }
        }
    }

    /** Moves the customer to {@code state}, in the caller's transaction; {@code invoiceId} null keeps the one it has. */
    public void setCustomerState(Connection connection, UUID runId, String customerId, CustomerState state, UUID invoiceId, String detail)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "UPDATE billing_run_customer SET state = ?, invoice_id = coalesce(?, invoice_id), detail = ? WHERE run_id = ? AND customer_id = ?")) {
            statement.setString(1, state.code());
            statement.setObject(2, invoiceId);
            statement.setString(3, detail);
            statement.setObject(4, runId);
            statement.setString(5, customerId);
            statement.executeUpdate();
        }
    }
}
