package io.wattflow.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.wattflow.client.WattflowClient;
import io.wattflow.client.WattflowProblem;
import io.wattflow.client.model.Assignment;
import io.wattflow.client.model.Bill;
import io.wattflow.client.model.FleetCompleteness;
import io.wattflow.client.model.MeterCompleteness;
import io.wattflow.client.model.BillingRun;
import io.wattflow.client.model.BillingRunInvoicesInner;
import io.wattflow.client.model.CreateCustomer;
import io.wattflow.client.model.CreateTariff;
import io.wattflow.client.model.Customer;
import io.wattflow.client.model.CustomerUsage;
import io.wattflow.client.model.Health;
import io.wattflow.client.model.IssueToken;
import io.wattflow.client.model.NewRate;
import io.wattflow.client.model.NewVersion;
import io.wattflow.client.model.StartRun;
import io.wattflow.client.model.Tariff;
import io.wattflow.client.model.TariffLink;
import io.wattflow.client.model.Token;
import io.wattflow.client.model.UsageReport;
import java.math.BigDecimal;
import java.net.URI;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every operation of the OpenAPI document through the Java client generated from it, against the real server and
 * PostgreSQL. The client rejects fields the document does not declare, and the test checks that it called every
 * operationId the document has: a drift between document and server fails the build.
 */
class GeneratedClientIT {
    private static final String DATABASE = "generated_client_it";

    private static ApiFixture api;
    private static String adminToken;
    private static final Set<String> called = new TreeSet<>();

