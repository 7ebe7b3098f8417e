package io.wattflow.bench.stack;

import com.fasterxml.jackson.databind.JsonNode;
import io.wattflow.stack.LocalStack;
import io.wattflow.stack.PostgresServer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.UUID;

/**
 * Figures 6 and 7 on a billing database of {@code settings.billingCustomers()} customers, each with one meter and a full
 * month of 15-minute usage: wrk against the usage endpoint, the bill preview and a trivial endpoint; and the time a
 * billing run takes to issue every invoice of the month.
 */
final class ApiFigures {
    static final ZoneId ZONE = ZoneId.of("Europe/Berlin");

    private final LocalStack stack;
    private final BenchSettings settings;
    private final Progress progress;
    private final String adminToken;
    private final Path workDir;
    private final YearMonth period = YearMonth.now(ZONE).minusMonths(1);
    private final JsonHttp http;

    ApiFigures(LocalStack stack, BenchSettings settings, Progress progress, String adminToken, Path workDir) {
        this.stack = stack;
        this.settings = settings;
        this.progress = progress;
        this.adminToken = adminToken;
        this.workDir = workDir;
        this.http = new JsonHttp(adminToken);
    }

    static String customerId(int index) {
        return String.format("BENCH-C-%06d", index);
    }

    static String meterId(int index) {
        return String.format("BENCH-M-%06d", index);
    }

    /**
     * Customers on the seeded day/night tariff in Berlin time, one meter each, and every 15-minute bucket of last month
     * (local) with a deterministic energy of 100 to 499 Wh, written straight into usage_15m by the superuser: the
     * billing run and the API read it as they read what the pipeline writes.
     */
    void seed() {
        int customers = settings.billingCustomers();
        String monthStart = period.atDay(1) + " 00:00 " + ZONE.getId();
        String monthEnd = period.plusMonths(1).atDay(1) + " 00:00 " + ZONE.getId();
        progress.say("seeding %,d customers with a month (%s) of 15-minute usage ...", customers, period);
        long started = System.nanoTime();
        try (Connection connection = stack.postgres().connect(PostgresServer.DATABASE)) {
            try (Statement sql = connection.createStatement()) {
                sql.execute("TRUNCATE usage_15m");
                sql.execute("SET maintenance_work_mem = '256MB'");
                // Tens of millions of rows load several times faster into the bare table, with the key built once after.
                sql.execute("ALTER TABLE usage_15m DROP CONSTRAINT usage_15m_pkey");
            }
            try (PreparedStatement customer = connection.prepareStatement("""
                    INSERT INTO customer (id, name, timezone)
                    SELECT format('BENCH-C-%s', lpad(i::text, 6, '0')), format('Benchmark customer %s', i), ?
                      FROM generate_series(1, ?) AS i""");
                 PreparedStatement tariff = connection.prepareStatement("""
                    INSERT INTO customer_tariff (customer_id, valid_from, tariff_id)
                    SELECT format('BENCH-C-%s', lpad(i::text, 6, '0')), DATE '2000-01-01', 'standard' FROM generate_series(1, ?) AS i""");
                 PreparedStatement meter = connection.prepareStatement("""
                    INSERT INTO meter_assignment (meter_id, valid_from, customer_id)
                    SELECT format('BENCH-M-%s', lpad(i::text, 6, '0')), TIMESTAMPTZ '2000-01-01 00:00Z', format('BENCH-C-%s', lpad(i::text, 6, '0'))
                      FROM generate_series(1, ?) AS i""");
                 PreparedStatement usage = connection.prepareStatement("""
                    INSERT INTO usage_15m (meter_id, channel, bucket_start, energy_mwh, reading_count)
                    SELECT format('BENCH-M-%s', lpad(i::text, 6, '0')), 'import', b,
                           (100 + (i * 7919 + extract(epoch FROM b)::bigint / 900) % 400) * 1000, 1
                      FROM generate_series(1, ?) AS i,
                           generate_series(?::timestamptz, ?::timestamptz - interval '15 minutes', interval '15 minutes') AS b""")) {
                customer.setString(1, ZONE.getId());
                customer.setInt(2, customers);
                customer.executeUpdate();
                tariff.setInt(1, customers);
                tariff.executeUpdate();
                meter.setInt(1, customers);
                meter.executeUpdate();
                usage.setInt(1, customers);
                usage.setString(2, monthStart);
                usage.setString(3, monthEnd);
                int rows = usage.executeUpdate();
                try (Statement sql = connection.createStatement()) {
                    sql.execute("ALTER TABLE usage_15m ADD CONSTRAINT usage_15m_pkey PRIMARY KEY (meter_id, channel, bucket_start)");
                    // Vacuumed and analysed now, as after any bulk load: otherwise autovacuum visits every page of the
                    // new rows while the endpoints and the billing run are measured (it did, halving the bill previews).
                    sql.execute("VACUUM (ANALYZE)");
                }
                progress.say("  %,d usage rows in %.1f s", rows, (System.nanoTime() - started) / 1e9);
            }
        } catch (SQLException e) {
            throw new BenchException("cannot seed the billing database: " + e.getMessage(), e);
        }
    }

