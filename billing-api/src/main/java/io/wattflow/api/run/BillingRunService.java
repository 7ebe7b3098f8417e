package io.wattflow.api.run;

import io.wattflow.api.problem.ApiProblem;
import io.wattflow.api.problem.SupportedTimes;
import java.math.BigDecimal;
import java.time.YearMonth;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.UUID;

/** Starting, following and cancelling billing runs; the work itself is the {@link BillingRunWorker}'s. */
public final class BillingRunService {
    private final BillingRunRepository runs;
    private final BigDecimal completenessThreshold;

    public BillingRunService(BillingRunRepository runs, BigDecimal completenessThreshold) {
        this.runs = runs;
        this.completenessThreshold = completenessThreshold;
    }

    /** {@code POST /api/v1/billing-runs}. */
    public record StartRun(String period) {
    }

    public Map<String, Object> start(StartRun request) {
        YearMonth period;
        try {
            period = SupportedTimes.check("period", YearMonth.parse(request.period() == null ? "" : request.period()));
        } catch (DateTimeParseException e) {
            throw ApiProblem.invalidParameter("period must be a month such as 2026-11; got '" + request.period() + "'");
        }
        // Customers are listed when their tariff began by the end of the period (latest time zone: the day after).
        BillingRunRepository.Run run = runs.create(period.toString(), period.atEndOfMonth().plusDays(1).toString(), completenessThreshold)
                .orElseThrow(() -> ApiProblem.conflict("a billing run for " + period + " exists already; cancel it first"));
        return runs.progress(run);
    }

    public Map<String, Object> progress(String runId, String limit, String offset) {
        BillingRunRepository.Run run = runs.find(uuid(runId, "billing run")).orElseThrow(() -> ApiProblem.notFound("no billing run " + runId));
        return runs.progress(run, Pages.limit(limit), Pages.offset(offset));
    }

    public Map<String, Object> cancel(String runId) {
        UUID id = uuid(runId, "billing run");
        BillingRunRepository.Run run = runs.find(id).orElseThrow(() -> ApiProblem.notFound("no billing run " + runId));
        if (!runs.requestCancel(id)) {
            throw ApiProblem.conflict("billing run " + runId + " is " + run.status() + " and cannot be cancelled");
        }
        return runs.progress(runs.find(id).orElseThrow());
    }

    public Map<String, Object> invoice(String invoiceId) {
        return runs.invoice(uuid(invoiceId, "invoice")).orElseThrow(() -> ApiProblem.notFound("no invoice " + invoiceId));
    }

    private static UUID uuid(String value, String what) {
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.notFound("no " + what + " " + value);
        }
    }
}
