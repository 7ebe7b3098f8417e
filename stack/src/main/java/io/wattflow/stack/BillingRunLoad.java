package io.wattflow.stack;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Optional;

/**
 * A billing run big enough to be interrupted, for the fault campaign and the disaster-recovery drill: customers with
 * four hours of usage at the end of the month before last, and the run of that month started through the API.
 */
final class BillingRunLoad {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private BillingRunLoad() {
    }

    /** Customers {@code <prefix>1..n} on the standard tariff, each with meter {@code <prefix>M-i} and its usage. */
    static void prepareCustomers(LocalStack stack, String prefix, int customers) throws Exception {
        Instant monthEnd = Instant.parse(YearMonth.now(ZoneOffset.UTC).minusMonths(1).atDay(1) + "T00:00:00Z");
        Instant from = monthEnd.minus(Duration.ofHours(4));
        try (Connection db = stack.postgres().connect(PostgresServer.DATABASE); Statement sql = db.createStatement()) {
            sql.execute("INSERT INTO customer (id, name, timezone) SELECT '" + prefix + "' || c, 'Customer ' || c, 'UTC' FROM generate_series(1, "
                    + customers + ") c ON CONFLICT DO NOTHING");
            sql.execute("INSERT INTO customer_tariff (customer_id, valid_from, tariff_id) SELECT '" + prefix + "' || c, '2026-01-01', 'standard' "
                    + "FROM generate_series(1, " + customers + ") c ON CONFLICT DO NOTHING");
            sql.execute("INSERT INTO meter_assignment (meter_id, valid_from, customer_id) SELECT '" + prefix + "M-' || c, '" + from + "', "
                    + "'" + prefix + "' || c FROM generate_series(1, " + customers + ") c ON CONFLICT DO NOTHING");
            sql.execute("INSERT INTO usage_15m (meter_id, channel, bucket_start, energy_mwh, reading_count) SELECT '" + prefix + "M-' || c, "
                    + "'import', ts, 1000 + c, 1 FROM generate_series(1, " + customers + ") c, generate_series('" + from + "'::timestamptz, '"
                    + monthEnd.minus(Duration.ofMinutes(15)) + "'::timestamptz, interval '15 minutes') ts ON CONFLICT DO NOTHING");
        }
    }

    /** Starts the billing run of the month before last through the stack's API URL; returns its id. */
    static String start(LocalStack stack, String idempotencyPrefix) throws Exception {
        String period = YearMonth.now(ZoneOffset.UTC).minusMonths(2).toString();
        HttpResponse<String> started = HTTP.send(HttpRequest.newBuilder(URI.create(stack.api().url() + "/api/v1/billing-runs"))
                .header("Authorization", "Bearer " + stack.adminToken()).header("Content-Type", "application/json")
                .header("Idempotency-Key", idempotencyPrefix + period).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString("{\"period\":\"" + period + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        if (started.statusCode() != 202) {
            throw new StackException("the billing run did not start: " + started.statusCode() + " " + started.body());
        }
        return JSON.readTree(started.body()).get("id").asText();
    }

    /** The run's status ({@code running}, {@code completed}, ...); empty when there is no such run. */
    static Optional<String> status(LocalStack stack, String runId) throws Exception {
        try (Connection db = stack.postgres().connect(PostgresServer.DATABASE);
             PreparedStatement sql = db.prepareStatement("SELECT status FROM billing_run WHERE id = ?::uuid")) {
            sql.setString(1, runId);
            try (ResultSet row = sql.executeQuery()) {
                return row.next() ? Optional.of(row.getString(1)) : Optional.empty();
            }
        }
    }
}