    @BeforeAll
    static void start() throws Exception {
        try (Connection connection = ApiFixture.database(DATABASE).connect(DATABASE); Statement statement = connection.createStatement()) {
            statement.execute("TRUNCATE api_token");
            adminToken = ApiFixture.addToken(connection, "generated-client", "admin");
            // every bucket of November 2026 (UTC) at 0.01 kWh: 0.96 kWh a day, 28.8 kWh in the month, complete
            statement.execute("INSERT INTO usage_15m (meter_id, channel, bucket_start, energy_mwh, reading_count) "
                    + "SELECT 'MTR-GC', 'import', start, 10000, 1 FROM generate_series(timestamptz '2026-11-01T00:00:00Z', "
                    + "timestamptz '2026-11-30T23:45:00Z', interval '15 minutes') AS start ON CONFLICT DO NOTHING");
        }
        api = ApiFixture.start(DATABASE);
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    private static WattflowClient client(String token) {
        return WattflowClient.builder(URI.create(api.baseUrl())).token(token).rejectUndocumentedFields(true).build();
    }

    private static <T> T call(String operationId, WattflowClient client, WattflowClient.Call<T> call) {
        called.add(operationId);
        return client.call(call);
    }

    @Test
    void everyDocumentedOperationWorksThroughTheGeneratedClient() throws Exception {
        WattflowClient admin = client(adminToken);

        assertThat(call("getHealth", admin, () -> admin.service().getHealth()).getStatus()).isEqualTo(Health.StatusEnum.UP);
        assertThat(call("getReadiness", admin, () -> admin.service().getReadiness()).getStatus()).isEqualTo(Health.StatusEnum.UP);
        assertThat(call("getLiveness", admin, () -> admin.service().getLiveness()).getStatus()).isEqualTo(Health.StatusEnum.UP);
        assertThat(call("getMetrics", admin, () -> admin.service().getMetrics())).contains("# TYPE");
        Object document = call("getOpenApiDocument", admin, () -> admin.service().getOpenApiDocument());
        assertThat(document).isInstanceOf(Map.class);

        Tariff tariff = call("createTariff", admin, () -> admin.tariffs().createTariff(new CreateTariff().id("gc-flat").name("Flat")
                .currency("EUR").version(version(LocalDate.parse("2026-01-01"), "0.30")), WattflowClient.newIdempotencyKey()));
        assertThat(tariff.getId()).isEqualTo("gc-flat");
        Tariff twoVersions = call("addTariffVersion", admin, () -> admin.tariffs().addTariffVersion("gc-flat",
                version(LocalDate.parse("2026-11-15"), "0.40"), WattflowClient.newIdempotencyKey()));
        assertThat(twoVersions.getVersions()).hasSize(2);

        String key = WattflowClient.newIdempotencyKey();
        CreateCustomer ada = new CreateCustomer().id("C-GC").name("Ada").timezone("UTC").tariffId("standard")
                .tariffFrom(LocalDate.parse("2026-01-01"));
        Customer created = call("createCustomer", admin, () -> admin.customers().createCustomer(ada, key));
        Customer repeated = admin.call(() -> admin.customers().createCustomer(ada, key)); // a retry with the same key
        assertThat(repeated).isEqualTo(created);
        Customer linked = call("linkCustomerTariff", admin, () -> admin.tariffs().linkCustomerTariff("C-GC",
                new TariffLink().tariffId("gc-flat").validFrom(LocalDate.parse("2026-10-01")), WattflowClient.newIdempotencyKey()));
        assertThat(linked.getTariffs()).extracting(link -> link.getTariffId()).containsExactly("standard", "gc-flat");
        assertThat(call("assignMeter", admin, () -> admin.customers().assignMeter("MTR-GC", new Assignment().customerId("C-GC")
                .validFrom(OffsetDateTime.parse("2026-01-01T00:00:00Z")), WattflowClient.newIdempotencyKey())).getCustomerId()).isEqualTo("C-GC");
        assertThat(call("getCustomer", admin, () -> admin.customers().getCustomer("C-GC")).getMeters())
                .extracting(meter -> meter.getMeterId()).containsExactly("MTR-GC");

        UsageReport meterUsage = call("getMeterUsage", admin, () -> admin.usage().getMeterUsage("MTR-GC", "2026-11-01", "2026-11-03", "day", "UTC", "import"));
        assertThat(meterUsage.getTotalKwh()).isEqualByComparingTo("1.920000");
        assertThat(meterUsage.getPoints()).extracting(point -> point.getStart().toInstant() + " " + point.getKwh())
                .containsExactly("2026-11-01T00:00:00Z 0.960000", "2026-11-02T00:00:00Z 0.960000");
        Token customerToken = call("issueToken", admin, () -> admin.tokens().issueToken(new IssueToken().role(IssueToken.RoleEnum.CUSTOMER)
                .customerId("C-GC").name("ada-portal"), WattflowClient.newIdempotencyKey()));
        WattflowClient customer = client(customerToken.getToken());
        CustomerUsage own = call("getCustomerUsage", customer, () -> customer.usage().getCustomerUsage("C-GC", "2026-11-01", "2026-12-01", "month", "UTC", null));
        assertThat(own.getMeters()).containsExactly("MTR-GC");
        assertThat(own.getTotalKwh()).isEqualByComparingTo("28.800000");

        Bill bill = call("previewBill", customer, () -> customer.invoicing().previewBill("C-GC", "2026-11"));
        assertThat(bill.getTotalKwh()).isEqualByComparingTo("28.800000");
        assertThat(call("getConsumptionReport", admin, () -> admin.reports().getConsumptionReport("2026-11", "customer", 10, 0)).getRows())
                .extracting(row -> row.getCustomerId()).contains("C-GC");
        MeterCompleteness completeness = call("getMeterCompleteness", admin, () -> admin.quality().getMeterCompleteness("MTR-GC", "2026-11-30",
                "2026-12-02", "UTC", "import"));
        assertThat(completeness.getDays()).extracting(day -> day.getDate() + " " + day.getActual() + "/" + day.getExpected())
                .containsExactly("2026-11-30 96/96", "2026-12-01 0/96");
        FleetCompleteness fleet = call("getFleetCompleteness", admin, () -> admin.quality().getFleetCompleteness("2026-12-01", "UTC", "import",
                null, 10, 0));
        assertThat(fleet.getRows()).filteredOn(row -> row.getMeterId().equals("MTR-GC")).singleElement()
                .satisfies(row -> assertThat(row.getActualPercent()).isEqualByComparingTo("0"));

        BillingRun started = call("startBillingRun", admin, () -> admin.invoicing().startBillingRun(new StartRun().period("2026-11"),
                WattflowClient.newIdempotencyKey()));
        await().atMost(Duration.ofSeconds(60)).until(() -> admin.call(() -> admin.invoicing().getBillingRun(started.getId().toString(), null, null))
                .getStatus() == BillingRun.StatusEnum.COMPLETED);
        BillingRun completed = call("getBillingRun", admin, () -> admin.invoicing().getBillingRun(started.getId().toString(), 10, 0));
        BillingRunInvoicesInner issued = completed.getInvoices().stream().filter(invoice -> invoice.getCustomerId().equals("C-GC")).findFirst()
                .orElseThrow(() -> new AssertionError("C-GC was not invoiced; held: " + completed.getHeld()));
        assertThat(call("getInvoice", customer, () -> customer.invoicing().getInvoice(issued.getId())).getTotal())
                .isEqualByComparingTo(bill.getTotal());
        assertThat(call("cancelBillingRun", admin, () -> admin.invoicing().cancelBillingRun(started.getId().toString(),
                WattflowClient.newIdempotencyKey())).getStatus()).isIn(BillingRun.StatusEnum.CANCELLING, BillingRun.StatusEnum.CANCELLED);

        call("revokeToken", admin, () -> {
            admin.tokens().revokeToken(customerToken.getId().toString(), WattflowClient.newIdempotencyKey());
            return null;
        });
        assertThatThrownBy(() -> customer.call(() -> customer.customers().getCustomer("C-GC")))
                .isInstanceOfSatisfying(WattflowProblem.class, problem -> assertThat(problem.status()).isEqualTo(401));

        assertThat(called).isEqualTo(documentedOperations());
    }

    @Test
    void errorsArriveAsTypedProblems() {
        WattflowClient admin = client(adminToken);
        assertThatThrownBy(() -> admin.call(() -> admin.invoicing().previewBill("nobody", "2026-11")))
                .isInstanceOfSatisfying(WattflowProblem.class, problem -> {
                    assertThat(problem.status()).isEqualTo(404);
                    assertThat(problem.problem().getDetail()).isEqualTo("no customer 'nobody'");
                });
        assertThatThrownBy(() -> admin.call(() -> admin.usage().getMeterUsage("MTR-GC", "2026-11-03", "2026-11-01", null, null, null)))
                .isInstanceOfSatisfying(WattflowProblem.class, problem -> assertThat(problem.status()).isEqualTo(400));
    }

    private static NewVersion version(LocalDate from, String price) {
        return new NewVersion().validFrom(from).standingChargePerDay(new BigDecimal("0.10")).taxRate(new BigDecimal("0.19"))
                .addRatesItem(new NewRate().period("all").from("00:00").to("00:00").pricePerKwh(new BigDecimal(price)));
    }

    private static Set<String> documentedOperations() throws Exception {
        JsonNode document = BillingApi.objectMapper().readTree(GeneratedClientIT.class.getResourceAsStream("/openapi.json"));
        Set<String> ids = new TreeSet<>();
        document.get("paths").forEach(path -> path.forEach(operation -> ids.add(operation.get("operationId").asText())));
        return ids;
    }
}
