package io.wattflow.api.run;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;

/** The read side of billing runs: what a run's progress answer shows, read on one connection. */
public final class RunProgress {
    private final DataSource dataSource;

    public RunProgress(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * A run's progress: customers per state, the held ones with the reason, one page of the invoices it issued, and
     * who started and cancelled it.
     *
     * @param nextOffset the offset of the next page of invoices; null on the last page
     */
    public record View(String id, String period, String status, BigDecimal completenessThreshold, String currency, boolean forced,
                       Actor startedBy, Actor cancelledBy, Map<String, Integer> customers, List<Held> held, List<Issued> invoices,
                       Integer nextOffset) {
    }

    /** Who started or cancelled a run: the token, its role and name; null when nobody is recorded (a run from before V10). */
    public record Actor(String tokenId, String role, String name) {
    }

    public record Held(String customerId, String reason) {
    }

    public record Issued(String id, String number, String kind, String customerId, BigDecimal total, String currency) {
    }

    /** The progress with the first 100 invoices. */
    public View of(BillingRunRepository.Run run) {
        return of(run, 100, 0);
    }

    /** The progress with one page of the run's invoices ({@code limit} from {@code offset}, oldest number first). */
    public View of(BillingRunRepository.Run run, int limit, int offset) {
        boolean forced = false;
        Actor startedBy = null;
        Actor cancelledBy = null;
        Map<String, Integer> counts = new LinkedHashMap<>();
        List<Held> held = new ArrayList<>();
        List<Issued> invoices = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
             // Counted by the database: a run's progress is polled while it runs, and a run has one row per customer.
             PreparedStatement counted = connection.prepareStatement(
                     "SELECT state, count(*) FROM billing_run_customer WHERE run_id = ? GROUP BY state ORDER BY state");
             PreparedStatement customers = connection.prepareStatement(
                     "SELECT customer_id, detail FROM billing_run_customer WHERE run_id = ? AND state = 'held' ORDER BY customer_id");
             PreparedStatement issued = connection.prepareStatement(
                     "SELECT id, series, number, kind, customer_id, total, currency FROM invoice WHERE run_id = ? ORDER BY series, number "
                             + "LIMIT ? OFFSET ?");
             PreparedStatement actors = connection.prepareStatement("""
                     SELECT r.forced, r.started_by, s.role, s.name, r.cancelled_by, c.role, c.name FROM billing_run r
                       LEFT JOIN api_token s ON s.id = r.started_by LEFT JOIN api_token c ON c.id = r.cancelled_by WHERE r.id = ?
                     """)) {
            actors.setObject(1, run.id());
            try (ResultSet rows = actors.executeQuery()) {
                if (rows.next()) {
                    forced = rows.getBoolean(1);
                    startedBy = actor(rows, 2);
                    cancelledBy = actor(rows, 5);
                }
            }
            counted.setObject(1, run.id());
            try (ResultSet rows = counted.executeQuery()) {
                while (rows.next()) {
                    counts.put(rows.getString(1), rows.getInt(2));
                }
            }
            customers.setObject(1, run.id());
            try (ResultSet rows = customers.executeQuery()) {
                while (rows.next()) {
                    held.add(new Held(rows.getString(1), rows.getString(2)));
                }
            }
            issued.setObject(1, run.id());
            issued.setInt(2, limit + 1);
            issued.setInt(3, offset);
            try (ResultSet rows = issued.executeQuery()) {
                while (rows.next()) {
                    invoices.add(new Issued(rows.getObject(1).toString(), InvoiceNumbers.format(rows.getString(2), rows.getLong(3)),
                            rows.getString(4), rows.getString(5), rows.getBigDecimal(6), rows.getString(7).trim()));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("billing run progress query failed: " + e.getMessage(), e);
        }
        return new View(run.id().toString(), run.period(), run.status().code(), run.completenessThreshold(), run.currency(), forced,
                startedBy, cancelledBy, counts, held, invoices.subList(0, Math.min(limit, invoices.size())),
                invoices.size() > limit ? offset + limit : null);
    }

    private static Actor actor(ResultSet rows, int column) throws SQLException {
        UUID tokenId = rows.getObject(column, UUID.class);
        return tokenId == null ? null : new Actor(tokenId.toString(), rows.getString(column + 1), rows.getString(column + 2));
    }
}
