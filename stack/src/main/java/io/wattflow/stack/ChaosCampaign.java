package io.wattflow.stack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wattflow.loadgen.GeneratorSettings;
import io.wattflow.loadgen.LoadGenerator;
import io.wattflow.loadgen.ReadingGenerator;
import io.wattflow.stack.testing.TopicContents;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * {@code bin/wattflow chaos}: the fault campaign of docs/operations.md, on a highly available stack of its own. One
 * phase per fault: a deterministic batch of readings (duplicates, disorder, late and malformed records, register
 * meters) is produced while GETs go through NGINX, the fault is injected a few seconds in, and the phase ends when the
 * job runs on all its tasks again and has caught up; then everything dead is started again ({@code up}), as an
 * operator would. At the end every bucket must equal the independently computed totals, QuestDB must equal
 * PostgreSQL, the dead-letter topic must hold each malformed record once, and the billing run whose instance was
 * killed must have issued every invoice once, gap-free, each announced under one event id.
 */
public final class ChaosCampaign {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final int METERS = 40;
    private static final int REGISTER_METERS = 10;
    /** 5-minute readings: a phase covers 10 hours of record time. */
    private static final int READINGS_PER_METER = 120;
    private static final Duration INJECT_AFTER = Duration.ofSeconds(8);
    private static final int BILLED_CUSTOMERS = 1500;

    /** The kinds of fault, in the order of a campaign of one each. */
    public enum Fault {
        TASK_MANAGER("TaskManager kill -9"),
        LEADING_JOB_MANAGER("leading JobManager kill -9"),
        READINGS_LEADER_BROKER("Kafka node leading readings kill -9"),
        ZOOKEEPER_NODE("ZooKeeper leader kill -9"),
        POSTGRES_PRIMARY("PostgreSQL primary node kill -9"),
        BILLING_RUN_INSTANCE("API instance running a billing run kill -9"),
        QUESTDB_STOPPED("QuestDB stopped for 60 s"),
        POSTGRES_NETWORK_CUT("TaskManagers cut from PostgreSQL for 30 s"),
        BROKER_AND_TASK_MANAGER("Kafka node and TaskManager kill -9 at once");

        final String description;

        Fault(String description) {
            this.description = description;
        }
    }

    /** What one fault did: seconds from injection (null: the system never had to react), readings and requests. */
    public record Outcome(Fault fault, Double detectedAfter, Double runningAgainAfter, Double caughtUpAfter, long readingsLost,
                          long readingsDoubled, int apiFailed, int apiSent) {
    }

    private final LocalStack stack;
    private final PrintStream out;
    private final FaultInjector faults;
    private final Map<String, long[]> expected = new HashMap<>(); // meter@bucket -> {energy, readings}
    private long malformedProduced;
    private String billingRunId;

    public ChaosCampaign(LocalStack stack, PrintStream out) {
        if (stack.topology() != LocalStack.Topology.HIGHLY_AVAILABLE) {
            throw new StackException("the fault campaign needs the highly available stack");
        }
        this.stack = stack;
        this.out = out;
        this.faults = new FaultInjector(stack);
    }

    /** The faults of a campaign: one of each kind, then kinds drawn with {@code seed} up to {@code count}. */
    public static List<Fault> plan(int count, long seed) {
        List<Fault> plan = new ArrayList<>(List.of(Fault.values()));
        Random random = new Random(seed);
        while (plan.size() < count) {
            plan.add(Fault.values()[random.nextInt(Fault.values().length)]);
        }
        return plan.subList(0, Math.max(count, 0));
    }

