package io.wattflow.api.run;

import com.fasterxml.jackson.annotation.JsonRawValue;
import com.fasterxml.jackson.annotation.JsonValue;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/** SQL of invoices and credit notes and of their gap-free numbers, in one place. Writes take the caller's transaction. */
public final class InvoiceRepository {
    private final DataSource dataSource;

    public InvoiceRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** An invoice or credit note to write; {@code credits} is the invoice a credit note cancels. */
    public record NewInvoice(UUID id, String series, long number, String kind, String customerId, String period, UUID runId,
                             UUID credits, String currency, BigDecimal subtotal, BigDecimal tax, BigDecimal total, String document) {
    }

    /** What an invoice came to. */
    public record Amounts(UUID invoiceId, String currency, BigDecimal subtotal, BigDecimal tax, BigDecimal total) {
    }

    /** Gap-free: the counter row is locked until the transaction ends, and a rollback gives the number back. */
    public long nextNumber(Connection connection, String series) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "UPDATE invoice_counter SET next_number = next_number + 1 WHERE series = ? RETURNING next_number - 1")) {
            statement.setString(1, series);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    public void insert(Connection connection, NewInvoice invoice) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("""
                INSERT INTO invoice (id, series, number, kind, customer_id, period, run_id, credits_invoice_id, currency,
                                     subtotal, tax, total, document)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb)
                """)) {
            statement.setObject(1, invoice.id());
            statement.setString(2, invoice.series());
            statement.setLong(3, invoice.number());
            statement.setString(4, invoice.kind());
            statement.setString(5, invoice.customerId());
            statement.setString(6, invoice.period());
            statement.setObject(7, invoice.runId());
            statement.setObject(8, invoice.credits());
            statement.setString(9, invoice.currency());
            statement.setBigDecimal(10, invoice.subtotal());
            statement.setBigDecimal(11, invoice.tax());
            statement.setBigDecimal(12, invoice.total());
            statement.setString(13, invoice.document());
            statement.executeUpdate();
        }
    }

    /** The invoice a billing run issued to the customer. */
    public Amounts issuedInRun(Connection connection, UUID runId, String customerId) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("""
                SELECT i.id, i.currency, i.subtotal, i.tax, i.total FROM invoice i
                  JOIN billing_run_customer c ON c.invoice_id = i.id WHERE c.run_id = ? AND c.customer_id = ?
                """)) {
            statement.setObject(1, runId);
            statement.setString(2, customerId);
            try (ResultSet rows = statement.executeQuery()) {
                if (!rows.next()) {
                    throw new SQLException("billing run " + runId + " issued no invoice to " + customerId);
                }
                return new Amounts(rows.getObject(1, UUID.class), rows.getString(2).trim(), rows.getBigDecimal(3), rows.getBigDecimal(4),
                        rows.getBigDecimal(5));
            }
        }
    }

    /** Documents of the customer's invoices for periods before this one that no credit note cancels, oldest first. */
    public List<String> standingDocuments(String customerId, String beforePeriod) {
        String sql = """
                SELECT document::text FROM invoice i
                 WHERE customer_id = ? AND kind = 'invoice' AND period < ?
                   AND NOT EXISTS (SELECT 1 FROM invoice c WHERE c.credits_invoice_id = i.id)
                 ORDER BY series, number
                """;
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, customerId);
            statement.setString(2, beforePeriod);
            List<String> documents = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    documents.add(rows.getString(1));
                }
            }
            return documents;
        } catch (SQLException e) {
            throw new IllegalStateException("earlier invoices query failed: " + e.getMessage(), e);
        }
    }

    /** {@code Invoice} in the OpenAPI document: an invoice or credit note with its document (lines, taxes, completeness). */
    public record Invoice(String id, String number, String kind, String customerId, String period, String runId, String creditsInvoiceId,
            String currency, BigDecimal subtotal, BigDecimal tax, BigDecimal total, RawJson document, String issuedAt) {
    }

    public Optional<Invoice> find(UUID id) {
        String sql = """
                SELECT id, series, number, kind, customer_id, period, run_id, credits_invoice_id, currency, subtotal, tax, total,
                       document::text, issued_at
                  FROM invoice WHERE id = ?
                """;
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setObject(1, id);
            try (ResultSet rows = statement.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Invoice(rows.getObject(1).toString(), InvoiceNumbers.format(rows.getString(2), rows.getLong(3)),
                        rows.getString(4), rows.getString(5), rows.getString(6), rows.getObject(7).toString(),
                        rows.getObject(8) == null ? null : rows.getObject(8).toString(), rows.getString(9).trim(),
                        rows.getBigDecimal(10), rows.getBigDecimal(11), rows.getBigDecimal(12), new RawJson(rows.getString(13)),
                        rows.getTimestamp(14).toInstant().toString()));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("invoice lookup failed: " + e.getMessage(), e);
        }
    }

    /** JSON stored as text, written into a response as it is. */
    public record RawJson(@JsonRawValue @JsonValue String json) {
    }
}
