package io.wattflow.api.run;

import io.wattflow.api.auth.Principal;
import io.wattflow.api.auth.Role;
import io.wattflow.api.problem.ApiProblem;
import io.wattflow.api.problem.SupportedTimes;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Currency;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Starting, following and cancelling billing runs; the work itself is the {@link BillingRunWorker}'s. A run bills a
 * period only once it has ended in the time zone of every customer it bills (the last of them, not the server's), unless
 * an admin forces it; who started and who cancelled a run is recorded on it and in its events.
 */
public final class BillingRunService {
    private final BillingRunRepository runs;
    private final InvoiceRepository invoices;
    private final RunProgress progress;
    private final BigDecimal completenessThreshold;
    private final BillingRunRepository.Outbox outbox;
    private final Clock clock;
    private final Counter runsStarted;

    public BillingRunService(BillingRunRepository runs, InvoiceRepository invoices, RunProgress progress, BigDecimal completenessThreshold,
                             BillingRunRepository.Outbox outbox, Clock clock, MeterRegistry metrics) {
        this.runs = runs;
        this.invoices = invoices;
        this.progress = progress;
        this.completenessThreshold = completenessThreshold;
        this.outbox = outbox;
        this.clock = clock;
        this.runsStarted = Counter.builder("wattflow_billing_runs_started").description("billing runs started").register(metrics);
    }

    /**
     * {@code POST /api/v1/billing-runs}.
     *
     * @param currency bill only customers whose tariffs are in this currency (ISO 4217); the others are held. Null: each
     *                 customer in the currency of its tariffs
     * @param force    start before the period has ended in every customer's time zone (admin only)
     */
    public record StartRun(String period, String currency, Boolean force) {
        public StartRun(String period) {
            this(period, null, null);
        }
    }

    public RunProgress.View start(StartRun request, Principal principal) {
        YearMonth period;
        try {
            period = SupportedTimes.check("period", YearMonth.parse(request.period() == null ? "" : request.period()));
        } catch (DateTimeParseException e) {
            throw ApiProblem.invalidParameter("period must be a month such as 2026-11; got '" + request.period() + "'");
        }
        String currency = currency(request.currency());
        boolean force = Boolean.TRUE.equals(request.force());
        if (force && principal.role() != Role.ADMIN) {
            throw ApiProblem.forbidden("only an admin may force a billing run before its period has ended");
        }
        // Customers are listed when their tariff began by the end of the period (latest time zone: the day after).
        String lastDay = period.atEndOfMonth().plusDays(1).toString();
        Instant ended = endInEveryZone(period, runs.customerTimeZones(lastDay));
        if (!force && clock.instant().isBefore(ended)) {
            throw ApiProblem.conflict("the period " + period + " ends in the time zone of every customer at " + ended
                    + "; start the run after that, or have an admin force it with \"force\": true");
        }
        BillingRunRepository.Run run = runs.create(period.toString(), lastDay, completenessThreshold, currency, force,
                        actor(principal), outbox)
                .orElseThrow(() -> ApiProblem.conflict("a billing run for " + period + " exists already; cancel it first"));
        runsStarted.increment();
        return progress.of(run);
    }

    /** A page of the run's invoices, {@code limit} from {@code offset}. */
    public RunProgress.View progress(UUID runId, int limit, int offset) {
        BillingRunRepository.Run run = runs.find(runId).orElseThrow(() -> ApiProblem.notFound("no billing run " + runId));
        return progress.of(run, limit, offset);
    }

    public RunProgress.View cancel(UUID runId, Principal principal) {
        BillingRunRepository.Run run = runs.find(runId).orElseThrow(() -> ApiProblem.notFound("no billing run " + runId));
        if (!runs.requestCancel(runId, actor(principal), outbox)) {
            throw ApiProblem.conflict("billing run " + runId + " is " + run.status().code() + " and cannot be cancelled");
        }
        return progress.of(runs.find(runId).orElseThrow());
    }

    public InvoiceRepository.Invoice invoice(UUID invoiceId) {
        return invoices.find(invoiceId).orElseThrow(() -> ApiProblem.notFound("no invoice " + invoiceId));
    }

    /** The instant the period ends in the latest of the zones (UTC when there are none). */
    static Instant endInEveryZone(YearMonth period, List<String> zones) {
        Instant latest = period.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        for (String zone : zones) {
            Instant end = period.plusMonths(1).atDay(1).atStartOfDay(ZoneId.of(zone)).toInstant();
            if (end.isAfter(latest)) {
                latest = end;
            }
        }
        return latest;
    }

    private static String currency(String code) {
        if (code == null) {
            return null;
        }
        try {
            return Currency.getInstance(code).getCurrencyCode();
        } catch (IllegalArgumentException e) {
            throw ApiProblem.invalidParameter("currency must be an ISO 4217 code such as EUR; got '" + code + "'");
        }
    }

    private static BillingRunRepository.Actor actor(Principal principal) {
        return new BillingRunRepository.Actor(principal.tokenId(), principal.role().name().toLowerCase(Locale.ROOT));
    }
}