    /** Runs the campaign; returns the outcomes, and the differences found at the end (none when all is exact). */
    public Result run(List<Fault> plan, long seed) throws Exception {
        stack.up(out);
        faults.isolateTaskManagers();
        new Launcher(stack, out).run("submit", new String[0]);
        prepareBillingRun();
        // every phase its own 10 hours of record time (less with many faults: all within 6 days, inside the horizon)
        int readingsPerMeter = Math.max(12, Math.min(READINGS_PER_METER, 6 * 24 * 12 / plan.size()));
        Instant end = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(1));
        Instant start = end.minus(Duration.ofMinutes(5L * readingsPerMeter * plan.size()));
        List<Outcome> outcomes = new ArrayList<>();
        try (ApiReads reads = new ApiReads(stack.api().url(), stack.adminToken())) {
            for (int i = 0; i < plan.size(); i++) {
                GeneratorSettings phase = new GeneratorSettings(METERS, readingsPerMeter, 5, seed + i,
                        start.plus(Duration.ofMinutes(5L * readingsPerMeter * i)), 0.03, 0.05, 0.01, 0.01)
                        .withRegisterMeters(REGISTER_METERS, 0.02)
                        // each phase its own meters: a register meter's values run on only within one generator
                        .withMeterNumbersFrom(100 * i);
                Outcome outcome = phase(plan.get(i), phase, reads);
                outcomes.add(outcome);
                out.println(row(outcome));
            }
        } finally {
            faults.healNetwork();
        }
        return new Result(outcomes, differences());
    }

    private Outcome phase(Fault fault, GeneratorSettings settings, ApiReads reads) throws Exception {
        record(settings);
        String bootstrap = stack.kafka().bootstrapServers();
        // about 24 s of production, the fault a third of the way in
        double rate = Math.max(50, (double) settings.allMeters() * settings.readingsPerMeter() / 24);
        CompletableFuture<LoadGenerator.Summary> producing = CompletableFuture.supplyAsync(() ->
                LoadGenerator.produce(new LoadGenerator.Options(bootstrap, "readings", settings, rate)));
        ManagedProcess.sleep(INJECT_AFTER);
        reads.startCounting();
        long restartsBefore = FlinkJob.restarts(stack);
        long injected = System.nanoTime();
        BooleanSupplier detected = faults.inject(fault, new FaultInjector.BillingRun() {
            @Override
            public String start() {
                return startBillingRun();
            }

            @Override
            public Optional<String> leaseOwner() {
                try {
                    return ChaosCampaign.this.leaseOwner();
                } catch (Exception e) {
                    return Optional.empty();
                }
            }
        });
        Double detectedAfter = null;
        Double runningAgainAfter = null;
        long deadline = injected + Duration.ofMinutes(3).toNanos();
        // a fault with a probe is watched until the system reacts (a lease expires after 30 s); one without, for 20 s
        double watchFor = detected != null ? 90 : 20;
        boolean disrupted = false;
        while (System.nanoTime() < deadline) {
            boolean running = FlinkJob.allTasksRunning(stack);
            if (detectedAfter == null && ((detected != null && detected.getAsBoolean()) || !running
                    || FlinkJob.restarts(stack) > restartsBefore)) {
                detectedAfter = seconds(injected);
            }
            disrupted |= !running;
            boolean reacted = detectedAfter != null && (detected == null || detected.getAsBoolean());
            if (running && (reacted || seconds(injected) > watchFor)) {
                runningAgainAfter = disrupted ? seconds(injected) : 0.0;
                break;
            }
            ManagedProcess.sleep(Duration.ofMillis(250));
        }
        faults.afterFault(fault);
        malformedProduced += producing.get(5, TimeUnit.MINUTES).malformed();
        Double caughtUpAfter = FlinkJob.awaitCaughtUp(stack, Duration.ofMinutes(3)) ? seconds(injected) : null;
        int[] api = reads.stopCounting();
        stack.up(new PrintStream(OutputStream.nullOutputStream())); // the operator starts whatever died
        faults.isolateTaskManagers();
        long[] lostAndDoubled = lostAndDoubled();
        return new Outcome(fault, detectedAfter, runningAgainAfter, caughtUpAfter, lostAndDoubled[0], lostAndDoubled[1], api[0], api[1]);
    }

    private static double seconds(long since) {
        return Math.round((System.nanoTime() - since) / 1e8) / 10.0;
    }

    /** The expected bucket totals and reading counts, computed from the generator alone. */
    private void record(GeneratorSettings settings) {
        for (ReadingGenerator.IntervalReading reading : ReadingGenerator.validReadings(settings)) {
            long bucket = Math.floorDiv(reading.start().getEpochSecond(), 900) * 900;
            long[] totals = expected.computeIfAbsent(reading.meterId() + "@" + Instant.ofEpochSecond(bucket), key -> new long[2]);
            totals[0] += reading.energyMilliWattHours();
            totals[1]++;
        }
    }

    /**
     * Readings of the phases so far missing from PostgreSQL, and readings counted twice, from the reading counts of the
     * interval meters' buckets. (A register meter's reads become spans between consecutive reads, which the pipeline
     * splits over the buckets they cross, so its counts are not readings; its energy is checked at the end.)
     */
    private long[] lostAndDoubled() throws Exception {
        Map<String, long[]> actual = usage();
        long lost = 0;
        long doubled = 0;
        for (Map.Entry<String, long[]> bucket : expected.entrySet()) {
            if (!bucket.getKey().startsWith(GeneratorSettings.meterId(0).substring(0, 4))) {
                continue;
            }
            long[] found = actual.getOrDefault(bucket.getKey(), new long[2]);
            lost += Math.max(0, bucket.getValue()[1] - found[1]);
            doubled += Math.max(0, found[1] - bucket.getValue()[1]);
        }
        return new long[] {lost, doubled};
    }

    private Map<String, long[]> usage() throws Exception {
        Map<String, long[]> rows = new HashMap<>();
        try (Connection db = stack.postgres().connect(PostgresServer.DATABASE); Statement sql = db.createStatement();
             ResultSet result = sql.executeQuery("SELECT meter_id, bucket_start, energy_mwh, reading_count FROM usage_15m")) {
            while (result.next()) {
                rows.put(result.getString(1) + "@" + result.getTimestamp(2).toInstant(), new long[] {result.getLong(3), result.getLong(4)});
            }
        }
        return rows;
    }

    /** Customers with four hours of usage at the end of the month before last, for the billing run a fault interrupts. */
    private void prepareBillingRun() throws Exception {
        BillingRunLoad.prepareCustomers(stack, "CHAOS-", BILLED_CUSTOMERS);
    }

    /** Starts the billing run of the month before last through NGINX; returns the instance holding its lease. */
    private String startBillingRun() {
        try {
            billingRunId = BillingRunLoad.start(stack, "chaos-");
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                Optional<String> owner = leaseOwner();
                if (owner.isPresent()) {
                    return owner.get();
                }
                ManagedProcess.sleep(Duration.ofMillis(100));
            }
            throw new StackException("no instance took the billing run's lease within 30 s");
        } catch (StackException e) {
            throw e;
        } catch (Exception e) {
            throw new StackException("cannot start the billing run: " + e.getMessage(), e);
        }
    }

    private Optional<String> leaseOwner() throws Exception {
        try (Connection db = stack.postgres().connect(PostgresServer.DATABASE);
             PreparedStatement sql = db.prepareStatement("SELECT lease_owner FROM billing_run WHERE id = ?::uuid")) {
            sql.setString(1, billingRunId);
            try (ResultSet row = sql.executeQuery()) {
                return row.next() ? Optional.ofNullable(row.getString(1)) : Optional.empty();
            }
        }
    }

    /** Every difference from the truth, after the job caught up with the last phase; empty when all is exact. */
    private List<String> differences() throws Exception {
        List<String> differences = new ArrayList<>();
        FlinkJob.awaitCaughtUp(stack, Duration.ofMinutes(3));
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        Map<String, long[]> actual;
        List<String> differing;
        do {
            actual = usage();
            differing = differing(actual);
            if (differing.isEmpty()) {
                break;
            }
            ManagedProcess.sleep(Duration.ofSeconds(2));
        } while (System.nanoTime() < deadline);
        if (!differing.isEmpty()) {
            differences.add(differing.size() + " buckets differ from the independently computed totals, e.g. "
                    + String.join("; ", differing.subList(0, Math.min(5, differing.size()))));
        }
        // QuestDB equals PostgreSQL for the campaign's meters (the billed customers' usage was written to PostgreSQL
        // directly, so the whole-table comparison of bin/wattflow check does not apply)
        List<String> seriesDiffering = List.of();
        deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            seriesDiffering = differing(questDbSeries());
            if (seriesDiffering.isEmpty()) {
                break;
            }
            ManagedProcess.sleep(Duration.ofSeconds(2));
        }
        if (!seriesDiffering.isEmpty()) {
            differences.add(seriesDiffering.size() + " points of QuestDB differ from the independently computed totals (and so from "
                    + "PostgreSQL), e.g. " + String.join("; ", seriesDiffering.subList(0, Math.min(5, seriesDiffering.size()))));
        }
        long deadLetters = TopicContents.readAll(stack.kafka().bootstrapServers(), "readings.dlq", Duration.ofSeconds(20)).size();
        if (deadLetters != malformedProduced) {
            differences.add("readings.dlq holds " + deadLetters + " records for " + malformedProduced + " malformed ones produced");
        }
        if (billingRunId != null) {
            differences.addAll(billingRunDifferences());
        }
        return differences;
    }

    /** QuestDB's energy points as meter@bucket, the energy first (the count is not kept there). */
    private Map<String, long[]> questDbSeries() {
        Map<String, long[]> points = new HashMap<>();
        try (Connection questDb = StackCheck.connectQuestDb(stack.questDb()); Statement sql = questDb.createStatement();
             ResultSet rows = sql.executeQuery("SELECT meter_id, cast(ts AS long) / 1000, energy_mwh FROM energy")) {
            while (rows.next()) {
                points.put(rows.getString(1) + "@" + Instant.ofEpochMilli(rows.getLong(2)), new long[] {rows.getLong(3), 0});
            }
        } catch (SQLException e) {
            // QuestDB not answering yet: every point differs, and the wait goes on
        }
        return points;
    }

    private List<String> differing(Map<String, long[]> actual) {
        List<String> differing = new ArrayList<>();
        for (String bucket : actual.keySet()) {
            if (!bucket.startsWith("CHAOS-") && !expected.containsKey(bucket)) {
                differing.add(bucket + " billed but never produced as a valid reading");
            }
        }
        for (Map.Entry<String, long[]> bucket : expected.entrySet()) {
            long[] found = actual.get(bucket.getKey());
            if (found == null || found[0] != bucket.getValue()[0]) {
                differing.add(bucket.getKey() + " expected " + bucket.getValue()[0] + " mWh, found " + (found == null ? "none" : found[0]));
            }
        }
        return differing;
    }

    private List<String> billingRunDifferences() throws Exception {
        List<String> differences = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        String status = null;
        while (System.nanoTime() < deadline) {
            status = BillingRunLoad.status(stack, billingRunId).orElse(null);
            if ("completed".equals(status)) {
                break;
            }
            ManagedProcess.sleep(Duration.ofSeconds(2));
        }
        if (!"completed".equals(status)) {
            differences.add("the billing run is " + status + ", not completed, 3 minutes after the campaign");
            return differences;
        }
        List<Long> numbers = new ArrayList<>();
        Set<String> customers = new HashSet<>();
        try (Connection db = stack.postgres().connect(PostgresServer.DATABASE);
             PreparedStatement sql = db.prepareStatement("SELECT number, customer_id FROM invoice WHERE run_id = ?::uuid ORDER BY number")) {
            sql.setString(1, billingRunId);
            try (ResultSet rows = sql.executeQuery()) {
                while (rows.next()) {
                    numbers.add(rows.getLong(1));
                    customers.add(rows.getString(2));
                }
            }
        }
        if (numbers.size() != BILLED_CUSTOMERS || customers.size() != BILLED_CUSTOMERS) {
            differences.add("the billing run issued " + numbers.size() + " invoices to " + customers.size() + " customers, not one to each of "
                    + BILLED_CUSTOMERS);
        } else if (numbers.get(numbers.size() - 1) - numbers.get(0) != BILLED_CUSTOMERS - 1) {
            differences.add("the run's invoice numbers have gaps: " + numbers.get(0) + " to " + numbers.get(numbers.size() - 1));
        }
        Map<String, Set<String>> eventIds = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> event : TopicContents.readAll(stack.kafka().bootstrapServers(), "billing.events", Duration.ofSeconds(20))) {
            JsonNode body = JSON.readTree(event.value());
            if (body.path("type").asText().equals("invoice.issued")) {
                eventIds.computeIfAbsent(body.path("number").asText(), number -> new HashSet<>()).add(body.path("eventId").asText());
            }
        }
        long announcedTwice = eventIds.values().stream().filter(ids -> ids.size() > 1).count();
        if (eventIds.size() != BILLED_CUSTOMERS || announcedTwice > 0) {
            differences.add("billing.events announces " + eventIds.size() + " invoices (" + announcedTwice + " under two event ids) for "
                    + BILLED_CUSTOMERS + " issued");
        }
        return differences;
    }

    /** After the stack is down: removes what the campaign made outside it (its cgroup). */
    public void release() {
        faults.releaseTaskManagerGroup();
    }

    public record Result(List<Outcome> outcomes, List<String> differences) {
    }

    static String header() {
        return String.format("%-46s %9s %9s %9s %6s %7s %11s", "fault", "detected", "running", "caught up", "lost", "doubled",
                "API failed");
    }

    static String row(Outcome outcome) {
        return String.format("%-46s %9s %9s %9s %6d %7d %5d / %-5d", outcome.fault().description, seconds(outcome.detectedAfter()),
                seconds(outcome.runningAgainAfter()), seconds(outcome.caughtUpAfter()), outcome.readingsLost(), outcome.readingsDoubled(),
                outcome.apiFailed(), outcome.apiSent());
    }

    private static String seconds(Double value) {
        return value == null ? "-" : String.format("%.1f s", value);
    }

    /** GETs of a usage report through NGINX, ten a second, counted per phase. */
    static final class ApiReads implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicInteger sent = new AtomicInteger();
        private final AtomicInteger failed = new AtomicInteger();
        private final Thread thread;

        ApiReads(String apiUrl, String token) {
            URI uri = URI.create(apiUrl + "/api/v1/meters/" + GeneratorSettings.meterId(1) + "/usage?from="
                    + Instant.now().minus(Duration.ofDays(6)).truncatedTo(ChronoUnit.HOURS) + "&to="
                    + Instant.now().truncatedTo(ChronoUnit.HOURS) + "&granularity=hour");
            thread = new Thread(() -> {
                while (running.get()) {
                    try {
                        int status = HTTP.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token)
                                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                        count(status / 100 == 2);
                    } catch (IOException e) {
                        count(false);
                    } catch (InterruptedException e) {
                        return;
                    }
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "chaos-api-reads");
            thread.setDaemon(true);
            thread.start();
        }

        private void count(boolean ok) {
            sent.incrementAndGet();
            if (!ok) {
                failed.incrementAndGet();
            }
        }

        void startCounting() {
            sent.set(0);
            failed.set(0);
        }

        /** {failed, sent} since {@link #startCounting()}. */
        int[] stopCounting() {
            return new int[] {failed.get(), sent.get()};
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.interrupt();
            thread.join(15_000);
        }
    }
}
