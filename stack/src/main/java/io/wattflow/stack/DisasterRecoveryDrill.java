package io.wattflow.stack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wattflow.loadgen.GeneratorSettings;
import io.wattflow.loadgen.LoadGenerator;
import io.wattflow.loadgen.ReadingGenerator;
import io.wattflow.stack.testing.TopicContents;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
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
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code bin/wattflow dr-drill}: the disaster-recovery story on a stack of its own, measured. A deterministic load
 * (duplicates, disorder) and a billing run's customers; a backup set; more load while an API client keeps creating
 * customers and a billing run for {@link #BILLED_CUSTOMERS} customers is under way; a last hour of readings, and as soon
 * as the job has checkpointed them (their totals written, most likely not yet archived), the disaster: PostgreSQL, the
 * Flink cluster and the API killed (-9) and their folders deleted, and two objects of the backup set damaged (one
 * deleted, one overwritten) as someone holding the store's credentials might. Then {@link DisasterRecovery#restore}
 * and the checks:
 * <ul>
 * <li>usage in PostgreSQL equals the totals computed from the generator alone, to the milli-Wh (RPO 0 for readings
 *     that reached Kafka), whether or not the restored database held the newest of them;</li>
 * <li>the customers the API acknowledged are there up to the last archived change: those lost are the newest ones,
 *     acknowledged within {@link PgBackRest#ARCHIVE_TIMEOUT_SECONDS} s (plus the archiving's own time) of the disaster
 *     (the RPO of API data, measured);</li>
 * <li>the billing run completes, one invoice per customer, and no invoice number is held by two invoices, in the
 *     database or on {@code billing.events};</li>
 * <li>both damaged objects were put back from their versions;</li>
 * <li>RTO: seconds from the start of the restore to the API answering, and to the job caught up with Kafka.</li>
 * </ul>
 */
public final class DisasterRecoveryDrill {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final int METERS = 60;
    private static final int READINGS_PER_METER = 96;
    /** One hour of readings per meter, produced just before the disaster. */
    private static final int LAST_READINGS_PER_METER = 12;
    static final int BILLED_CUSTOMERS = 15_000;
    /**
     * How long the billing run has been issuing invoices before the last readings go out (the disaster follows them
     * within seconds): archive_timeout, so the archived WAL holds the run under way; at about 300 invoices a second on
     * this machine, long before the run's 15,000th.
     */
    private static final Duration RUN_BEFORE_DISASTER = Duration.ofSeconds(PgBackRest.ARCHIVE_TIMEOUT_SECONDS);
    /** Slack on top of archive_timeout for the API data's RPO: the switch to a new segment and its push to the store. */
    private static final int ARCHIVING_SLACK_SECONDS = 10;
    private static final Duration RTO_GOAL = Duration.ofMinutes(5);

    private final LocalStack stack;
    private final PrintStream out;
    private final Map<String, Long> expected = new HashMap<>(); // meter@bucket -> energy (mWh)
    /** Customers the API acknowledged, by id, with the moment it did. */
    private final Map<String, Instant> acknowledged = new ConcurrentSkipListMap<>();
    private String billingRunId;
    /** Buckets of the load that the restored database lacked or held older totals of, before the job's resync. */
    private final AtomicInteger bucketsShort = new AtomicInteger(-1);

    /** The drill's figures and the differences from the truth (none when all is exact). */
    public record Result(String runAtDisaster, String runRestored, int bucketsShortAfterPostgresRestore, long customersLost,
                         double apiDataRpoSeconds, int objectsRepaired,
                         int invoicesAnnouncedButLost, DisasterRecovery.Result restore, double caughtUpSeconds, List<String> differences) {
    }

    public DisasterRecoveryDrill(LocalStack stack, PrintStream out) {
        if (stack.topology() != LocalStack.Topology.SMALL) {
            throw new StackException("the drill restores the single PostgreSQL of bin/wattflow up, not --ha");
        }
        this.stack = stack;
        this.out = out;
    }

    public Result run(long seed) throws Exception {
        stack.up(out);
        FlinkJob.submit(stack, null, List.of());
        BillingRunLoad.prepareCustomers(stack, "DR-", BILLED_CUSTOMERS);
        Instant end = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(1));
        Instant start = end.minus(Duration.ofMinutes(5L * (READINGS_PER_METER * 2 + LAST_READINGS_PER_METER)));
        GeneratorSettings before = settings(seed, start, READINGS_PER_METER);
        GeneratorSettings after = settings(seed + 1, start.plus(Duration.ofMinutes(5L * READINGS_PER_METER)), READINGS_PER_METER);
        GeneratorSettings last = settings(seed + 2, start.plus(Duration.ofMinutes(5L * READINGS_PER_METER * 2)), LAST_READINGS_PER_METER);

        out.println("1. load before the backup: " + produce(before));
        if (!FlinkJob.awaitCaughtUp(stack, Duration.ofMinutes(3))) {
            throw new StackException("the job did not catch up with the first load within 3 minutes");
        }
        BackupSets.BackupSet set = new BackupSets(stack).take("full");
        out.println("2. backup set " + set.id() + ": " + set.objects().size() + " objects, " + set.bytes() + " bytes");

        // the run first: it bills the customers there when it starts, not those the writer adds meanwhile
        billingRunId = BillingRunLoad.start(stack, "dr-drill-");
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread writer = new Thread(() -> writeCustomers(writing), "dr-drill-api-writer");
        writer.start();
        out.println("3. a billing run for " + BILLED_CUSTOMERS + " customers; load after the backup: " + produce(after)
                + "; the API creating a customer every 200 ms");
        long firstInvoice = awaitFirstInvoice();
        // the archived WAL holds the run under way once archive_timeout has passed
        ManagedProcess.sleep(Duration.ofNanos(Math.max(0, firstInvoice + RUN_BEFORE_DISASTER.toNanos() - System.nanoTime())));
        // the last readings: the disaster strikes as soon as the job has checkpointed them, so their totals are in
        // PostgreSQL but most likely not yet in its archived WAL (the resync's case)
        out.println("   the last readings: " + produce(last));
        if (!FlinkJob.awaitCaughtUp(stack, Duration.ofMinutes(3))) {
            throw new StackException("the job did not catch up with the last readings within 3 minutes");
        }
        writing.set(false);
        writer.join();
        Instant disaster = Instant.now();
        String runStatus = runProgress();
        List<String> killed = disaster();
        List<String> damaged = damage(set);
        out.println("4. the disaster at " + disaster + " (the billing run " + runStatus + "): killed " + String.join(", ", killed)
                + "; deleted their folders; damaged " + String.join(" and ", damaged));

        DisasterRecovery recovery = new DisasterRecovery(stack, out);
        long restoreStarted = System.nanoTime();
        String[] restoredRun = new String[1];
        DisasterRecovery.Result restored = recovery.restore("latest", Optional.empty(), () -> {
            bucketsShort.set(differing(usage()).size());
            restoredRun[0] = runProgress();
        });
        boolean caughtUp = FlinkJob.awaitCaughtUp(stack, Duration.ofMinutes(5));
        double caughtUpSeconds = (System.nanoTime() - restoreStarted) / 1e9;

        List<String> differences = new ArrayList<>();
        if (!caughtUp) {
            differences.add("the restored job did not catch up with Kafka within 5 minutes of running");
        }
        List<String> differing = awaitExactUsage();
        if (!differing.isEmpty()) {
            differences.add(differing.size() + " buckets differ from the independently computed totals after the restore, e.g. "
                    + String.join("; ", differing.subList(0, Math.min(5, differing.size()))));
        }
        if (restored.repairs().size() != damaged.size()) {
            differences.add("the restore put back " + restored.repairs().size() + " objects; " + damaged.size() + " were damaged");
        }
        Set<String> present = customers();
        List<Instant> lost = acknowledged.entrySet().stream().filter(entry -> !present.contains(entry.getKey())).map(Map.Entry::getValue).sorted().toList();
        double rpo = lost.isEmpty() ? 0 : Duration.between(lost.get(0), disaster).toMillis() / 1000.0;
        Optional<Instant> survivedAfterALoss = acknowledged.entrySet().stream()
                .filter(entry -> present.contains(entry.getKey()) && !lost.isEmpty() && entry.getValue().isAfter(lost.get(0)))
                .map(Map.Entry::getValue).findFirst();
        if (survivedAfterALoss.isPresent()) {
            differences.add("a customer acknowledged at " + survivedAfterALoss.get() + " survived though one acknowledged earlier, at " + lost.get(0)
                    + ", was lost: the restored database is not a moment of the original");
        }
        if (rpo > PgBackRest.ARCHIVE_TIMEOUT_SECONDS + ARCHIVING_SLACK_SECONDS) {
            differences.add(String.format("API data lost %.1f s before the disaster: more than archive_timeout (%d s) and %d s of archiving", rpo,
                    PgBackRest.ARCHIVE_TIMEOUT_SECONDS, ARCHIVING_SLACK_SECONDS));
        }
        differences.addAll(invoiceDifferences());
        Result result = new Result(runStatus, restoredRun[0], bucketsShort.get(), lost.size(), rpo, restored.repairs().size(), restored.invoices().missingNumbers().size(),
                restored, caughtUpSeconds, differences);
        print(result);
        return result;
    }

    private static GeneratorSettings settings(long seed, Instant start, int readingsPerMeter) {
        return new GeneratorSettings(METERS, readingsPerMeter, 5, seed, start, 0.03, 0.05, 0.0, 0.0);
    }

    private String produce(GeneratorSettings settings) {
        for (ReadingGenerator.IntervalReading reading : ReadingGenerator.validReadings(settings)) {
            long bucket = Math.floorDiv(reading.start().getEpochSecond(), 900) * 900;
            expected.merge(reading.meterId() + "@" + Instant.ofEpochSecond(bucket), reading.energyMilliWattHours(), Long::sum);
        }
        double rate = Math.max(100, settings.allMeters() * settings.readingsPerMeter() / 10.0);
        return LoadGenerator.produce(new LoadGenerator.Options(stack.kafka().bootstrapServers(), "readings", settings, rate)).describe();
    }

    /** Waits for the run's first invoice; returns when it was seen ({@link System#nanoTime}). */
    private long awaitFirstInvoice() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (invoicesOfTheRun() > 0) {
                return System.nanoTime();
            }
            ManagedProcess.sleep(Duration.ofMillis(200));
        }
        throw new StackException("the billing run issued no invoice within 60 s");
    }

    private long invoicesOfTheRun() {
        try (Connection db = stack.postgres().connect(PostgresServer.DATABASE);
             PreparedStatement sql = db.prepareStatement("SELECT count(*) FROM invoice WHERE run_id = ?::uuid")) {
            sql.setString(1, billingRunId);
            try (ResultSet row = sql.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        } catch (java.sql.SQLException e) {
            throw new StackException("cannot count the billing run's invoices: " + e.getMessage(), e);
        }
    }

    /** The run's status and invoices so far, for the report. */
    private String runProgress() {
        try {
            return runStatus() + " at " + invoicesOfTheRun() + " of " + BILLED_CUSTOMERS + " invoices";
        } catch (Exception e) {
            throw new StackException("cannot read the billing run: " + e.getMessage(), e);
        }
    }

    private String runStatus() throws Exception {
        return BillingRunLoad.status(stack, billingRunId).orElse("missing");
    }

    /** Creates a customer every 200 ms through the API until told to stop; records each acknowledged one. */
    private void writeCustomers(AtomicBoolean writing) {
        int n = 0;
        while (writing.get()) {
            String id = String.format("DR-W-%05d", ++n);
            try {
                HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(URI.create(stack.api().url() + "/api/v1/customers"))
                        .header("Authorization", "Bearer " + stack.adminToken()).header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(10))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"" + id + "\",\"name\":\"Written " + n
                                + "\",\"timezone\":\"UTC\",\"tariffId\":\"standard\",\"tariffFrom\":\"2026-01-01\"}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (created.statusCode() == 201) {
                    acknowledged.put(id, Instant.now());
                }
            } catch (Exception e) {
                // not acknowledged: not counted
            }
            ManagedProcess.sleep(Duration.ofMillis(200));
        }
    }

    /** kill -9 of PostgreSQL, every Flink process and the API, then their folders deleted. */
    private List<String> disaster() throws Exception {
        List<String> killed = new ArrayList<>();
        List<ManagedProcess> victims = new ArrayList<>(stack.flink().processes());
        stack.api().instances().forEach(instance -> victims.add(instance.process()));
        victims.add(stack.postgres().process());
        for (ManagedProcess process : victims) {
            Optional<ProcessHandle> running = process.running();
            if (running.isPresent()) {
                // PostgreSQL's backends go with their postmaster; the rest are single processes
                running.get().descendants().forEach(ProcessHandle::destroyForcibly);
                running.get().destroyForcibly();
                running.get().onExit().get();
                killed.add(process.name());
            }
        }
        StackLayout.delete(stack.layout().dataDir("postgres"));
        StackLayout.delete(stack.flink().home());
        return killed;
    }

    /** Deletes one object of the set (a PostgreSQL backup file) and overwrites another (the savepoint's metadata). */
    private List<String> damage(BackupSets.BackupSet set) {
        BackupSets.StoredObject deleted = set.objects().stream().filter(object -> object.bucket().equals(ObjectStore.POSTGRES_BUCKET)
                && object.key().startsWith(PgBackRest.backupPrefix(set.postgresBackup()))).findFirst()
                .orElseThrow(() -> new StackException("the backup set has no PostgreSQL backup object"));
        BackupSets.StoredObject overwritten = set.objects().stream().filter(object -> object.key().endsWith("/_metadata")).findFirst()
                .orElseThrow(() -> new StackException("the backup set has no savepoint metadata"));
        try (S3Client s3 = stack.objectStore().client()) {
            s3.deleteObject(delete -> delete.bucket(deleted.bucket()).key(deleted.key()));
            s3.putObject(put -> put.bucket(overwritten.bucket()).key(overwritten.key()), RequestBody.fromString("ransomware was here"));
        }
        return List.of("s3://" + deleted.bucket() + "/" + deleted.key() + " (deleted)", "s3://" + overwritten.bucket() + "/" + overwritten.key()
                + " (overwritten)");
    }

    private Map<String, Long> usage() {
        Map<String, Long> rows = new HashMap<>();
        try (Connection db = stack.postgres().connect(PostgresServer.DATABASE); Statement sql = db.createStatement();
             ResultSet result = sql.executeQuery("SELECT meter_id, bucket_start, energy_mwh FROM usage_15m WHERE meter_id NOT LIKE 'DR-%'")) {
            while (result.next()) {
                rows.put(result.getString(1) + "@" + result.getTimestamp(2).toInstant(), result.getLong(3));
            }
        } catch (java.sql.SQLException e) {
            throw new StackException("cannot read usage_15m: " + e.getMessage(), e);
        }
        return rows;
    }

    private List<String> differing(Map<String, Long> actual) {
        List<String> differing = new ArrayList<>();
        for (String bucket : actual.keySet()) {
            if (!expected.containsKey(bucket)) {
                differing.add(bucket + " billed but never produced as a valid reading");
            }
        }
        expected.forEach((bucket, energy) -> {
            Long found = actual.get(bucket);
            if (found == null || found.longValue() != energy) {
                differing.add(bucket + " expected " + energy + " mWh, found " + (found == null ? "none" : found));
            }
        });
        return differing;
    }

    private List<String> awaitExactUsage() {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        List<String> differing;
        do {
            differing = differing(usage());
            if (differing.isEmpty()) {
                return differing;
            }
            ManagedProcess.sleep(Duration.ofSeconds(2));
        } while (System.nanoTime() < deadline);
        return differing;
    }

    private Set<String> customers() throws Exception {
        Set<String> ids = new HashSet<>();
        try (Connection db = stack.postgres().connect(PostgresServer.DATABASE); Statement sql = db.createStatement();
             ResultSet rows = sql.executeQuery("SELECT id FROM customer WHERE id LIKE 'DR-W-%'")) {
            while (rows.next()) {
                ids.add(rows.getString(1));
            }
        }
        return ids;
    }

    /** The billing run completes, one invoice per customer; no number belongs to two invoices, in the database or on billing.events. */
    private List<String> invoiceDifferences() throws Exception {
        List<String> differences = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        String status = null;
        while (System.nanoTime() < deadline && !"completed".equals(status)) {
            status = runStatus();
            ManagedProcess.sleep(Duration.ofSeconds(1));
        }
        if (!"completed".equals(status)) {
            differences.add("the billing run is " + status + ", not completed, 10 minutes after the restore");
            return differences;
        }
        Map<String, String> numberToInvoice = new HashMap<>();
        Set<String> customers = new HashSet<>();
        int invoices = 0;
        try (Connection db = stack.postgres().connect(PostgresServer.DATABASE);
             PreparedStatement sql = db.prepareStatement("SELECT series || '-' || lpad(number::text, 6, '0'), id::text, customer_id FROM invoice")) {
            try (ResultSet rows = sql.executeQuery()) {
                while (rows.next()) {
                    invoices++;
                    customers.add(rows.getString(3));
                    if (numberToInvoice.put(rows.getString(1), rows.getString(2)) != null) {
                        differences.add("invoice number " + rows.getString(1) + " is held by two invoices in the database");
                    }
                }
            }
        }
        if (invoices != BILLED_CUSTOMERS || customers.size() != BILLED_CUSTOMERS) {
            differences.add("the billing run left " + invoices + " invoices for " + customers.size() + " customers, not one for each of " + BILLED_CUSTOMERS);
        }
        for (ConsumerRecord<byte[], byte[]> event : TopicContents.readAll(stack.kafka().bootstrapServers(), BackupSets.BILLING_EVENTS,
                Duration.ofSeconds(20))) {
            JsonNode body = JSON.readTree(event.value());
            String number = body.path("number").asText();
            String holder = numberToInvoice.get(number);
            if (body.path("type").asText().startsWith("invoice.") && holder != null && !holder.equals(body.path("invoiceId").asText())) {
                differences.add("invoice number " + number + " was announced for invoice " + body.path("invoiceId").asText()
                        + " and is now held by invoice " + holder);
            }
        }
        return differences;
    }

    private void print(Result result) {
        DisasterRecovery.Result restore = result.restore();
        out.println();
        out.println("Disaster-recovery drill");
        boolean exact = result.differences().stream().noneMatch(difference -> difference.contains("buckets differ"));
        out.printf("  RPO, readings:  0 s goal; %s%n", !exact ? "NOT MET: usage differs"
                : "met: usage_15m equals the generator's totals to the milli-Wh" + (result.bucketsShortAfterPostgresRestore() > 0
                ? " (the restored database lacked or held older totals of " + result.bucketsShortAfterPostgresRestore()
                        + " buckets; the job's resync wrote them)"
                : " (the restored database held every total already)"));
        out.printf("  RPO, API data:  %.1f s (%d customers acknowledged and lost; archive_timeout %d s)%n", result.apiDataRpoSeconds(),
                result.customersLost(), PgBackRest.ARCHIVE_TIMEOUT_SECONDS);
        out.printf("  RTO:            PostgreSQL %.1f s, API answering %.1f s, job running %.1f s, job caught up %.1f s (goal %d s: %s)%n",
                restore.postgresSeconds(), restore.apiSeconds(), restore.jobSeconds(), result.caughtUpSeconds(), RTO_GOAL.toSeconds(),
                result.caughtUpSeconds() <= RTO_GOAL.toSeconds() ? "met" : "NOT MET");
        out.printf("  billing run:    %s at the disaster, %s in the restored database%n", result.runAtDisaster(),
                result.runRestored());
        out.printf("  backup damaged: %d objects put back from their versions%n", result.objectsRepaired());
        out.printf("  invoices:       %d numbers announced but lost with the database, reserved: %s%n", result.invoicesAnnouncedButLost(),
                restore.invoices().countersRaisedTo());
    }
}
