package io.wattflow.api.run;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.wattflow.api.JsonBodies;
import io.wattflow.api.PathIds;
import io.wattflow.api.auth.Principal;
import io.wattflow.api.auth.Role;
import java.util.UUID;

/** Billing runs (started, followed and cancelled by operators) and the invoices they issue. */
public final class BillingRunRoutes {
    private final BillingRunService billingRuns;

    public BillingRunRoutes(BillingRunService billingRuns) {
        this.billingRuns = billingRuns;
    }

    public void register(RoutesConfig routes) {
        routes.post("/api/v1/billing-runs", this::start, Role.OPERATOR);
        routes.get("/api/v1/billing-runs/{runId}", this::progress, Role.OPERATOR);
        routes.post("/api/v1/billing-runs/{runId}/cancel", this::cancel, Role.OPERATOR);
        routes.get("/api/v1/invoices/{invoiceId}", this::invoice, Role.OPERATOR, Role.CUSTOMER);
    }

    private void start(Context ctx) {
        ctx.status(202).json(billingRuns.start(JsonBodies.read(ctx, BillingRunService.StartRun.class), Principal.of(ctx)));
    }

    private void progress(Context ctx) {
        ctx.json(billingRuns.progress(PathIds.uuid(ctx, "runId", "billing run"), Pages.limit(ctx.queryParam("limit")),
                Pages.offset(ctx.queryParam("offset"))));
    }

    private void cancel(Context ctx) {
        ctx.status(202).json(billingRuns.cancel(PathIds.uuid(ctx, "runId", "billing run"), Principal.of(ctx)));
    }

    /** A customer's token sees its own invoices only; another customer's is answered as if it did not exist. */
    private void invoice(Context ctx) {
        UUID invoiceId = PathIds.uuid(ctx, "invoiceId", "invoice");
        InvoiceRepository.Invoice invoice = billingRuns.invoice(invoiceId);
        Principal.of(ctx).requireAccessTo(invoice.customerId(), "no invoice " + invoiceId);
        ctx.json(invoice);
    }
}
