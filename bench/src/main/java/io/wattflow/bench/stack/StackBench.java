package io.wattflow.bench.stack;

import io.wattflow.stack.LocalStack;
import io.wattflow.stack.Ports;
import io.wattflow.stack.StackException;
import io.wattflow.stack.StackLayout;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code bin/wattflow bench}: the figures of docs/performance.md, measured on a stack of our own (its own home in
 * target/bench/stack, the usual ports) that is started first and stopped at the end. Each figure is the median of
 * {@code --runs} runs (3; 1 with {@code --quick}) with min and max. A figure that cannot be measured is reported with
 * the reason, and the command exits 1.
 *
 * <p>Over 300 lines on purpose: it is the benchmark's script, and the order of the measurements, what each run needs
 * started or stopped, and the report key of every figure read best top to bottom in one place; how each figure is
 * measured lives in {@link PipelineFigures}, {@link SteadyLoadFigures} and {@link ApiFigures}.
 */
public final class StackBench {
    private final LocalStack stack;
    private final BenchSettings settings;
    private final Progress progress;
    private final Report report;
    private final Path outputDir;
    private Set<String> groups = BenchOptions.GROUPS;
    private boolean keep;

    StackBench(LocalStack stack, BenchSettings settings, PrintStream out, Path outputDir) {
        this.stack = stack;
        this.settings = settings;
        this.progress = new Progress(out);
        this.report = new Report(Machine.describe(settings));
        this.outputDir = outputDir;
    }

    public static void main(String[] args) {
        BenchSettings settings;
        Set<String> groups = BenchOptions.GROUPS;
        try {
            settings = BenchOptions.parse(args);
            groups = BenchOptions.groups(args);
        } catch (IllegalArgumentException e) {
            System.err.println("wattflow bench: " + e.getMessage());
            System.err.println(BenchOptions.USAGE);
            System.exit(2);
            return;
        }
        if (settings == null) {
            System.out.println(BenchOptions.USAGE);
            return;
        }
        // Only the API figures need wrk: `--only drain` runs without it.
        String wrk = groups.contains("api") ? Wrk.missing() : null;
        if (wrk != null) {
            System.err.println("wattflow bench: " + wrk);
            System.exit(2);
        }
        Path repo = Path.of(System.getProperty("wattflow.repo", ".")).toAbsolutePath().normalize();
        Path outputDir = repo.resolve("target/bench");
        LocalStack stack = new LocalStack(new StackLayout(repo, outputDir.resolve("stack")), Ports.fromEnvironment(System.getenv()), true);
        // The API's per-token rate limit would measure the limiter; the metrics every second let recovery be timed.
        stack.api().with("WATTFLOW_API_RATE_LIMIT", "1000000");
        stack.flink().with("metrics.fetcher.update-interval", "1000");
        int exit;
        try {
            StackBench bench = new StackBench(stack, settings, System.out, outputDir);
            bench.groups = groups;
            bench.keep = List.of(args).contains("--keep");
            exit = bench.run();
        } catch (StackException | BenchException e) {
            System.err.println("wattflow bench: " + e.getMessage());
            exit = 1;
        }
        System.exit(exit);
    }

