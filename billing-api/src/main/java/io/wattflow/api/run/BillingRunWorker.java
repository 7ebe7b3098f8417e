package io.wattflow.api.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wattflow.api.billing.Adjustments;
import io.wattflow.api.billing.Bill;
import io.wattflow.api.billing.BillCalculator;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import io.wattflow.api.customer.CustomerService;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries billing runs forward, on any instance: it leases a run that needs work, then invoices its customers, several
 * at a time, each in one local transaction (invoice, its number from the series' counter row, the outbox event, the
 * customer's progress), renewing the lease as it goes. An instance that dies leaves its lease to expire; another one
 * resumes the run where the committed progress says. Cancelling compensates: every invoice of the run gets a credit note.
 *
 * <p>Customers are priced in parallel (reading usage and computing the bill is most of the work); their transactions
 * queue only for the counter row, which each holds from taking its number to its commit, so numbers stay gap-free.
 */
public final class BillingRunWorker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BillingRunWorker.class);

    /** Test hook at each saga step; throwing there is a crash of the instance at that point. */
    public interface StepHook {
        StepHook NONE = (step, customerId) -> {
        };

        void reached(String step, String customerId);
    }

    /**
     * How this instance runs billing runs.
     *
     * @param invoicingThreads customers invoiced at a time; each holds one database connection while it works, so keep
     *                         it below the pool size to leave connections for requests
     */
    public record Settings(String owner, Duration leaseTime, Duration pollInterval, StepHook hook, int invoicingThreads) {
        public static final int DEFAULT_INVOICING_THREADS = 4;

        public Settings {
            if (invoicingThreads < 1) {
                throw new IllegalArgumentException("invoicingThreads must be at least 1, got " + invoicingThreads);
            }
        }

        public Settings(String owner, Duration leaseTime, Duration pollInterval, StepHook hook) {
            this(owner, leaseTime, pollInterval, hook, DEFAULT_INVOICING_THREADS);
        }
    }

    private final BillingRunRepository runs;
    private final CustomerService customers;
    private final ObjectMapper json;
    private final OutboxWriter events;
    private final Settings settings;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "billing-run-worker");
        thread.setDaemon(true);
        return thread;
    });
    private final ExecutorService invoicers;
    private volatile boolean crashed;

    private final Counter invoicesIssued;
    private final Counter customersHeld;
    private final Counter creditNotesIssued;

    public BillingRunWorker(BillingRunRepository runs, CustomerService customers, ObjectMapper json, Settings settings, MeterRegistry metrics) {
        this.events = new OutboxWriter(json);
        this.runs = runs;
        this.customers = customers;
        this.json = json;
        this.settings = settings;
        AtomicInteger invoicerNumber = new AtomicInteger();
        this.invoicers = Executors.newFixedThreadPool(settings.invoicingThreads(), runnable -> {
            Thread thread = new Thread(runnable, "billing-run-invoicer-" + invoicerNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.invoicesIssued = Counter.builder("wattflow_billing_invoices_issued").description("invoices issued by billing runs").register(metrics);
        this.customersHeld = Counter.builder("wattflow_billing_customers_held").description("customers held for incomplete data").register(metrics);
        this.creditNotesIssued = Counter.builder("wattflow_billing_credit_notes_issued").description("credit notes of cancelled runs").register(metrics);
    }

    public void start() {
        executor.scheduleWithFixedDelay(this::workSafely, 0, settings.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** True once a step hook has simulated a crash: this instance no longer works on runs. */
    public boolean crashed() {
        return crashed;
    }

    private void workSafely() {
        if (crashed) {
            return;
        }
        try {
            while (workOnce()) {
                // keep going while there are runs to carry forward
            }
        } catch (SimulatedCrash e) {
            crashed = true;
            LOG.warn("billing run worker {} crashed at a test hook: {}", settings.owner(), e.getMessage());
        } catch (RuntimeException e) {
            if (io.wattflow.api.resilience.DatabaseGuard.isDatabaseFailure(e)) {
                // Expected while PostgreSQL is away: one line per attempt, no stack trace.
                LOG.warn("billing run worker {} waits for the database: {}", settings.owner(), e.getMessage());
            } else {
                LOG.error("billing run worker {} failed; the run resumes after its lease expires", settings.owner(), e);
            }
        }
    }

    /** One leased run carried as far as it goes; false when there was nothing to do. */
    boolean workOnce() {
        Optional<BillingRunRepository.Run> leased = runs.lease(settings.owner(), settings.leaseTime());
        if (leased.isEmpty()) {
            return false;
        }
        BillingRunRepository.Run run = leased.get();
        Heartbeat heartbeat = new Heartbeat();
        if (run.status().equals("running")) {
            invoiceAll(run, runs.customers(run.id(), "pending"), heartbeat);
            runs.finish(run.id(), "running", "completed");
        } else {
            for (String customerId : runs.customers(run.id(), "invoiced")) {
                credit(run, customerId);
                heartbeat.beat();
            }
            runs.finish(run.id(), "cancelling", "cancelled");
        }
        return true;
    }

    /**
     * Every customer invoiced, {@link Settings#invoicingThreads()} at a time. The first failure stops customers not yet
     * begun and is thrown once those under way have ended; what they committed stands, the rest stays pending.
     */
    private void invoiceAll(BillingRunRepository.Run run, List<String> customerIds, Heartbeat heartbeat) {
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        List<Future<?>> invoicing = new ArrayList<>(customerIds.size());
        for (String customerId : customerIds) {
            invoicing.add(invoicers.submit(() -> {
                if (failure.get() != null || crashed) {
                    return;
                }
                try {
                    invoice(run, customerId);
                } catch (JsonProcessingException e) {
                    failure.compareAndSet(null, new IllegalStateException("an earlier invoice of " + customerId + " cannot be read: "
                            + e.getMessage(), e));
                } catch (RuntimeException e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Future<?> customer : invoicing) {
            try {
                customer.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                invoicing.forEach(pending -> pending.cancel(false));
                throw new IllegalStateException("interrupted while invoicing run " + run.id(), e);
            } catch (ExecutionException e) {
                failure.compareAndSet(null, new IllegalStateException(e.getCause()));
            }
            heartbeat.beat();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    /** Renews the lease a third of the way through it, not after every customer (an UPDATE each). */
    private final class Heartbeat {
        private long renewedAt = System.nanoTime();

        void beat() {
            if (System.nanoTime() - renewedAt >= settings.leaseTime().toNanos() / 3) {
                runs.lease(settings.owner(), settings.leaseTime());
                renewedAt = System.nanoTime();
            }
        }
    }

    private void invoice(BillingRunRepository.Run run, String customerId) throws JsonProcessingException {
        Bill bill = null;
        String held;
        try {
            bill = BillCalculator.withAdjustments(customers.preview(customerId, run.period()), lateUsage(customerId, run.period()));
            held = holdReason(run, bill);
        } catch (BillCalculator.NotBillable notBillable) {
            held = notBillable.getMessage();
        }
        try (Connection connection = runs.dataSource().getConnection()) {
            connection.setAutoCommit(false);
            try {
                if (!lockState(connection, run.id(), customerId).equals("pending")) {
                    connection.rollback();
                    return;
                }
                if (held != null) {
                    setState(connection, run.id(), customerId, "held", null, held);
                    connection.commit();
                    customersHeld.increment();
                    return;
                }
                long number = nextNumber(connection, "INV");
                UUID invoiceId = UUID.randomUUID();
                BigDecimal tax = bill.taxes().stream().map(Bill.Tax::amount).reduce(BigDecimal.ZERO, BigDecimal::add);
                insertInvoice(connection, invoiceId, "INV", number, "invoice", customerId, run, null, bill.currency(), bill.subtotal(), tax,
                        bill.total(), json.writeValueAsString(bill));
                settings.hook().reached("invoice-written", customerId);
                outbox(connection, "invoice.issued", invoiceId, "INV", number, customerId, run.period(), bill.total(), bill.currency());
                settings.hook().reached("event-written", customerId);
                setState(connection, run.id(), customerId, "invoiced", invoiceId, null);
                connection.commit();
            } catch (SQLException | JsonProcessingException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("invoicing " + customerId + " failed: " + e.getMessage(), e);
        }
        invoicesIssued.increment();
        settings.hook().reached("committed", customerId);
    }

    /**
     * Why the customer cannot be invoiced in this run, or null: no meter in the period, a bill in another currency than the
     * run's, or a meter whose data covers less of the period than the run's threshold. Held customers leave the run to
     * complete; an operator fixes the data and bills them in a later run.
     */
    private static String holdReason(BillingRunRepository.Run run, Bill bill) {
        if (bill.completeness().isEmpty()) {
            return "no meter was assigned to the customer in the period";
        }
        if (run.currency() != null && !run.currency().equals(bill.currency())) {
            return "the customer is billed in " + bill.currency() + ", the run bills " + run.currency();
        }
        Optional<Map.Entry<String, BigDecimal>> incomplete = bill.completeness().entrySet().stream()
                .filter(meter -> meter.getValue().compareTo(run.completenessThreshold()) < 0).findFirst();
        return incomplete.map(meter -> "meter " + meter.getKey() + " has data for " + meter.getValue() + " of the period, below "
                + run.completenessThreshold()).orElse(null);
    }

    /**
     * Adjustment lines for every earlier period of the customer whose invoice stands (not credited): what its usage
     * is now, less what was invoiced for it, by its invoice and by the adjustments since.
     */
    private List<Bill.Line> lateUsage(String customerId, String period) throws JsonProcessingException {
        Map<String, List<Bill.Line>> invoiced = new TreeMap<>();
        for (String document : runs.standingInvoiceDocuments(customerId, period)) {
            Bill earlier = json.readValue(document, Bill.class);
            for (Bill.Line line : earlier.lines()) {
                String belongsTo = line.originalPeriod() != null ? line.originalPeriod() : earlier.period();
                invoiced.computeIfAbsent(belongsTo, key -> new ArrayList<>()).add(line);
            }
        }
        List<Bill.Line> adjustments = new ArrayList<>();
        for (Map.Entry<String, List<Bill.Line>> entry : invoiced.entrySet()) {
            adjustments.addAll(Adjustments.forPeriod(entry.getKey(), customers.preview(customerId, entry.getKey()), entry.getValue()));
        }
        return adjustments;
    }

    /** Compensation: a credit note for the customer's invoice of this run, and its event. */
    private void credit(BillingRunRepository.Run run, String customerId) {
        try (Connection connection = runs.dataSource().getConnection()) {
            connection.setAutoCommit(false);
            try {
                if (!lockState(connection, run.id(), customerId).equals("invoiced")) {
                    connection.rollback();
                    return;
                }
                UUID invoiceId;
                String currency;
                BigDecimal subtotal;
                BigDecimal tax;
                BigDecimal total;
                try (PreparedStatement original = connection.prepareStatement("""
                        SELECT i.id, i.currency, i.subtotal, i.tax, i.total FROM invoice i
                          JOIN billing_run_customer c ON c.invoice_id = i.id WHERE c.run_id = ? AND c.customer_id = ?
                        """)) {
                    original.setObject(1, run.id());
                    original.setString(2, customerId);
                    try (ResultSet rows = original.executeQuery()) {
                        rows.next();
                        invoiceId = rows.getObject(1, UUID.class);
                        currency = rows.getString(2).trim();
                        subtotal = rows.getBigDecimal(3).negate();
                        tax = rows.getBigDecimal(4).negate();
                        total = rows.getBigDecimal(5).negate();
                    }
                }
                long number = nextNumber(connection, "CRN");
                UUID creditId = UUID.randomUUID();
                Map<String, Object> document = new LinkedHashMap<>();
                document.put("credits", invoiceId.toString());
                document.put("reason", "billing run " + run.id() + " cancelled");
                insertInvoice(connection, creditId, "CRN", number, "credit_note", customerId, run, invoiceId, currency, subtotal, tax, total,
                        json.writeValueAsString(document));
                outbox(connection, "invoice.credited", creditId, "CRN", number, customerId, run.period(), total, currency);
                setState(connection, run.id(), customerId, "credited", invoiceId, null);
                connection.commit();
                creditNotesIssued.increment();
            } catch (SQLException | JsonProcessingException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        } catch (SQLException | JsonProcessingException e) {
            throw new IllegalStateException("crediting " + customerId + " failed: " + e.getMessage(), e);
        }
    }

    private static String lockState(Connection connection, UUID runId, String customerId) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT state FROM billing_run_customer WHERE run_id = ? AND customer_id = ? FOR UPDATE")) {
            statement.setObject(1, runId);
            statement.setString(2, customerId);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? rows.getString(1) : "";
            }
        }
    }

    private static void setState(Connection connection, UUID runId, String customerId, String state, UUID invoiceId, String detail)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "UPDATE billing_run_customer SET state = ?, invoice_id = coalesce(?, invoice_id), detail = ? WHERE run_id = ? AND customer_id = ?")) {
            statement.setString(1, state);
            statement.setObject(2, invoiceId);
            statement.setString(3, detail);
            statement.setObject(4, runId);
            statement.setString(5, customerId);
            statement.executeUpdate();
        }
    }

    /** Gap-free: the counter row is locked until the transaction ends, and a rollback gives the number back. */
    private static long nextNumber(Connection connection, String series) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "UPDATE invoice_counter SET next_number = next_number + 1 WHERE series = ? RETURNING next_number - 1")) {
            statement.setString(1, series);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    private static void insertInvoice(Connection connection, UUID id, String series, long number, String kind, String customerId,
                                      BillingRunRepository.Run run, UUID credits, String currency, BigDecimal subtotal, BigDecimal tax,
                                      BigDecimal total, String document) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("""
                INSERT INTO invoice (id, series, number, kind, customer_id, period, run_id, credits_invoice_id, currency,
                                     subtotal, tax, total, document)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb)
                """)) {
            statement.setObject(1, id);
            statement.setString(2, series);
            statement.setLong(3, number);
            statement.setString(4, kind);
            statement.setString(5, customerId);
            statement.setString(6, run.period());
            statement.setObject(7, run.id());
            statement.setObject(8, credits);
            statement.setString(9, currency);
            statement.setBigDecimal(10, subtotal);
            statement.setBigDecimal(11, tax);
            statement.setBigDecimal(12, total);
            statement.setString(13, document);
            statement.executeUpdate();
        }
    }

    /** The event exists exactly when its invoice does: same transaction. Consumers dedupe on eventId (the relay may repeat). */
    private void outbox(Connection connection, String type, UUID invoiceId, String series, long number, String customerId, String period,
                        BigDecimal total, String currency) throws SQLException {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("eventId", UUID.randomUUID().toString());
        event.put("type", type);
        event.put("invoiceId", invoiceId.toString());
        event.put("number", InvoiceNumbers.format(series, number));
        event.put("customerId", customerId);
        event.put("period", period);
        event.put("total", total);
        event.put("currency", currency);
        events.write(connection, customerId, event);
    }

    @Override
    public void close() {
        executor.shutdownNow();
        invoicers.shutdownNow();
    }

    /** What a {@link StepHook} throws to simulate a crash. */
    public static final class SimulatedCrash extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public SimulatedCrash(String message) {
            super(message);
        }
    }
}
