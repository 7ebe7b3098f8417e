package io.wattflow.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.zaxxer.hikari.HikariDataSource;
import io.javalin.Javalin;
import io.wattflow.api.billing.Bill;
import io.wattflow.api.billing.BillCalculator;
import io.wattflow.api.tariff.DayType;
import io.wattflow.api.tariff.Tariff;
import io.wattflow.api.tariff.TariffVersion;
import io.wattflow.api.tariff.TimeOfUseRate;
import io.wattflow.stack.PostgresServer;
import io.wattflow.stack.Secrets;
import io.wattflow.stack.testing.TestServices;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Currency;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Customers, meter assignments and the bill preview against a real PostgreSQL with the seeded 'standard' tariff. */
class CustomerApiIT {
    private static final String DATABASE = "customer_it";
    private static final String ADMIN = "admin-" + Secrets.randomToken();
    private static final String READER = "reader-" + Secrets.randomToken();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static HikariDataSource dataSource;
    private static Javalin app;
    private static String baseUrl;

    @BeforeAll
    static void startApi() throws Exception {
        PostgresServer postgres = TestServices.shared().postgres();
        postgres.createDatabaseAndRoles(DATABASE);
        try (Connection connection = postgres.connect(DATABASE); Statement statement = connection.createStatement()) {
            statement.execute("TRUNCATE usage_15m, api_token, meter_assignment, customer_tariff");
            statement.execute("DELETE FROM customer");
            try (PreparedStatement token = connection.prepareStatement("INSERT INTO api_token (token_sha256, name, role) VALUES (?, ?, ?)")) {
                for (String[] row : new String[][] {{ADMIN, "it-admin", "admin"}, {READER, "it-reader", "operator"}}) {
                    token.setBytes(1, Secrets.sha256(row[0]));
                    token.setString(2, row[1]);
                    token.setString(3, row[2]);
                    token.executeUpdate();
                }
            }
            // MTR-B1: 1 Wh in each of the 100 quarter hours of 25 October 2026 in Berlin, and one reading in September
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO usage_15m (meter_id, channel, bucket_start, energy_mwh, reading_count) VALUES ('MTR-B1', 'import', ?, ?, 1)")) {
                for (Instant bucket = Instant.parse("2026-10-24T22:00:00Z"); bucket.isBefore(Instant.parse("2026-10-25T23:00:00Z"));
                     bucket = bucket.plus(Duration.ofMinutes(15))) {
                    insert.setTimestamp(1, Timestamp.from(bucket));
                    insert.setLong(2, 1_000);
                    insert.addBatch();
                }
                insert.setTimestamp(1, Timestamp.from(Instant.parse("2026-09-15T10:00:00Z")));
                insert.setLong(2, 5_000_000);
                insert.addBatch();
                insert.executeBatch();
            }
        }
        ApiConfig config = new ApiConfig("127.0.0.1", 0, postgres.jdbcUrl(DATABASE), PostgresServer.API_ROLE,
                postgres.rolePassword(PostgresServer.API_ROLE), 4);
        dataSource = BillingApiMain.dataSource(config);
        app = BillingApi.create(config, new BillingApi.Dependencies(dataSource)).start();
        baseUrl = "http://127.0.0.1:" + app.port();
    }

    @AfterAll
    static void stopApi() {
        if (app != null) {
            app.stop();
        }
        if (dataSource != null) {
            dataSource.close();
        }
    }

    private static HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return BillingApi.objectMapper().readTree(response.body());
    }

    @Test
    void aCustomerWithTheStandardTariffIsPricedByLocalTimeOnThe25HourDay() throws Exception {
        HttpResponse<String> created = send("POST", "/api/v1/customers", ADMIN,
                "{\"id\":\"C-1\",\"name\":\"Ada Power\",\"timezone\":\"Europe/Berlin\",\"tariffId\":\"standard\",\"tariffFrom\":\"2026-01-01\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        HttpResponse<String> assigned = send("PUT", "/api/v1/meters/MTR-B1/assignment", ADMIN,
                "{\"customerId\":\"C-1\",\"validFrom\":\"2026-10-01T00:00:00Z\"}");
        assertThat(assigned.statusCode()).as(assigned.body()).isEqualTo(200);

        JsonNode bill = json(send("GET", "/api/v1/customers/C-1/bill-preview?period=2026-10", READER, null));

        assertThat(bill.get("currency").asText()).isEqualTo("EUR");
        assertThat(bill.get("lines")).hasSize(3);
        assertThat(bill.get("lines").get(0).get("period").asText()).isEqualTo("day");
        assertThat(bill.get("lines").get(0).get("quantity").decimalValue()).isEqualByComparingTo("0.060000");
        assertThat(bill.get("lines").get(0).get("amount").decimalValue()).isEqualByComparingTo("0.02");
        assertThat(bill.get("lines").get(1).get("period").asText()).isEqualTo("night");
        assertThat(bill.get("lines").get(1).get("quantity").decimalValue()).isEqualByComparingTo("0.040000");
        assertThat(bill.get("lines").get(2).get("amount").decimalValue()).isEqualByComparingTo("13.95"); // 31 days x 0.45
        assertThat(bill.get("subtotal").decimalValue()).isEqualByComparingTo("13.98");
        assertThat(bill.get("total").decimalValue()).isEqualByComparingTo("16.64");
        assertThat(bill.get("completeness").get("MTR-B1").decimalValue()).isEqualByComparingTo("0.0336");

        // The September reading was before the assignment: not the customer's.
        JsonNode september = json(send("GET", "/api/v1/customers/C-1/bill-preview?period=2026-09", READER, null));
        assertThat(september.get("totalKwh").decimalValue()).isEqualByComparingTo("0");

        JsonNode customer = json(send("GET", "/api/v1/customers/C-1", READER, null));
        assertThat(customer.get("meters").get(0).get("meterId").asText()).isEqualTo("MTR-B1");
        assertThat(customer.get("tariffs").get(0).get("tariffId").asText()).isEqualTo("standard");
    }

    /**
     * PostgreSQL sums a month per rate run; the bill must be the one priced bucket by bucket. A month with the DST
     * change, rate boundaries inside the repeated hour, weekend rates, a new tariff version on the 25-hour day, a meter
     * held twice with a gap, another meter from before the month, and random energy with buckets missing.
     */
    @Test
    void theBillPreviewEqualsTheBillPricedBucketByBucket() throws Exception {
        String edges = "{\"id\":\"dst-edges\",\"name\":\"DST edges\",\"currency\":\"EUR\",\"version\":{"
                + "\"validFrom\":\"2026-01-01\",\"standingChargePerDay\":0.37,\"taxRate\":0.19,\"rates\":["
                + "{\"period\":\"weekend\",\"days\":\"weekend\",\"from\":\"00:00\",\"to\":\"00:00\",\"pricePerKwh\":0.2011},"
                + "{\"period\":\"peak\",\"days\":\"weekday\",\"from\":\"02:30\",\"to\":\"18:30\",\"pricePerKwh\":0.3917},"
                + "{\"period\":\"off-peak\",\"days\":\"weekday\",\"from\":\"18:30\",\"to\":\"02:30\",\"pricePerKwh\":0.2503}]}}";
        HttpResponse<String> created = send("POST", "/api/v1/tariffs", ADMIN, edges);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        HttpResponse<String> version = send("POST", "/api/v1/tariffs/dst-edges/versions", ADMIN, "{\"validFrom\":\"2026-10-25\","
                + "\"standingChargePerDay\":0.41,\"taxRate\":0.19,\"rates\":[{\"period\":\"day\",\"from\":\"07:00\",\"to\":\"22:00\","
                + "\"pricePerKwh\":0.3333},{\"period\":\"night\",\"from\":\"22:00\",\"to\":\"07:00\",\"pricePerKwh\":0.1777}]}");
        assertThat(version.statusCode()).as(version.body()).isEqualTo(201);
        assertThat(send("POST", "/api/v1/customers", ADMIN,
                "{\"id\":\"C-DST\",\"name\":\"Edges\",\"timezone\":\"Europe/Berlin\",\"tariffId\":\"dst-edges\",\"tariffFrom\":\"2026-01-01\"}")
                .statusCode()).isEqualTo(201);
        String[][] assignments = {{"MTR-D2", "C-DST", "2026-09-20T00:00:00Z"}, {"MTR-D1", "C-DST", "2026-10-02T10:15:00Z"},
                {"MTR-D1", null, "2026-10-12T00:00:00Z"}, {"MTR-D1", "C-DST", "2026-10-20T13:45:00Z"}};
        for (String[] assignment : assignments) {
            HttpResponse<String> assigned = send("PUT", "/api/v1/meters/" + assignment[0] + "/assignment", ADMIN, "{\"customerId\":"
                    + (assignment[1] == null ? "null" : "\"" + assignment[1] + "\"") + ",\"validFrom\":\"" + assignment[2] + "\"}");
            assertThat(assigned.statusCode()).as(assigned.body()).isEqualTo(200);
        }
        SplittableRandom random = new SplittableRandom(25);
        List<BillCalculator.Usage> usage = new ArrayList<>();
        try (Connection connection = TestServices.shared().postgres().connect(DATABASE); PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO usage_15m (meter_id, channel, bucket_start, energy_mwh, reading_count) VALUES (?, 'import', ?, ?, 1)")) {
            for (Instant bucket = Instant.parse("2026-09-28T00:00:00Z"); bucket.isBefore(Instant.parse("2026-11-02T00:00:00Z"));
                 bucket = bucket.plus(Duration.ofMinutes(15))) {
                for (String meter : new String[] {"MTR-D1", "MTR-D2"}) {
                    if (random.nextInt(10) == 0) {
                        continue; // no row for this bucket
                    }
                    long milliWattHours = random.nextLong(0, 900_000);
                    usage.add(new BillCalculator.Usage(meter, bucket, milliWattHours));
                    insert.setString(1, meter);
                    insert.setTimestamp(2, Timestamp.from(bucket));
                    insert.setLong(3, milliWattHours);
                    insert.addBatch();
                }
            }
            insert.executeBatch();
        }
        Tariff tariff = new Tariff("dst-edges", "DST edges", Currency.getInstance("EUR"),
                List.of(
                        new TariffVersion(LocalDate.parse("2026-01-01"), new BigDecimal("0.37"), new BigDecimal("0.19"),
                                List.of(
                                        new TimeOfUseRate("weekend", DayType.WEEKEND,
                                                LocalTime.MIDNIGHT, LocalTime.MIDNIGHT, new BigDecimal("0.2011")),
                                        new TimeOfUseRate("peak", DayType.WEEKDAY,
                                                LocalTime.of(2, 30), LocalTime.of(18, 30), new BigDecimal("0.3917")),
                                        new TimeOfUseRate("off-peak", DayType.WEEKDAY,
                                                LocalTime.of(18, 30), LocalTime.of(2, 30), new BigDecimal("0.2503")))),
                        new TariffVersion(LocalDate.parse("2026-10-25"), new BigDecimal("0.41"), new BigDecimal("0.19"),
                                List.of(
                                        new TimeOfUseRate("day", DayType.ALL,
                                                LocalTime.of(7, 0), LocalTime.of(22, 0), new BigDecimal("0.3333")),
                                        new TimeOfUseRate("night", DayType.ALL,
                                                LocalTime.of(22, 0), LocalTime.of(7, 0), new BigDecimal("0.1777"))))));
        List<BillCalculator.Assignment> spans = List.of(
                new BillCalculator.Assignment("MTR-D2", Instant.parse("2026-09-20T00:00:00Z"), null),
                new BillCalculator.Assignment("MTR-D1", Instant.parse("2026-10-02T10:15:00Z"), Instant.parse("2026-10-12T00:00:00Z")),
                new BillCalculator.Assignment("MTR-D1", Instant.parse("2026-10-20T13:45:00Z"), null));
        Bill expected = BillCalculator.price("C-DST", ZoneId.of("Europe/Berlin"),
                YearMonth.of(2026, 10), List.of(new BillCalculator.TariffLink(
                        LocalDate.parse("2026-01-01"), tariff)), spans, usage);

        JsonNode bill = json(send("GET", "/api/v1/customers/C-DST/bill-preview?period=2026-10", READER, null));

        assertThat(bill.get("lines")).hasSize(expected.lines().size());
        for (int i = 0; i < expected.lines().size(); i++) {
            Bill.Line line = expected.lines().get(i);
            JsonNode actual = bill.get("lines").get(i);
            assertThat(actual.get("period").asText() + " " + actual.get("validFrom").asText() + " " + actual.get("quantity").decimalValue()
                    + " x " + actual.get("unitPrice").decimalValue() + " = " + actual.get("amount").decimalValue())
                    .isEqualTo(line.period() + " " + line.validFrom() + " " + line.quantity() + " x " + line.unitPrice() + " = " + line.amount());
        }
        assertThat(bill.get("lines").get(0).get("quantity").decimalValue()).isPositive();
        assertThat(bill.get("subtotal").decimalValue()).isEqualByComparingTo(expected.subtotal());
        assertThat(bill.get("total").decimalValue()).isEqualByComparingTo(expected.total());
        assertThat(bill.get("totalKwh").decimalValue()).isEqualByComparingTo(expected.totalKwh());
        assertThat(bill.get("completeness").get("MTR-D1").decimalValue()).isEqualByComparingTo(expected.completeness().get("MTR-D1"));
        assertThat(bill.get("completeness").get("MTR-D2").decimalValue()).isEqualByComparingTo(expected.completeness().get("MTR-D2"));
    }

    @Test
    void anOversizedBodyIsA400Problem() throws Exception {
        String huge = "{\"id\":\"C-BIG\",\"name\":\"" + "x".repeat(1_200_000) + "\",\"timezone\":\"UTC\",\"tariffId\":\"standard\"}";
        HttpResponse<String> response = send("POST", "/api/v1/customers", ADMIN, huge);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(json(response).get("type").asText()).isEqualTo("urn:wattflow:problem:payload-too-large");
    }

    @Test
    void aRepeatWhileTheFirstRequestStillRunsIsAConflict() throws Exception {
        String body = "{\"id\":\"C-RUN\",\"name\":\"Running\",\"timezone\":\"UTC\",\"tariffId\":\"standard\"}";
        // The first request with this key has claimed it and not finished (as when it runs on another instance).
        try (Connection connection = TestServices.shared().postgres().connect(DATABASE);
             PreparedStatement claim = connection.prepareStatement("INSERT INTO idempotency_key (token_sha256, idempotency_key, request_sha256, "
                     + "state, expires_at) VALUES (?, 'slow-one', ?, 'in_progress', now() + interval '1 hour')")) {
            claim.setBytes(1, Secrets.sha256(ADMIN));
            claim.setBytes(2, Secrets.sha256("POST /api/v1/customers\n" + body));
            claim.executeUpdate();
        }
        HttpResponse<String> repeat = post("/api/v1/customers", "slow-one", body);

        assertThat(repeat.statusCode()).isEqualTo(409);
        assertThat(json(repeat).get("detail").asText()).contains("is still running");
    }

    @Test
    void aNewTariffLinkedFromADatePricesTheUsageFromThatDate() throws Exception {
        String weekendSaver = "{\"id\":\"weekend-saver\",\"name\":\"Weekend saver\",\"currency\":\"EUR\",\"version\":{"
                + "\"validFrom\":\"2026-01-01\",\"standingChargePerDay\":0,\"taxRate\":0,\"rates\":["
                + "{\"period\":\"weekend\",\"days\":\"weekend\",\"from\":\"00:00\",\"to\":\"00:00\",\"pricePerKwh\":0.10},"
                + "{\"period\":\"weekday\",\"days\":\"weekday\",\"from\":\"00:00\",\"to\":\"00:00\",\"pricePerKwh\":0.50}]}}";
        HttpResponse<String> created = send("POST", "/api/v1/tariffs", ADMIN, weekendSaver);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(json(created).get("versions").get(0).get("rates")).hasSize(2);
        HttpResponse<String> gap = send("POST", "/api/v1/tariffs/weekend-saver/versions", ADMIN, "{\"validFrom\":\"2026-06-01\","
                + "\"standingChargePerDay\":0,\"taxRate\":0,\"rates\":[{\"period\":\"day\",\"from\":\"07:00\",\"to\":\"22:00\",\"pricePerKwh\":0.3}]}");
        assertThat(gap.statusCode()).isEqualTo(400);
        assertThat(json(gap).get("detail").asText()).contains("no rate covers 00:00");

        assertThat(send("POST", "/api/v1/customers", ADMIN,
                "{\"id\":\"C-W\",\"name\":\"Weekend\",\"timezone\":\"UTC\",\"tariffId\":\"standard\",\"tariffFrom\":\"2026-01-01\"}")
                .statusCode()).isEqualTo(201);
        assertThat(send("POST", "/api/v1/customers/C-W/tariffs", ADMIN, "{\"tariffId\":\"weekend-saver\",\"validFrom\":\"2026-09-01\"}")
                .statusCode()).isEqualTo(201);
        // MTR-W1: 5 kWh on Tuesday 15 September (weekday rate of the new tariff) and 5 kWh on Saturday the 19th (weekend rate)
        assertThat(send("PUT", "/api/v1/meters/MTR-W1/assignment", ADMIN, "{\"customerId\":\"C-W\",\"validFrom\":\"2026-01-01T00:00:00Z\"}")
                .statusCode()).isEqualTo(200);
        try (Connection connection = TestServices.shared().postgres().connect(DATABASE); Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO usage_15m (meter_id, channel, bucket_start, energy_mwh, reading_count) VALUES "
                    + "('MTR-W1', 'import', '2026-09-15T10:00:00Z', 5000000, 1), ('MTR-W1', 'import', '2026-09-19T10:00:00Z', 5000000, 1)");
        }
        JsonNode bill = json(send("GET", "/api/v1/customers/C-W/bill-preview?period=2026-09", ADMIN, null));
        assertThat(bill.get("total").decimalValue()).isEqualByComparingTo("3.00"); // 5 x 0.50 + 5 x 0.10, no standing charge, no tax
    }

    @Test
    void creatingTheSameCustomerTwiceIsAConflictAndReadersMayNotCreate() throws Exception {
        String body = "{\"id\":\"C-2\",\"name\":\"Grace Grid\",\"timezone\":\"UTC\",\"tariffId\":\"standard\"}";
        assertThat(send("POST", "/api/v1/customers", ADMIN, body).statusCode()).isEqualTo(201);
        HttpResponse<String> again = send("POST", "/api/v1/customers", ADMIN, body);
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(json(again).get("type").asText()).isEqualTo("urn:wattflow:problem:conflict");

        HttpResponse<String> asReader = send("POST", "/api/v1/customers", READER, body.replace("C-2", "C-3"));
        assertThat(asReader.statusCode()).isEqualTo(403);
        assertThat(json(asReader).get("type").asText()).isEqualTo("urn:wattflow:problem:forbidden");
    }

    private static HttpResponse<String> post(String path, String key, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl + path)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", "Bearer " + ADMIN).header("Idempotency-Key", key).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aRepeatedRequestWithTheSameIdempotencyKeyGetsTheOriginalResponse() throws Exception {
        String body = "{\"id\":\"C-7\",\"name\":\"Idem Potent\",\"timezone\":\"UTC\",\"tariffId\":\"standard\"}";
        HttpResponse<String> first = post("/api/v1/customers", "create-c7", body);
        HttpResponse<String> repeat = post("/api/v1/customers", "create-c7", body);
        HttpResponse<String> otherBody = post("/api/v1/customers", "create-c7", body.replace("Idem Potent", "Someone Else"));
        HttpResponse<String> newKey = post("/api/v1/customers", "create-c7-again", body);

        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(repeat.statusCode()).isEqualTo(201);
        assertThat(repeat.body()).isEqualTo(first.body());
        assertThat(repeat.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(otherBody.statusCode()).isEqualTo(409);
        assertThat(json(otherBody).get("detail").asText()).contains("was used for another request");
        assertThat(newKey.statusCode()).isEqualTo(409); // a new key is a new request: the customer exists
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "POST|/api/v1/customers|{\"id\":\"C-9\",\"name\":\"X\",\"timezone\":\"Mars/Olympus\",\"tariffId\":\"standard\"}|400|timezone must be an IANA time zone",
            "POST|/api/v1/customers|{\"id\":\"C-9\",\"name\":\"X\",\"timezone\":\"UTC\",\"tariffId\":\"gold\"}|400|is not a known tariff",
            "POST|/api/v1/customers|{\"id\":\"C 9\",\"name\":\"X\",\"timezone\":\"UTC\",\"tariffId\":\"standard\"}|400|id must be",
            "POST|/api/v1/customers|{\"id\":\"C-9\",\"name\":\"X\",\"timezone\":\"UTC\",\"tariffId\":\"standard\",\"vip\":true}|400|unknown field 'vip'",
            "POST|/api/v1/customers|{\"id\":\"C-9\",|400|not valid JSON",
            "PUT|/api/v1/meters/MTR-B1/assignment|{\"customerId\":\"C-1\",\"validFrom\":\"2026-10-01T00:05:00Z\"}|400|15-minute boundary",
            "PUT|/api/v1/meters/MTR-B1/assignment|{\"customerId\":\"nobody\",\"validFrom\":\"2026-10-01T00:00:00Z\"}|404|no customer 'nobody'",
            "GET|/api/v1/customers/C-404/bill-preview?period=2026-10||404|no customer 'C-404'",
            "GET|/api/v1/customers/C-1/bill-preview?period=October||400|period must be a month such as 2026-11",
    })
    void badRequestsAreProblemsThatSayWhatToFix(String method, String path, String body, int status, String detail) throws Exception {
        HttpResponse<String> response = send(method, path, ADMIN, body == null || body.isEmpty() ? null : body);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(json(response).get("detail").asText()).contains(detail);
    }
}