    int run() throws StackException {
        long started = System.nanoTime();
        Thread cleanup = new Thread(stack::down, "bench-stack-down");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            stack.down(); // a stack an interrupted benchmark left behind
            StackLayout.delete(stack.layout().home());
            progress.say("starting the benchmark's stack in %s", stack.layout().home());
            stack.up(System.out);
            String token = stack.adminToken();
            FlinkJobs flink = new FlinkJobs(stack);
            pipelineFigures(flink);
            if (groups.contains("latency") || groups.contains("recovery")) {
                steadyLoadFigures(flink, token);
            }
            if (groups.contains("api")) {
                apiFigures(token);
            }
        } finally {
            Runtime.getRuntime().removeShutdownHook(cleanup);
            if (keep) {
                progress.say("the benchmark's stack keeps running: stop it with WATTFLOW_HOME=%s bin/wattflow down", stack.layout().home());
            } else {
                progress.say("stopping the benchmark's stack: %s", String.join(", ", stack.down()));
            }
        }
        if (!groups.equals(BenchOptions.GROUPS)) {
            try {
                List<String> carried = report.carryOver(outputDir.resolve("results.json"));
                if (!carried.isEmpty()) {
                    report.note("carried over from the previous results.json (not measured by this --only run): " + String.join(", ", carried));
                }
            } catch (IOException e) {
                report.note("the previous results.json could not be read: " + e.getMessage());
            }
        }
        report.note(String.format("%s, %d run(s) per figure, in %.1f min; logs of the stack in %s", settings.quick() ? "--quick" : "full",
                settings.runs(), (System.nanoTime() - started) / 60e9, stack.layout().logDir()));
        String table = report.table("Wattflow benchmark (bin/wattflow bench" + (settings.quick() ? " --quick" : "") + ")");
        System.out.println();
        System.out.print(table);
        try {
            report.writeJson(outputDir.resolve("results.json"));
            Files.writeString(outputDir.resolve("results.txt"), table);
        } catch (IOException e) {
            throw new BenchException("cannot write " + outputDir + ": " + e.getMessage(), e);
        }
        System.out.println("written: " + outputDir.resolve("results.json") + " and results.txt");
        return report.complete() ? 0 : 1;
    }

    private void pipelineFigures(FlinkJobs flink) {
        PipelineFigures pipeline = new PipelineFigures(stack, flink, settings, progress);
        PipelineFigures.Backlog backlog = null;
        try {
            backlog = groups.contains("drain") ? pipeline.loadBacklog() : null;
        } catch (RuntimeException e) {
            fail(e, DRAIN_KEYS.toArray(String[]::new));
        }
        if (backlog != null) {
            PipelineFigures.Backlog loaded = backlog;
            Figure ceiling = measure("ceiling_readings_per_s", run -> pipeline.ceiling(loaded), "%,.0f readings/s");
            drainFigures(pipeline, loaded, ceiling);
        }
        if (!groups.contains("state")) {
            return;
        }
        try {
            progress.say("state_bytes_per_meter ...");
            int horizonDays = 7;
            List<Double> perDay = pipeline.stateBytesPerMeterPerDay();
            report.put("state_bytes_per_meter", Figure.of(perDay.stream().map(bytes -> bytes * horizonDays).toList()));
            report.note(String.format("state: measured after 1 day of 15-minute readings of %,d meters (%,.0f bytes per meter), "
                    + "extrapolated linearly to the 7-day lateness horizon; three successive checkpoints of one load",
                    settings.stateMeters(), Figure.of(perDay).median()));
        } catch (RuntimeException e) {
            fail(e, "state_bytes_per_meter");
        }
    }

    /** The figures of a drain, each a list over the runs: cold and warm rates, CPU per reading. */
    private static final List<String> DRAIN_KEYS = List.of("ceiling_readings_per_s", "pipeline_readings_per_s", "pipeline_ratio",
            "pipeline_warm_readings_per_s", "pipeline_cpu_us_per_reading", "stack_cpu_us_per_reading", "discard_readings_per_s",
            "discard_warm_readings_per_s", "framework_readings_per_s", "pipeline_ratio_to_framework", "drain_p1_readings_per_s");

    /**
     * Each run drains the backlog four times, one after the other so that a phase of the machine touches all four
     * alike: the real job, the job with discarding sinks, the framework's cost (same source and shuffle, nothing
     * after), and the real job at parallelism 1. A run that fails fails the figures it was measuring.
     */
    private void drainFigures(PipelineFigures pipeline, PipelineFigures.Backlog backlog, Figure ceiling) {
        record Variant(String mainClass, int parallelism, String coldKey, String warmKey, String label) {
        }
        List<Variant> variants = List.of(
                new Variant(FlinkJobs.METERING_JOB, FlinkJobs.PARALLELISM, "pipeline_readings_per_s", "pipeline_warm_readings_per_s", "real job"),
                new Variant(FlinkJobs.DISCARDING_JOB, FlinkJobs.PARALLELISM, "discard_readings_per_s", "discard_warm_readings_per_s",
                        "discarding sinks"),
                new Variant(FlinkJobs.FRAMEWORK_JOB, FlinkJobs.PARALLELISM, null, "framework_readings_per_s", "framework only"),
                new Variant(FlinkJobs.METERING_JOB, 1, null, "drain_p1_readings_per_s", "real job, parallelism 1"));
        Map<String, List<Double>> samples = new LinkedHashMap<>();
        Map<String, String> failures = new HashMap<>();
        List<Double> compilerShares = new ArrayList<>();
        PipelineFigures.Drain lastRealDrain = null;
        for (int run = 1; run <= settings.runs(); run++) {
            for (Variant variant : variants) {
                if (failures.containsKey(variant.warmKey())) {
                    continue;
                }
                progress.say("drain run %d/%d, %s (%s) ...", run, settings.runs(), variant.label(), variant.mainClass());
                try {
                    PipelineFigures.Drain drain = pipeline.drain(backlog, variant.mainClass(), variant.parallelism(), run);
                    progress.say("  %,.0f readings/s cold, %,.0f warm; TaskManagers %.1f us CPU per reading (JIT compilers %.0f%% of it), "
                                    + "the whole stack %.1f us", drain.readingsPerSecond(), drain.warmReadingsPerSecond(),
                            drain.taskManagerCpuMicrosPerReading(), 100 * drain.taskManagerCompilerShare(), drain.stackCpuMicrosPerReading());
                    if (variant.coldKey() != null) {
                        samples.computeIfAbsent(variant.coldKey(), key -> new ArrayList<>()).add(drain.readingsPerSecond());
                    }
                    samples.computeIfAbsent(variant.warmKey(), key -> new ArrayList<>()).add(drain.warmReadingsPerSecond());
                    progress.say("  CPU per reading by process, in us: %s", drain.describeProcesses());
                    if (variant.warmKey().equals("pipeline_warm_readings_per_s")) {
                        compilerShares.add(drain.taskManagerCompilerShare());
                        lastRealDrain = drain;
                        samples.computeIfAbsent("pipeline_cpu_us_per_reading", key -> new ArrayList<>()).add(drain.taskManagerCpuMicrosPerReading());
                        samples.computeIfAbsent("stack_cpu_us_per_reading", key -> new ArrayList<>()).add(drain.stackCpuMicrosPerReading());
                    }
                } catch (RuntimeException e) {
                    String reason = firstLine(e);
                    progress.say("FAILED drain (%s): %s", variant.label(), reason);
                    failures.put(variant.warmKey(), reason);
                    if (variant.coldKey() != null) {
                        failures.put(variant.coldKey(), reason);
                    }
                    if (variant.warmKey().equals("pipeline_warm_readings_per_s")) {
                        failures.put("pipeline_cpu_us_per_reading", reason);
                        failures.put("stack_cpu_us_per_reading", reason);
                    }
                }
            }
        }
        failures.forEach((key, reason) -> report.put(key, Figure.failed(reason)));
        samples.forEach((key, values) -> {
            if (!failures.containsKey(key)) {
                report.put(key, Figure.of(values));
            }
        });
        if (lastRealDrain != null) {
            report.note("pipeline drain, last run of the real job: CPU per reading by process, in us: " + lastRealDrain.describeProcesses());
        }
        if (!compilerShares.isEmpty()) {
            report.note(String.format("pipeline drain: the TaskManagers' JIT compiler threads took %.0f%% of their CPU over the warm part "
                    + "(median of the runs; each job starts on fresh TaskManagers)", 100 * Figure.of(compilerShares).median()));
        }
        ratio("pipeline_ratio", report.figure("pipeline_readings_per_s"), ceiling);
        ratio("pipeline_ratio_to_framework", report.figure("pipeline_warm_readings_per_s"), report.figure("framework_readings_per_s"));
    }

    private void steadyLoadFigures(FlinkJobs flink, String token) {
        PipelineFigures pipeline = new PipelineFigures(stack, flink, settings, progress);
        String jobId;
        try {
            jobId = startSteadyJob(flink, pipeline, STEADY_JOB);
        } catch (RuntimeException e) {
            fail(e, "latency_p50_ms", "latency_p99_ms", "recovery_running_s", "recovery_caught_up_s");
            return;
        }
        SteadyLoadFigures steady = new SteadyLoadFigures(stack, flink, settings, progress, token);
        double interval = settings.checkpointInterval().toMillis();
        report.put("checkpoint_interval_ms", Figure.of(List.of(interval)));
        List<Double> p50 = new ArrayList<>();
        List<Double> p99 = new ArrayList<>();
        try {
            progress.say("warm-up (not counted): %,d readings/s for %d s, then until the job has worked it off ...", settings.steadyRate(),
                    STEADY_WARM_UP.toSeconds());
            steady.warmUp(STEADY_JOB, STEADY_WARM_UP);
        } catch (Exception e) {
            fail(e, "latency_p50_ms", "latency_p99_ms", "recovery_running_s", "recovery_caught_up_s");
            return;
        }
        try {
            for (int run = 1; run <= (groups.contains("latency") ? settings.runs() : 0); run++) {
                progress.say("latency run %d/%d: %,d readings/s for %d s, 4 probes/s ...", run, settings.runs(), settings.steadyRate(),
                        settings.latencyLoad().toSeconds());
                SteadyLoadFigures.Latency latency = steady.latency(run);
                progress.say("  %d probes: p50 %.0f ms, p99 %.0f ms", latency.probes(), latency.p50Millis(), latency.p99Millis());
                p50.add(latency.p50Millis());
                p99.add(latency.p99Millis());
            }
            if (!p50.isEmpty()) {
                report.put("latency_p50_ms", Figure.of(p50));
                report.put("latency_p99_ms", Figure.of(p99));
            }
        } catch (Exception e) {
            fail(e, "latency_p50_ms", "latency_p99_ms");
        }
        List<Double> running = new ArrayList<>();
        List<Double> caughtUp = new ArrayList<>();
        List<String> failedRuns = new ArrayList<>();
        String group = STEADY_JOB;
        for (int run = 1; run <= (groups.contains("recovery") ? settings.runs() : 0); run++) {
            try {
                if (run > 1) {
                    // Every kill hits a job as it runs after a start, spread over both TaskManagers: after a failover
                    // the job sits on the survivor until it is restarted, and a second kill would restart it on the
                    // cold JVM that replaced the first.
                    flink.cancel(jobId);
                    group = STEADY_JOB + "-" + run;
                    progress.say("a fresh job on fresh TaskManagers for the next kill, warmed up as the first: %d s of load, not counted ...",
                            STEADY_WARM_UP.toSeconds());
                    jobId = startSteadyJob(flink, pipeline, group);
                    steady.warmUp(group, STEADY_WARM_UP);
                }
                progress.say("recovery run %d/%d: %,d readings/s, kill -9 of a TaskManager once the job keeps up ...", run, settings.runs(),
                        settings.steadyRate());
                SteadyLoadFigures.Recovery recovery = steady.recovery(jobId, group, "readings");
                running.add(recovery.runningSeconds());
                caughtUp.add(recovery.caughtUpSeconds());
            } catch (Exception e) {
                // One run that a slow phase of the machine voids does not void the others: they are kept, and it is named.
                String reason = firstLine(e);
                progress.say("FAILED recovery run %d: %s", run, reason);
                failedRuns.add("run " + run + ": " + reason);
            }
        }
        if (!running.isEmpty()) {
            report.put("recovery_running_s", Figure.of(running));
            report.put("recovery_caught_up_s", Figure.of(caughtUp));
            if (!failedRuns.isEmpty()) {
                report.note("recovery: the figures are of " + running.size() + " run(s); not measured in " + String.join("; ", failedRuns));
            }
        } else if (!failedRuns.isEmpty()) {
            String reason = String.join("; ", failedRuns);
            report.put("recovery_running_s", Figure.failed(reason));
            report.put("recovery_caught_up_s", Figure.failed(reason));
        }
        try {
            flink.cancel(jobId);
        } catch (RuntimeException e) {
            progress.say("could not cancel the steady job: %s", e.getMessage());
        }
    }

    /**
     * The metering job on the readings topic under its own consumer group, starting at the topic's end (the loads of
     * earlier runs are not its input), on freshly started TaskManagers; returns once every task runs.
     */
    private static String startSteadyJob(FlinkJobs flink, PipelineFigures pipeline, String group) {
        flink.freshTaskManagers();
        pipeline.startGroupAtEnd(group, "readings");
        String jobId = flink.submit(FlinkJobs.METERING_JOB, pipeline.jobOptions(group, "readings"));
        FlinkJobs.await(() -> flink.allTasksRunning(jobId), Duration.ofMinutes(2), "the metering job to run");
        return jobId;
    }

    private void apiFigures(String token) {
        ApiFigures api = new ApiFigures(stack, settings, progress, token, stack.layout().home().resolve("wrk"));
        try {
            api.seed();
        } catch (RuntimeException e) {
            fail(e, "api_usage_rps", "api_usage_p50_ms", "api_usage_p99_ms", "api_bill_preview_rps", "api_bill_preview_p99_ms",
                    "api_trivial_rps", "billing_run_10k_s");
            return;
        }
        wrk(api, api.usageUrl(), "api_usage_rps", "api_usage_p50_ms", "api_usage_p99_ms");
        wrk(api, api.billPreviewUrl(), "api_bill_preview_rps", null, "api_bill_preview_p99_ms");
        wrk(api, api.trivialUrl(), "api_trivial_rps", null, null);
        report.note(String.format("API: wrk %d threads, %d connections, %d s per run after a %d s warm-up, on the same 2 cores as the API, "
                + "PostgreSQL and the rest of the stack (idle but running)", Wrk.THREADS, Wrk.CONNECTIONS, settings.wrkDuration().toSeconds(),
                WRK_WARM_UP.toSeconds()));
        measure("billing_run_10k_s", api::billingRun, "%.1f s");
        if (settings.billingCustomers() != 10_000) {
            report.note(String.format("billing run: %,d customers (--quick), not 10,000", settings.billingCustomers()));
        }
    }

    private static final Duration WRK_WARM_UP = Duration.ofSeconds(10);
    private static final Duration STEADY_WARM_UP = Duration.ofSeconds(30);
    /** Name and consumer group of the job the latency and recovery figures run on. */
    private static final String STEADY_JOB = "bench-steady";

    private void wrk(ApiFigures api, String url, String rpsKey, String p50Key, String p99Key) {
        List<Double> rps = new ArrayList<>();
        List<Double> p50 = new ArrayList<>();
        List<Double> p99 = new ArrayList<>();
        try {
            // Not counted: the first seconds of load measure the API's JIT compiler and its connection pool filling.
            progress.say("wrk warm-up (%d s, not counted): %s", WRK_WARM_UP.toSeconds(), url);
            api.wrk(url, WRK_WARM_UP);
            for (int run = 1; run <= settings.runs(); run++) {
                progress.say("wrk run %d/%d: %s", run, settings.runs(), url);
                Wrk.Result result = api.wrk(url);
                progress.say("  %,.0f requests/s, p50 %.2f ms, p99 %.2f ms", result.requestsPerSecond(), result.p50Millis(), result.p99Millis());
                rps.add(result.requestsPerSecond());
                p50.add(result.p50Millis());
                p99.add(result.p99Millis());
            }
            report.put(rpsKey, Figure.of(rps));
            if (p50Key != null) {
                report.put(p50Key, Figure.of(p50));
            }
            if (p99Key != null) {
                report.put(p99Key, Figure.of(p99));
            }
        } catch (RuntimeException e) {
            fail(e, Stream.of(rpsKey, p50Key, p99Key).filter(k -> k != null).toArray(String[]::new));
        }
    }

    /** A figure measured {@code settings.runs()} times; a failed run fails the figure with its reason. */
    private Figure measure(String key, Measurement measurement, String format) {
        List<Double> samples = new ArrayList<>();
        try {
            for (int run = 1; run <= settings.runs(); run++) {
                progress.say("%s run %d/%d ...", key, run, settings.runs());
                double value = measurement.run(run);
                progress.say("  " + format, value);
                samples.add(value);
            }
            Figure figure = Figure.of(samples);
            report.put(key, figure);
            return figure;
        } catch (Exception e) {
            fail(e, key);
            return Figure.failed(e.getMessage());
        }
    }

    /** Each run's figure divided by the median of the reference (the ceiling, the framework's cost). */
    private void ratio(String key, Figure figure, Figure reference) {
        if (!figure.measured() || !reference.measured()) {
            report.put(key, Figure.failed("needs both figures it divides"));
            return;
        }
        report.put(key, new Figure(figure.median() / reference.median(), figure.min() / reference.median(),
                figure.max() / reference.median(), figure.runs(), null));
    }

    /** What went wrong, in one line for the table. */
    private static String firstLine(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
    }

    private void fail(Exception e, String... keys) {
        String reason = firstLine(e);
        progress.say("FAILED %s: %s", String.join(", ", keys), reason);
        for (String key : keys) {
            report.put(key, Figure.failed(reason));
        }
    }

    @FunctionalInterface
    interface Measurement {
        double run(int run) throws Exception;
    }

}
