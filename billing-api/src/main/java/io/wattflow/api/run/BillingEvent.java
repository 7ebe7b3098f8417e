package io.wattflow.api.run;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.math.BigDecimal;
import java.util.UUID;

/**
 * An event of {@code billing.events}, as consumers read it (docs/billing-api.md). Every event has a fresh
 * {@code eventId}: the relay may publish one twice, consumers dedupe on it.
 */
public sealed interface BillingEvent permits BillingEvent.RunEvent, BillingEvent.InvoiceEvent {
    String eventId();

    /**
     * {@code billing-run.started} (with the run's currency, if one was named, and whether it was forced) and
     * {@code billing-run.cancel-requested}: who did it, by token id and role.
     */
    record RunEvent(String eventId, String type, String runId, String period, By by, @JsonInclude(JsonInclude.Include.NON_NULL) String currency,
            @JsonInclude(JsonInclude.Include.NON_NULL) Boolean forced) implements BillingEvent {
        static RunEvent started(UUID runId, String period, BillingRunRepository.Actor actor, String currency, boolean forced) {
            return new RunEvent(UUID.randomUUID().toString(), "billing-run.started", runId.toString(), period, By.of(actor), currency, forced);
        }

        static RunEvent cancelRequested(UUID runId, String period, BillingRunRepository.Actor actor) {
            return new RunEvent(UUID.randomUUID().toString(), "billing-run.cancel-requested", runId.toString(), period, By.of(actor), null, null);
        }
    }

    record By(String tokenId, String role) {
        static By of(BillingRunRepository.Actor actor) {
            return new By(actor.tokenId().toString(), actor.role());
        }
    }

    /** {@code invoice.issued} and {@code invoice.credited}, written in the transaction that stores the invoice. */
    record InvoiceEvent(String eventId, String type, String invoiceId, String number, String customerId, String period, BigDecimal total,
            String currency) implements BillingEvent {
    }
}
