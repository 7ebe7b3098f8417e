package io.wattflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.wattflow.stack.testing.TestServices;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Backups in the versioned object store and restores from them, as a user runs them: {@code bin/wattflow dr-drill}
 * (the whole story: load, billing run, backup, disaster, damaged backup, restore, checks), and {@code backup},
 * {@code backups} and {@code restore --at} on a stack of the test's own.
 */
class DisasterRecoveryIT {

    @Test
    void theDrillLosesNoReadingRepairsTheDamagedBackupAndReportsRpoAndRto() throws Exception {
        Path repo = TestServices.repository();
        Process drill = new ProcessBuilder(repo.resolve("bin/wattflow").toString(), "dr-drill").redirectErrorStream(true).start();
        String output = new String(drill.getInputStream().readAllBytes());
        assertThat(drill.waitFor(20, TimeUnit.MINUTES)).isTrue();
        System.out.println(output);

        assertThat(drill.exitValue()).as(output).isZero();
        assertThat(output).contains("met: usage_15m equals the generator's totals to the milli-Wh")
                .contains("backup damaged: 2 objects put back from their versions")
                .contains("Every reading that reached Kafka is billed exactly");
        Matcher rpo = Pattern.compile("RPO, API data: +(\\d+\\.\\d) s").matcher(output);
        assertThat(rpo.find()).as(output).isTrue();
        Matcher rto = Pattern.compile("RTO: +PostgreSQL (\\d+\\.\\d) s, API answering (\\d+\\.\\d) s, job running (\\d+\\.\\d) s").matcher(output);
        assertThat(rto.find()).as(output).isTrue();
        // the drill's stack is stopped: none of the PIDs it recorded runs
        try (Stream<Path> pidFiles = Files.list(repo.resolve("target/dr-drill/stack/run"))) {
            for (Path pidFile : pidFiles.filter(file -> file.toString().endsWith(".pid")).toList()) {
                long pid = Long.parseLong(Files.readString(pidFile).trim());
                assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as(pidFile.toString()).isFalse();
            }
        }
    }

    @Test
    void aBackupSetIsListedAndRestoresTheDatabaseToAMomentWhileTheJobResumes() throws Exception {
        try (E2eStack stack = new E2eStack()) {
            stack.ok("up");
            JsonNode objectStore = stack.components().get(0);
            assertThat(objectStore.get("kind").asText()).isEqualTo("object-store");
            assertThat(objectStore.get("running").asBoolean()).isTrue();
            assertThat(objectStore.get("dataDir").asText()).isEqualTo(stack.home.resolve("data/object-store/store").toString());
            stack.ok("submit");

            JsonNode full = backupSet(stack.ok("backup"));
            assertThat(full.get("postgresBackupType").asText()).isEqualTo("full");
            assertThat(full.get("savepoint").asText()).startsWith("s3://wattflow-flink/savepoints/");
            assertThat(full.get("objects").asInt()).isPositive();
            try (Connection db = stack.database(); Statement sql = db.createStatement()) {
                sql.execute("INSERT INTO customer (id, name, timezone) VALUES ('BEFORE-1', 'Before', 'UTC')");
            }
            // an incremental backup builds on the full one: its set names the full backup's objects too
            JsonNode incremental = backupSet(stack.ok("backup", "--incremental"));
            assertThat(incremental.get("postgresBackupType").asText()).isEqualTo("incr");
            assertThat(incremental.get("objects").asInt()).isGreaterThan(full.get("objects").asInt());
            String id = incremental.get("id").asText();
            JsonNode listed = E2eStack.JSON.readTree(stack.ok("backups", "--json").lines().filter(line -> line.startsWith("[")).findFirst().orElseThrow());
            assertThat(listed).extracting(set -> set.get("id").asText()).containsExactly(full.get("id").asText(), id);
            Thread.sleep(1_000);
            Instant moment = Instant.now();
            Thread.sleep(1_000);
            // readings after the moment: once the job has checkpointed them, only its resync can bring their totals back
            // into a database restored to the moment (the job resumes past them in Kafka)
            String produced = stack.ok("produce", "--meters", "5", "--rate", "100", "--duration", "3s", "--seed", "7");
            Matcher kWh = Pattern.compile("seed 7: (\\d+\\.\\d{6}) kWh valid in total").matcher(produced);
            assertThat(kWh.find()).as(produced).isTrue();
            long expectedMilliWattHours = new BigDecimal(kWh.group(1)).movePointRight(6).longValueExact();
            awaitUsage(stack, expectedMilliWattHours);
            try (Connection db = stack.database(); Statement sql = db.createStatement()) {
                sql.execute("INSERT INTO customer (id, name, timezone) VALUES ('AFTER-1', 'After', 'UTC')");
                // a bad change after the moment, which the restore must undo
                sql.execute("DELETE FROM customer WHERE id = 'BEFORE-1'");
                // the WAL past the moment must be archived before it can be replayed to the moment
                sql.execute("SELECT pg_switch_wal()");
            }
            awaitArchived(stack);

            String restored = stack.ok("restore", id, "--at", moment.toString());
            assertThat(restored).contains("backup set " + id).contains("PostgreSQL: restoring to " + moment)
                    .contains("job: resuming from s3://wattflow-flink/");
            List<String> customers = new ArrayList<>();
            try (Connection db = stack.database(); Statement sql = db.createStatement();
                 ResultSet rows = sql.executeQuery("SELECT id FROM customer WHERE id IN ('BEFORE-1', 'AFTER-1') ORDER BY id")) {
                while (rows.next()) {
                    customers.add(rows.getString(1));
                }
            }
            assertThat(customers).containsExactly("BEFORE-1");
            awaitUsage(stack, expectedMilliWattHours);
            String status = stack.ok("status");
            assertThat(status).contains("wattflow-metering  RUNNING");
            assertThat(stack.wattflow("restore", "--at", "yesterday").output()).contains("--at needs an ISO-8601 time");
        }
    }

    private static JsonNode backupSet(String output) throws Exception {
        return E2eStack.JSON.readTree(output.lines().filter(line -> line.startsWith("{")).findFirst()
                .orElseThrow(() -> new AssertionError("backup printed no JSON line:\n" + output)));
    }

    /** Until usage_15m holds exactly this much energy (it never may hold more). */
    private static void awaitUsage(E2eStack stack, long milliWattHours) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        long found = -1;
        while (System.nanoTime() < deadline) {
            try (Connection db = stack.database(); Statement sql = db.createStatement();
                 ResultSet row = sql.executeQuery("SELECT coalesce(sum(energy_mwh), 0) FROM usage_15m")) {
                row.next();
                found = row.getLong(1);
            }
            assertThat(found).isLessThanOrEqualTo(milliWattHours);
            if (found == milliWattHours) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("usage_15m holds " + found + " mWh, not " + milliWattHours + ", after 2 minutes");
    }

    /** Until PostgreSQL reports the segment it switched from archived, without failures since. */
    private static void awaitArchived(E2eStack stack) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            try (Connection db = stack.database(); Statement sql = db.createStatement();
                 ResultSet row = sql.executeQuery("SELECT last_archived_wal >= pg_walfile_name(pg_current_wal_lsn() - 1) FROM pg_stat_archiver")) {
                if (row.next() && row.getBoolean(1)) {
                    return;
                }
            }
            Thread.sleep(250);
        }
        throw new AssertionError("PostgreSQL did not archive its WAL within 2 minutes");
    }
}
