package io.wattflow.stack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ObjectVersion;

/**
 * {@code bin/wattflow restore}: rebuilds PostgreSQL, the Flink cluster's job and the billing API from the object
 * store, into the same folders, while Kafka and the object store survive (they stand for services that live
 * elsewhere). In order:
 * <ol>
 * <li>the backup set's objects are checked against its manifest; one deleted or overwritten is put back from its
 *     recorded version ({@link BackupSets#repair});</li>
 * <li>PostgreSQL is restored by pgBackRest, to the newest archived change or to {@code --at}, and promoted;</li>
 * <li>the invoices are reconciled with {@code billing.events}: an invoice announced after the restored moment is gone
 *     from the database, but its number was seen; each series' counter is moved past every announced number, so no
 *     number is ever issued twice for different invoices (a billing run cut short resumes by its lease);</li>
 * <li>the job resumes from the newest retained checkpoint in the object store (or the set's savepoint when it is
 *     newer) with {@code --resync true}: the database may be older than that checkpoint, and the job writes every
 *     bucket its state holds again (absolute upserts), then reads on from Kafka;</li>
 * <li>everything else of the stack is started as {@code up} would.</li>
 * </ol>
 */
public final class DisasterRecovery {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NUMBER = Pattern.compile("([A-Z]+)-(\\d+)");

    private final LocalStack stack;
    private final PrintStream out;

    public DisasterRecovery(LocalStack stack, PrintStream out) {
        this.stack = stack;
        this.out = out;
    }

    /**
     * What a restore did. {@code apiSeconds} and {@code jobSeconds}: from the start of the restore to the API answering
     * and to the job running every task.
     */
    public record Result(String backupSet, List<BackupSets.Repair> repairs, String jobRestoredFrom, Reconciliation invoices,
                         double postgresSeconds, double apiSeconds, double jobSeconds) {
    }

    /** Invoice events read after the set's offsets, those whose invoice the restored database lacks, and the counters raised. */
    public record Reconciliation(int eventsRead, List<String> missingNumbers, Map<String, Long> countersRaisedTo) {
    }

    /** Restores from {@code setId} ({@code latest}: the newest set), PostgreSQL to {@code at} or else to its newest archived change. */
    public Result restore(String setId, Optional<Instant> at) {
        return restore(setId, at, () -> { });
    }

