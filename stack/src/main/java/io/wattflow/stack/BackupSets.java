package io.wattflow.stack;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectVersion;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Consistent backup sets in the object store ({@code bin/wattflow backup}, {@code backups}): a savepoint of the
 * running job, then a pgBackRest backup (so the database holds at least what the savepoint's sinks wrote), the end
 * offsets of {@code billing.events} (where the outbox relay had got to: events after them may announce invoices the
 * restored database lacks), and a manifest of every object the set needs, with its version and SHA-256.
 *
 * <p>The manifest is written once, to {@code s3://wattflow-backups/sets/<id>/manifest.json}; it is read back from
 * its first version, so overwriting it changes nothing. An object of the set that was deleted or overwritten since
 * (say, by someone holding the store's credentials) is put back from the version the manifest names, once its
 * checksum matches ({@link #repair}): versioning is what makes that possible, Object Lock in production what keeps
 * those versions themselves from being deleted (docs/operations.md).
 */
public final class BackupSets {
    public static final String BILLING_EVENTS = "billing.events";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter ID = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    /** pgBackRest's files that each backup rewrites: kept by version, but put back only when they are gone. */
    private static final Predicate<String> REWRITTEN = key -> key.matches(".*/(backup|archive)\\.info(\\.copy)?");

    /** One object of a set: where it is, which version, its size and SHA-256 (hex). */
    public record StoredObject(String bucket, String key, String versionId, long size, String sha256, boolean rewritten) {
    }

    /**
     * A backup set. {@code postgresBackup}: pgBackRest's label; {@code savepoint}: the job's savepoint (null when no job
     * ran); {@code billingEventOffsets}: partition to end offset of {@code billing.events} when the set was taken.
     */
    public record BackupSet(String id, String created, String postgresBackup, String postgresBackupType, String postgresBackupStopped,
                            String jobId, String savepoint, Map<Integer, Long> billingEventOffsets, List<StoredObject> objects) {
        @com.fasterxml.jackson.annotation.JsonIgnore
        public long bytes() {
            return objects.stream().mapToLong(StoredObject::size).sum();
        }
    }

    private final LocalStack stack;

    public BackupSets(LocalStack stack) {
        this.stack = stack;
    }

    /** Takes a set; {@code type} is pgBackRest's: {@code full} or {@code incr} (changes since the previous backup). */
    public BackupSet take(String type) {
        PgBackRest pgBackRest = stack.postgres().pgBackRest()
                .orElseThrow(() -> new StackException("backups need the single PostgreSQL of bin/wattflow up (not --ha yet): see docs/operations.md"));
        if (!stack.objectStore().isRunning() || !stack.postgres().isRunning()) {
            throw new StackException("the object store and PostgreSQL must run for a backup: start the stack with bin/wattflow up");
        }
        Instant created = Instant.now();
        String id = ID.format(created);
        Optional<FlinkRest.JobStatus> job = runningJob();
        // a savepoint needs every task running: a job just submitted or restarting is waited for
        if (job.isPresent() && !FlinkJob.awaitAllTasksRunning(stack, Duration.ofMinutes(2))) {
            throw new StackException("job " + job.get().id() + " has not run every task for 2 minutes (restarting?): take the backup when it does, "
                    + "or stop it first for a backup without a savepoint");
        }
        String savepoint = job.map(running -> savepoint(running.id())).orElse(null);
        PgBackRest.Backup backup = pgBackRest.backup(type);
        Map<Integer, Long> offsets = billingEventOffsets();
        List<StoredObject> objects = new ArrayList<>();
        try (S3Client s3 = stack.objectStore().client()) {
            String repo = "pgbackrest/";
            objects.addAll(describe(s3, ObjectStore.POSTGRES_BUCKET, PgBackRest.backupPrefix(backup.label()), key -> true));
            // a full backup needs only the WAL written while it ran; an incremental one needs the backups it builds on too
            objects.addAll(describe(s3, ObjectStore.POSTGRES_BUCKET, repo + "archive/", key -> walBetween(key, backup.walStart(), backup.walStop())
                    || REWRITTEN.test(key)));
            objects.addAll(describe(s3, ObjectStore.POSTGRES_BUCKET, repo + "backup/" + PgBackRest.STANZA + "/", REWRITTEN));
            for (String prior : backup.references()) {
                objects.addAll(describe(s3, ObjectStore.POSTGRES_BUCKET, PgBackRest.backupPrefix(prior), key -> true));
            }
            if (savepoint != null) {
                String prefix = savepoint.substring(("s3://" + ObjectStore.FLINK_BUCKET + "/").length());
                objects.addAll(describe(s3, ObjectStore.FLINK_BUCKET, prefix.endsWith("/") ? prefix : prefix + "/", key -> true));
            }
            boolean taken = s3.listObjectVersionsPaginator(list -> list.bucket(ObjectStore.BACKUP_BUCKET).prefix(manifestKey(id))).versions()
                    .stream().anyMatch(version -> version.key().equals(manifestKey(id)));
            if (taken) {
                // a manifest is read from its first version: a second set of the same second would never be seen
                throw new StackException("a backup set " + id + " exists already (two backups in one second?): take it again");
            }
            BackupSet set = new BackupSet(id, created.toString(), backup.label(), backup.type(), backup.stopped().toString(), job.map(FlinkRest.JobStatus::id).orElse(null),
                    savepoint, offsets, objects);
            s3.putObject(put -> put.bucket(ObjectStore.BACKUP_BUCKET).key(manifestKey(id)).contentType("application/json"),
                    RequestBody.fromBytes(JSON.writeValueAsBytes(set)));
            return set;
        } catch (IOException e) {
            throw new StackException("cannot write the manifest of backup " + id + ": " + e.getMessage(), e);
        }
    }

    /** Every set in the store, oldest first (a set whose manifest was deleted is listed too: its first version stays). */
    public List<BackupSet> list() {
        try (S3Client s3 = stack.objectStore().client()) {
            List<String> keys = s3.listObjectVersionsPaginator(list -> list.bucket(ObjectStore.BACKUP_BUCKET).prefix("sets/")).versions().stream()
                    .map(ObjectVersion::key).filter(key -> key.endsWith("/manifest.json")).distinct().sorted().toList();
            List<BackupSet> sets = new ArrayList<>();
            for (String key : keys) {
                sets.add(readManifest(s3, key));
            }
            return sets;
        }
    }

    /** The set of that id, or the newest for {@code latest}. */
    public BackupSet find(String idOrLatest) {
        List<BackupSet> sets = list();
        if (sets.isEmpty()) {
            throw new StackException("the object store holds no backup set: take one with bin/wattflow backup");
        }
        if (idOrLatest.equals("latest")) {
            return sets.get(sets.size() - 1);
        }
        return sets.stream().filter(set -> set.id().equals(idOrLatest)).findFirst().orElseThrow(() -> new StackException(
                "no backup set " + idOrLatest + ": bin/wattflow backups lists them (" + sets.get(sets.size() - 1).id() + " is the newest)"));
    }

    /** A recovered object: its key and why it was put back. */
    public record Repair(String bucket, String key, String why) {
    }

    /**
     * Checks every object of the set against its manifest entry and puts back, from the version the manifest names,
     * each one that is missing or whose content differs (pgBackRest's rewritten files only when missing). Fails when
     * the named version itself is gone or does not match its checksum.
     */
    public List<Repair> repair(BackupSet set) {
        List<Repair> repairs = new ArrayList<>();
        try (S3Client s3 = stack.objectStore().client()) {
            for (StoredObject object : set.objects()) {
                Optional<String> why = damage(s3, object);
                if (why.isEmpty()) {
                    continue;
                }
                byte[] original;
                try {
                    original = s3.getObjectAsBytes(get -> get.bucket(object.bucket()).key(object.key()).versionId(object.versionId())).asByteArray();
                } catch (S3Exception e) {
                    throw new StackException("backup " + set.id() + " cannot be repaired: version " + object.versionId() + " of s3://" + object.bucket()
                            + "/" + object.key() + " is gone too (" + e.getMessage() + ")");
                }
                if (!sha256(original).equals(object.sha256())) {
                    throw new StackException("backup " + set.id() + " cannot be repaired: version " + object.versionId() + " of s3://" + object.bucket()
                            + "/" + object.key() + " does not match its checksum");
                }
                // S3Mock refuses a copy of an older version onto its own key: read it and write it again (a new version)
                s3.putObject(put -> put.bucket(object.bucket()).key(object.key()), RequestBody.fromBytes(original));
                repairs.add(new Repair(object.bucket(), object.key(), why.get()));
            }
        }
        return repairs;
    }

    /** Why the object as it is now differs from the manifest; empty when it does not. */
    private static Optional<String> damage(S3Client s3, StoredObject object) {
        byte[] current;
        try {
            current = s3.getObjectAsBytes(get -> get.bucket(object.bucket()).key(object.key())).asByteArray();
        } catch (NoSuchKeyException e) {
            return Optional.of("deleted");
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.of("deleted");
            }
            throw new StackException("cannot read s3://" + object.bucket() + "/" + object.key() + ": " + e.getMessage(), e);
        }
        if (object.rewritten() || sha256(current).equals(object.sha256())) {
            return Optional.empty();
        }
        return Optional.of("checksum differs (overwritten)");
    }

    public static String manifestKey(String id) {
        return "sets/" + id + "/manifest.json";
    }

    /** The manifest as first written: later versions of the key (an overwrite) are not believed. */
    private static BackupSet readManifest(S3Client s3, String key) {
        ObjectVersion first = s3.listObjectVersionsPaginator(list -> list.bucket(ObjectStore.BACKUP_BUCKET).prefix(key)).versions().stream()
                .filter(version -> version.key().equals(key)).min(Comparator.comparing(ObjectVersion::lastModified))
                .orElseThrow(() -> new StackException("no version of s3://" + ObjectStore.BACKUP_BUCKET + "/" + key));
        try (InputStream in = s3.getObject(get -> get.bucket(ObjectStore.BACKUP_BUCKET).key(key).versionId(first.versionId()))) {
            return JSON.readValue(in, BackupSet.class);
        } catch (IOException e) {
            throw new StackException("cannot read the manifest s3://" + ObjectStore.BACKUP_BUCKET + "/" + key + ": " + e.getMessage(), e);
        }
    }

    /** The current version of every object under {@code prefix} whose key passes {@code keep}, with its checksum. */
    private static List<StoredObject> describe(S3Client s3, String bucket, String prefix, Predicate<String> keep) {
        List<StoredObject> objects = new ArrayList<>();
        // versions, not a plain listing: S3Mock lists keys whose latest version is a delete marker as if they were there
        for (ObjectVersion version : s3.listObjectVersionsPaginator(list -> list.bucket(bucket).prefix(prefix)).versions()) {
            if (!Boolean.TRUE.equals(version.isLatest()) || !keep.test(version.key())) {
                continue;
            }
            byte[] content = s3.getObjectAsBytes(get -> get.bucket(bucket).key(version.key()).versionId(version.versionId())).asByteArray();
            objects.add(new StoredObject(bucket, version.key(), version.versionId(), content.length, sha256(content), REWRITTEN.test(version.key())));
        }
        return objects;
    }

    /** A WAL segment's object ({@code .../<segment>-<sha1>.zst}) within [start, stop] of the same timeline. */
    static boolean walBetween(String key, String start, String stop) {
        String name = key.substring(key.lastIndexOf('/') + 1);
        if (name.length() < 24 || !name.substring(0, 24).matches("[0-9A-F]{24}")) {
            return false;
        }
        String segment = name.substring(0, 24);
        return segment.compareTo(start) >= 0 && segment.compareTo(stop) <= 0;
    }

    private Optional<FlinkRest.JobStatus> runningJob() {
        if (!stack.flink().isJobManagerRunning()) {
            return Optional.empty();
        }
        return stack.flink().rest().jobs().stream()
                .filter(job -> job.name().equals(LocalStack.JOB_NAME) && job.state().equals("RUNNING")).findFirst();
    }

    /** A savepoint of the running job into the object store (the job goes on); its location. */
    private String savepoint(String jobId) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String rest = stack.flink().restUrl();
        try {
            String body = JSON.writeValueAsString(Map.of("target-directory", stack.flink().savepointDir(), "cancel-job", false));
            HttpResponse<String> triggered = http.send(HttpRequest.newBuilder(URI.create(rest + "/jobs/" + jobId + "/savepoints"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (triggered.statusCode() != 202) {
                throw new StackException("Flink refused the savepoint of job " + jobId + ": " + triggered.body());
            }
            String requestId = JSON.readTree(triggered.body()).path("request-id").asText();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (System.nanoTime() < deadline) {
                var status = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(rest + "/jobs/" + jobId + "/savepoints/" + requestId))
                        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()).body());
                if (status.path("status").path("id").asText().equals("COMPLETED")) {
                    var operation = status.path("operation");
                    if (operation.has("failure-cause")) {
                        throw new StackException("the savepoint of job " + jobId + " failed: "
                                + operation.path("failure-cause").path("stack-trace").asText().lines().findFirst().orElse(""));
                    }
                    return operation.path("location").asText();
                }
                ManagedProcess.sleep(Duration.ofMillis(500));
            }
            throw new StackException("the savepoint of job " + jobId + " did not complete within 10 minutes");
        } catch (IOException e) {
            throw new StackException("Flink at " + rest + " did not answer: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted while taking a savepoint");
        }
    }

    private Map<Integer, Long> billingEventOffsets() {
        try (Admin admin = stack.kafka().admin()) {
            Map<TopicPartition, OffsetSpec> latest = new TreeMap<>(Comparator.comparing(TopicPartition::partition));
            admin.describeTopics(List.of(BILLING_EVENTS)).allTopicNames().get(30, TimeUnit.SECONDS).get(BILLING_EVENTS).partitions()
                    .forEach(partition -> latest.put(new TopicPartition(BILLING_EVENTS, partition.partition()), OffsetSpec.latest()));
            Map<Integer, Long> offsets = new TreeMap<>();
            admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).forEach((partition, info) -> offsets.put(partition.partition(), info.offset()));
            return offsets;
        } catch (Exception e) {
            throw new StackException("cannot read the end offsets of " + BILLING_EVENTS + ": " + e.getMessage(), e);
        }
    }

    static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** The set as one line of JSON. */
    public static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new StackException("cannot write JSON: " + e.getMessage(), e);
        }
    }
}
