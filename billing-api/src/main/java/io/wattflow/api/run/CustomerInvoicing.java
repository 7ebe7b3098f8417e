package io.wattflow.api.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.wattflow.api.billing.Adjustments;
import io.wattflow.api.billing.Bill;
import io.wattflow.api.billing.BillCalculator;
import io.wattflow.api.customer.CustomerService;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The steps of a billing run's saga for one customer, each one local transaction that locks the customer's row first
 * (so a step runs once, whichever instance gets there): the invoice, its number from the series' counter row, its
 * outbox event and the customer's new state; or, when the run is cancelled, the credit note that compensates it.
 */
final class CustomerInvoicing {
    private final BillingRunRepository runs;
    private final InvoiceRepository invoices;
    private final CustomerService customers;
    private final ObjectMapper json;
    private final OutboxWriter events;
    private final BillingRunWorker.StepHook hook;
    private final Counter invoicesIssued;
    private final Counter customersHeld;
    private final Counter creditNotesIssued;

    CustomerInvoicing(BillingRunRepository runs, InvoiceRepository invoices, CustomerService customers, ObjectMapper json,
                      BillingRunWorker.StepHook hook, MeterRegistry metrics) {
        this.runs = runs;
        this.invoices = invoices;
        this.customers = customers;
        this.json = json;
        this.events = new OutboxWriter(json);
        this.hook = hook;
        this.invoicesIssued = Counter.builder("wattflow_billing_invoices_issued").description("invoices issued by billing runs").register(metrics);
        this.customersHeld = Counter.builder("wattflow_billing_customers_held").description("customers held for incomplete data").register(metrics);
        this.creditNotesIssued = Counter.builder("wattflow_billing_credit_notes_issued").description("credit notes of cancelled runs").register(metrics);
    }

    /** Invoices the customer, or holds it with the reason; nothing when another instance got there first. */
    void invoice(BillingRunRepository.Run run, String customerId) throws JsonProcessingException {
        Bill bill = null;
        String held;
        try {
            bill = BillCalculator.withAdjustments(customers.billOf(customerId, YearMonth.parse(run.period())), lateUsage(customerId, run.period()));
            held = holdReason(run, bill);
        } catch (BillCalculator.NotBillable notBillable) {
            held = notBillable.getMessage();
        }
        try (Connection connection = runs.dataSource().getConnection()) {
            connection.setAutoCommit(false);
            try {
                if (runs.lockCustomer(connection, run.id(), customerId) != CustomerState.PENDING) {
                    connection.rollback();
                    return;
                }
                if (held != null) {
                    runs.setCustomerState(connection, run.id(), customerId, CustomerState.HELD, null, held);
                    connection.commit();
                    customersHeld.increment();
                    return;
                }
                long number = invoices.nextNumber(connection, "INV");
                UUID invoiceId = UUID.randomUUID();
                BigDecimal tax = bill.taxes().stream().map(Bill.Tax::amount).reduce(BigDecimal.ZERO, BigDecimal::add);
                invoices.insert(connection, new InvoiceRepository.NewInvoice(invoiceId, "INV", number, "invoice", customerId, run.period(),
                        run.id(), null, bill.currency(), bill.subtotal(), tax, bill.total(), json.writeValueAsString(bill)));
                hook.reached("invoice-written", customerId);
                outbox(connection, "invoice.issued", invoiceId, "INV", number, customerId, run.period(), bill.total(), bill.currency());
                hook.reached("event-written", customerId);
                runs.setCustomerState(connection, run.id(), customerId, CustomerState.INVOICED, invoiceId, null);
                connection.commit();
            } catch (SQLException | JsonProcessingException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("invoicing " + customerId + " failed: " + e.getMessage(), e);
        }
        invoicesIssued.increment();
        hook.reached("committed", customerId);
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
        for (String document : invoices.standingDocuments(customerId, period)) {
            Bill earlier = json.readValue(document, Bill.class);
            for (Bill.Line line : earlier.lines()) {
                String belongsTo = line.originalPeriod() != null ? line.originalPeriod() : earlier.period();
                invoiced.computeIfAbsent(belongsTo, key -> new ArrayList<>()).add(line);
            }
        }
        List<Bill.Line> adjustments = new ArrayList<>();
        for (Map.Entry<String, List<Bill.Line>> entry : invoiced.entrySet()) {
            adjustments.addAll(Adjustments.forPeriod(entry.getKey(), customers.billOf(customerId, YearMonth.parse(entry.getKey())), entry.getValue()));
        }
        return adjustments;
    }

    /** Compensation: a credit note for the customer's invoice of this run, and its event. */
    void credit(BillingRunRepository.Run run, String customerId) {
        try (Connection connection = runs.dataSource().getConnection()) {
            connection.setAutoCommit(false);
            try {
                if (runs.lockCustomer(connection, run.id(), customerId) != CustomerState.INVOICED) {
                    connection.rollback();
                    return;
                }
                InvoiceRepository.Amounts original = invoices.issuedInRun(connection, run.id(), customerId);
                long number = invoices.nextNumber(connection, "CRN");
                UUID creditId = UUID.randomUUID();
                CreditNote document = new CreditNote(original.invoiceId().toString(), "billing run " + run.id() + " cancelled");
                BigDecimal total = original.total().negate();
                invoices.insert(connection, new InvoiceRepository.NewInvoice(creditId, "CRN", number, "credit_note", customerId, run.period(),
                        run.id(), original.invoiceId(), original.currency(), original.subtotal().negate(), original.tax().negate(), total,
                        json.writeValueAsString(document)));
                outbox(connection, "invoice.credited", creditId, "CRN", number, customerId, run.period(), total, original.currency());
                runs.setCustomerState(connection, run.id(), customerId, CustomerState.CREDITED, original.invoiceId(), null);
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

    /** The document of a credit note: the invoice it credits and why. */
    private record CreditNote(String credits, String reason) {
    }

    /** The event exists exactly when its invoice does: same transaction. Consumers dedupe on eventId (the relay may repeat). */
    private void outbox(Connection connection, String type, UUID invoiceId, String series, long number, String customerId, String period,
                        BigDecimal total, String currency) throws SQLException {
        events.write(connection, customerId, new BillingEvent.InvoiceEvent(UUID.randomUUID().toString(), type, invoiceId.toString(),
                InvoiceNumbers.format(series, number), customerId, period, total, currency));
    }
}