    /** As {@link #restore(String, Optional)}; {@code afterDatabase} runs once PostgreSQL is restored, before anything else starts. */
    public Result restore(String setId, Optional<Instant> at, Runnable afterDatabase) {
        if (stack.postgres().pgBackRest().isEmpty()) {
            throw new StackException("restore rebuilds the single PostgreSQL of bin/wattflow up; the highly available stack is not backed up "
                    + "yet (docs/operations.md)");
        }
        long started = System.nanoTime();
        out.println("Restoring from the object store at " + stack.objectStore().url());
        stack.objectStore().start(stack.detached());
        stack.kafka().start(stack.detached());
        List<String> stopped = new ArrayList<>(stack.api().stop());
        for (ManagedProcess process : stack.flink().processes()) {
            if (process.stop(Duration.ofSeconds(20))) {
                stopped.add(process.name());
            }
        }
        if (stack.postgresExporter().process().stop(Duration.ofSeconds(10))) {
            stopped.add(stack.postgresExporter().process().name());
        }
        stopped.addAll(stack.postgres().stop());
        if (!stopped.isEmpty()) {
            out.println("  stopped what still ran: " + String.join(", ", stopped));
        }
        BackupSets sets = new BackupSets(stack);
        BackupSets.BackupSet set = sets.find(setId);
        out.println("  backup set " + set.id() + ": PostgreSQL backup " + set.postgresBackup() + ", " + set.objects().size() + " objects");
        List<BackupSets.Repair> repairs = sets.repair(set);
        repairs.forEach(repair -> out.println("  put back s3://" + repair.bucket() + "/" + repair.key() + " from its recorded version (" + repair.why() + ")"));

        out.print("  PostgreSQL: restoring " + at.map(moment -> "to " + moment).orElse("to the newest archived change") + " ... ");
        out.flush();
        stack.postgres().restore(set.postgresBackup(), at);
        stack.postgres().start(stack.detached());
        double postgresSeconds = seconds(started);
        out.printf("promoted after %.1f s%n", postgresSeconds);
        afterDatabase.run();

        Reconciliation invoices = reconcileInvoices(set);
        out.println("  invoices: " + invoices.eventsRead() + " invoice events since the backup, " + invoices.missingNumbers().size()
                + " announced but not in the restored database" + (invoices.missingNumbers().isEmpty() ? ""
                : " (" + invoices.missingNumbers().get(0) + " to " + invoices.missingNumbers().get(invoices.missingNumbers().size() - 1) + ")")
                + (invoices.countersRaisedTo().isEmpty() ? "" : "; next numbers raised to " + invoices.countersRaisedTo()));

        stack.up(out);
        double apiSeconds = seconds(started);
        Optional<String> restoreFrom = restorePoint(set);
        if (restoreFrom.isPresent()) {
            out.println("  job: resuming from " + restoreFrom.get() + " with --resync true");
            FlinkJob.submit(stack, restoreFrom.get(), List.of("--resync", "true"));
            if (!FlinkJob.awaitAllTasksRunning(stack, Duration.ofMinutes(5))) {
                throw new StackException("the restored job does not run every task after 5 minutes: see " + stack.layout().logDir());
            }
        } else {
            out.println("  job: no retained checkpoint or savepoint in the object store; submit it with bin/wattflow submit "
                    + "(it reads Kafka from the earliest offsets)");
        }
        double jobSeconds = seconds(started);
        out.printf("Restored in %.1f s: PostgreSQL %.1f s, the API answering after %.1f s, the job running after %.1f s%n",
                jobSeconds, postgresSeconds, apiSeconds, jobSeconds);
        return new Result(set.id(), repairs, restoreFrom.orElse(null), invoices, postgresSeconds, apiSeconds, jobSeconds);
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    /** The newest retained checkpoint of any job in the store, or the set's savepoint when that is newer or there is none. */
    Optional<String> restorePoint(BackupSets.BackupSet set) {
        Optional<ObjectVersion> newest;
        try (S3Client s3 = stack.objectStore().client()) {
            // versions, not a listing: S3Mock lists a subsumed checkpoint's deleted files as if they were there
            newest = s3.listObjectVersionsPaginator(list -> list.bucket(ObjectStore.FLINK_BUCKET).prefix("checkpoints/")).versions().stream()
                    .filter(version -> Boolean.TRUE.equals(version.isLatest()) && version.key().endsWith("/_metadata"))
                    .max(Comparator.comparing(ObjectVersion::lastModified));
        }
        Instant setTaken = Instant.parse(set.created());
        if (newest.isPresent() && (set.savepoint() == null || newest.get().lastModified().isAfter(setTaken))) {
            String key = newest.get().key();
            return Optional.of("s3://" + ObjectStore.FLINK_BUCKET + "/" + key.substring(0, key.length() - "/_metadata".length()));
        }
        return Optional.ofNullable(set.savepoint());
    }

    /**
     * Reads {@code billing.events} from the set's offsets to the end: every invoice number announced since the backup.
     * Those whose invoice the restored database lacks are reserved: each series' next number is raised past them.
     */
    Reconciliation reconcileInvoices(BackupSets.BackupSet set) {
        Map<String, String> announced = announcedInvoices(set.billingEventOffsets()); // invoice id -> number
        Set<String> present = new HashSet<>();
        Map<String, Long> raised = new TreeMap<>();
        List<String> missing = new ArrayList<>();
        try (Connection db = stack.postgres().connect(PostgresServer.DATABASE)) {
            try (Statement statement = db.createStatement(); ResultSet rows = statement.executeQuery("SELECT id::text FROM invoice")) {
                while (rows.next()) {
                    present.add(rows.getString(1));
                }
            }
            Map<String, Long> highest = new HashMap<>();
            for (Map.Entry<String, String> invoice : announced.entrySet()) {
                Matcher number = NUMBER.matcher(invoice.getValue());
                if (!number.matches()) {
                    continue;
                }
                highest.merge(number.group(1), Long.parseLong(number.group(2)), Math::max);
                if (!present.contains(invoice.getKey())) {
                    missing.add(invoice.getValue());
                }
            }
            try (PreparedStatement raise = db.prepareStatement(
                    "UPDATE invoice_counter SET next_number = ? WHERE series = ? AND next_number <= ? RETURNING next_number")) {
                for (Map.Entry<String, Long> series : highest.entrySet()) {
                    raise.setLong(1, series.getValue() + 1);
                    raise.setString(2, series.getKey());
                    raise.setLong(3, series.getValue());
                    try (ResultSet rows = raise.executeQuery()) {
                        if (rows.next()) {
                            raised.put(series.getKey(), rows.getLong(1));
                        }
                    }
                }
            }
        } catch (SQLException e) {
            throw new StackException("cannot reconcile the invoices with " + BackupSets.BILLING_EVENTS + ": " + e.getMessage(), e);
        }
        missing.sort(null);
        return new Reconciliation(announced.size(), missing, raised);
    }

    /** invoice id -> number, of the {@code invoice.*} events after {@code from} (partition -> offset). */
    private Map<String, String> announcedInvoices(Map<Integer, Long> from) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers());
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // a set older than the topic's retention: its offsets are gone, and everything still there is read
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        Map<String, String> invoices = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(properties, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(BackupSets.BILLING_EVENTS, Duration.ofSeconds(30)).stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
            consumer.assign(partitions);
            for (TopicPartition partition : partitions) {
                consumer.seek(partition, from.getOrDefault(partition.partition(), 0L));
            }
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (partitions.stream().anyMatch(partition -> consumer.position(partition, Duration.ofSeconds(30)) < end.get(partition))) {
                if (System.nanoTime() > deadline) {
                    throw new StackException("cannot read " + BackupSets.BILLING_EVENTS + " to its end within 5 minutes");
                }
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    try {
                        JsonNode event = JSON.readTree(record.value());
                        if (event.path("type").asText().startsWith("invoice.") && event.hasNonNull("invoiceId")) {
                            invoices.put(event.path("invoiceId").asText(), event.path("number").asText());
                        }
                    } catch (Exception e) {
                        out.println("  skipped an event that is not JSON at " + record.topic() + "-" + record.partition() + "@" + record.offset());
                    }
                }
            }
        }
        return invoices;
    }
}
