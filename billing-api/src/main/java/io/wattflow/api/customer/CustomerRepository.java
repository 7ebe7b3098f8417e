package io.wattflow.api.customer;

import io.wattflow.api.billing.BillCalculator;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** SQL of customers, their tariff links and their meters, in one place. */
public final class CustomerRepository {
    private final DataSource dataSource;

    public CustomerRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** A customer as stored. */
    public record Customer(String id, String name, String timezone) {
    }

    /** A tariff link as stored. */
    public record TariffLink(LocalDate validFrom, String tariffId) {
    }

    /** Creates the customer and its first tariff link in one transaction; false when the id exists. */
    public boolean create(Customer customer, String tariffId, LocalDate tariffFrom) {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO customer (id, name, timezone) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING");
                 PreparedStatement link = connection.prepareStatement(
                         "INSERT INTO customer_tariff (customer_id, valid_from, tariff_id) VALUES (?, ?, ?)")) {
                insert.setString(1, customer.id());
                insert.setString(2, customer.name());
                insert.setString(3, customer.timezone());
                if (insert.executeUpdate() == 0) {
                    connection.rollback();
                    return false;
                }
                link.setString(1, customer.id());
                link.setObject(2, tariffFrom);
                link.setString(3, tariffId);
                link.executeUpdate();
                connection.commit();
                return true;
            } catch (SQLException e) {
                connection.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("creating customer failed: " + e.getMessage(), e);
        }
    }

    public Optional<Customer> find(String id) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement("SELECT id, name, timezone FROM customer WHERE id = ?")) {
            statement.setString(1, id);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? Optional.of(new Customer(rows.getString(1), rows.getString(2), rows.getString(3))) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("customer lookup failed: " + e.getMessage(), e);
        }
    }

    public List<TariffLink> tariffLinks(String customerId) {
        String sql = "SELECT valid_from, tariff_id FROM customer_tariff WHERE customer_id = ? ORDER BY valid_from";
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, customerId);
            List<TariffLink> links = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    links.add(new TariffLink(rows.getObject(1, LocalDate.class), rows.getString(2)));
                }
            }
            return links;
        } catch (SQLException e) {
            throw new IllegalStateException("tariff links query failed: " + e.getMessage(), e);
        }
    }

    /** The customer's tariff from a local date on (replacing a link of the same date). */
    public void linkTariff(String customerId, String tariffId, LocalDate validFrom) {
        String sql = """
                INSERT INTO customer_tariff (customer_id, valid_from, tariff_id) VALUES (?, ?, ?)
                ON CONFLICT (customer_id, valid_from) DO UPDATE SET tariff_id = EXCLUDED.tariff_id
                """;
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, customerId);
            statement.setObject(2, validFrom);
            statement.setString(3, tariffId);
            statement.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("linking the tariff failed: " + e.getMessage(), e);
        }
    }

    /** The meter is the customer's (or nobody's, for null) from that instant until its next assignment. */
    public void assign(String meterId, String customerId, Instant validFrom) {
        String sql = """
                INSERT INTO meter_assignment (meter_id, valid_from, customer_id) VALUES (?, ?, ?)
                ON CONFLICT (meter_id, valid_from) DO UPDATE SET customer_id = EXCLUDED.customer_id
                """;
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, meterId);
            statement.setTimestamp(2, Timestamp.from(validFrom));
            statement.setString(3, customerId);
            statement.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("assigning the meter failed: " + e.getMessage(), e);
        }
    }

    /** Every span during which a meter was the customer's: [valid_from, the meter's next assignment). */
    public List<BillCalculator.Assignment> assignments(String customerId) {
        String sql = """
                SELECT meter_id, valid_from, valid_to FROM (
                    SELECT meter_id, valid_from, customer_id,
                           lead(valid_from) OVER (PARTITION BY meter_id ORDER BY valid_from) AS valid_to
                      FROM meter_assignment
                     WHERE meter_id IN (SELECT meter_id FROM meter_assignment WHERE customer_id = ?)
                ) spans
                 WHERE customer_id = ?
                 ORDER BY meter_id, valid_from
                """;
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, customerId);
            statement.setString(2, customerId);
            List<BillCalculator.Assignment> spans = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    Timestamp to = rows.getTimestamp(3);
                    spans.add(new BillCalculator.Assignment(rows.getString(1), rows.getTimestamp(2).toInstant(), to == null ? null : to.toInstant()));
                }
            }
            return spans;
        } catch (SQLException e) {
            throw new IllegalStateException("assignments query failed: " + e.getMessage(), e);
        }
    }

    /**
     * Import usage of the meters while the customer held them ({@link BillCalculator#heldWithin}: disjoint spans
     * within the period), summed per meter and rate run ({@link BillCalculator#rateRuns}): PostgreSQL adds up the
     * buckets with one index range scan per span, and a month of a meter reaches the API as one row per run instead of
     * one per 15 minutes.
     */
    public List<BillCalculator.UsageSum> usageSums(List<BillCalculator.Assignment> held, List<Instant> runStarts) {
        // The run starts are cast once, in a materialized CTE: a cast of a parameter among the row's expressions runs
        // again for every bucket (text to timestamptz is not immutable, so the planner does not fold it); that made a
        // first version twenty times slower than shipping the buckets.
        String sql = """
                WITH runs AS MATERIALIZED (SELECT CAST(? AS timestamptz[]) AS starts)
                SELECT held.meter_id, width_bucket(u.bucket_start, runs.starts) AS run, sum(u.energy_mwh), count(*)
                  FROM unnest(?::text[], CAST(? AS timestamptz[]), CAST(? AS timestamptz[])) AS held(meter_id, held_from, held_to)
                 CROSS JOIN runs
                  JOIN usage_15m u ON u.meter_id = held.meter_id AND u.channel = 'import'
                                  AND u.bucket_start >= held.held_from AND u.bucket_start < held.held_to
                 GROUP BY held.meter_id, run
                """;
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            // Instants as ISO-8601 text with their offset, cast by PostgreSQL: no time zone of the JVM or the session in between.
            statement.setArray(1, connection.createArrayOf("text", runStarts.stream().map(Instant::toString).toArray()));
            statement.setArray(2, connection.createArrayOf("text", held.stream().map(BillCalculator.Assignment::meterId).toArray()));
            statement.setArray(3, connection.createArrayOf("text", held.stream().map(span -> span.from().toString()).toArray()));
            statement.setArray(4, connection.createArrayOf("text", held.stream().map(span -> span.to().toString()).toArray()));
            List<BillCalculator.UsageSum> usage = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    int run = rows.getInt(2); // 1-based: bucket_start >= from = the first run's start
                    usage.add(new BillCalculator.UsageSum(rows.getString(1), runStarts.get(run - 1), rows.getLong(3), rows.getLong(4)));
                }
            }
            return usage;
        } catch (SQLException e) {
            throw new IllegalStateException("usage query failed: " + e.getMessage(), e);
        }
    }
}