    String usageUrl() {
        return stack.api().url() + "/api/v1/meters/" + meterId(1) + "/usage?from=" + period.atDay(1) + "&to="
                + period.plusMonths(1).atDay(1) + "&granularity=day&tz=" + ZONE.getId();
    }

    String billPreviewUrl() {
        return stack.api().url() + "/api/v1/customers/" + customerId(1) + "/bill-preview?period=" + period;
    }

    String trivialUrl() {
        return stack.api().url() + "/health/live";
    }

    Wrk.Result wrk(String url) {
        return wrk(url, settings.wrkDuration());
    }

    Wrk.Result wrk(String url, Duration duration) {
        // One request first: a wrong URL fails here with the API's own problem detail, not as a wall of non-2xx.
        get(url);
        return Wrk.run(url, adminToken, duration, workDir);
    }

    /**
     * Figure 7: seconds from POST /api/v1/billing-runs to the run's status 'completed', with every customer invoiced.
     * Invoices are immutable by trigger, but TRUNCATE fires no row trigger: between runs the benchmark database
     * forgets the runs, invoices and events, and numbering starts again.
     */
    double billingRun(int run) throws Exception {
        try (Connection connection = stack.postgres().connect(PostgresServer.DATABASE); Statement sql = connection.createStatement()) {
            sql.execute("TRUNCATE billing_run_customer, outbox, invoice, billing_run");
            sql.execute("UPDATE invoice_counter SET next_number = 1");
        }
        long started = System.nanoTime();
        HttpResponse<String> created = http.send(JsonHttp.request(stack.api().url() + "/api/v1/billing-runs")
                .header("Content-Type", "application/json").header("Idempotency-Key", "bench-run-" + run + "-" + UUID.randomUUID())
                .POST(HttpRequest.BodyPublishers.ofString("{\"period\":\"" + period + "\"}")));
        if (created.statusCode() != 202) {
            throw new BenchException("POST /api/v1/billing-runs answered " + created.statusCode() + ": " + created.body());
        }
        String runId = http.parse(created.body()).get("id").asText();
        JsonNode progress = get(stack.api().url() + "/api/v1/billing-runs/" + runId + "?limit=1");
        long deadline = System.nanoTime() + Duration.ofMinutes(20).toNanos();
        while (!progress.get("status").asText().equals("completed")) {
            if (System.nanoTime() > deadline) {
                throw new BenchException("billing run " + runId + " did not complete in 20 minutes: " + progress);
            }
            Thread.sleep(250);
            progress = get(stack.api().url() + "/api/v1/billing-runs/" + runId + "?limit=1");
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        int invoiced = progress.path("customers").path("invoiced").asInt();
        if (invoiced != settings.billingCustomers()) {
            throw new BenchException("billing run " + runId + " invoiced " + invoiced + " of " + settings.billingCustomers()
                    + " customers: " + progress.path("customers") + " " + progress.path("held"));
        }
        this.progress.say("  billing run %d: %,d invoices in %.1f s", run, invoiced, seconds);
        return seconds;
    }

    private JsonNode get(String url) {
        return http.get(url);
    }
}
