package io.wattflow.api.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.wattflow.api.customer.CustomerService;
import io.wattflow.api.resilience.DatabaseGuard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries billing runs forward, on any instance: it leases a run that needs work, then invoices its customers, several
 * at a time, each in one local transaction ({@link CustomerInvoicing}), renewing the lease as it goes. An instance that
 * dies leaves its lease to expire; another one resumes the run where the committed progress says. Cancelling
 * compensates: every invoice of the run gets a credit note.
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
    private final CustomerInvoicing invoicing;
    private final Settings settings;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "billing-run-worker");
        thread.setDaemon(true);
        return thread;
    });
    private final ExecutorService invoicers;
    private volatile boolean crashed;
    private final Map<RunStatus, Counter> runsFinished = new EnumMap<>(RunStatus.class);

    public BillingRunWorker(BillingRunRepository runs, InvoiceRepository invoices, CustomerService customers, ObjectMapper json,
                            Settings settings, MeterRegistry metrics) {
        this.runs = runs;
        this.invoicing = new CustomerInvoicing(runs, invoices, customers, json, settings.hook(), metrics);
        this.settings = settings;
        for (RunStatus status : List.of(RunStatus.COMPLETED, RunStatus.CANCELLED)) {
            runsFinished.put(status, Counter.builder("wattflow_billing_runs_finished").description("billing runs finished, by final status")
                    .tag("status", status.code()).register(metrics));
        }
        AtomicInteger invoicerNumber = new AtomicInteger();
        this.invoicers = Executors.newFixedThreadPool(settings.invoicingThreads(), runnable -> {
            Thread thread = new Thread(runnable, "billing-run-invoicer-" + invoicerNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
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
            if (DatabaseGuard.isDatabaseFailure(e)) {
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
        if (run.status() == RunStatus.RUNNING) {
            invoiceAll(run, runs.customers(run.id(), CustomerState.PENDING), heartbeat);
            finished(run, RunStatus.RUNNING, RunStatus.COMPLETED);
        } else {
            for (String customerId : runs.customers(run.id(), CustomerState.INVOICED)) {
                invoicing.credit(run, customerId);
                heartbeat.beat();
            }
            finished(run, RunStatus.CANCELLING, RunStatus.CANCELLED);
        }
        return true;
    }

    private void finished(BillingRunRepository.Run run, RunStatus from, RunStatus to) {
        if (runs.finish(run.id(), from, to)) {
            runsFinished.get(to).increment();
        }
    }

    /**
     * Every customer invoiced, {@link Settings#invoicingThreads()} at a time. The first failure stops customers not yet
     * begun and is thrown once those under way have ended; what they committed stands, the rest stays pending.
     */
    private void invoiceAll(BillingRunRepository.Run run, List<String> customerIds, Heartbeat heartbeat) {
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        List<Future<?>> underWay = new ArrayList<>(customerIds.size());
        for (String customerId : customerIds) {
            underWay.add(invoicers.submit(() -> {
                if (failure.get() != null || crashed) {
                    return;
                }
                try {
                    invoicing.invoice(run, customerId);
                } catch (JsonProcessingException e) {
                    failure.compareAndSet(null, new IllegalStateException("an earlier invoice of " + customerId + " cannot be read: "
                            + e.getMessage(), e));
                } catch (RuntimeException e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Future<?> customer : underWay) {
            try {
                customer.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                underWay.forEach(pending -> pending.cancel(false));
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
