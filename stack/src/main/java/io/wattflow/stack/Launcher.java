package io.wattflow.stack;

import io.wattflow.loadgen.GeneratorSettings;
import io.wattflow.loadgen.LoadGenerator;
import io.wattflow.loadgen.importing.CsvReadings;
import io.wattflow.loadgen.importing.ReadingImport;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** {@code bin/wattflow}: the launcher of the local stack. Every failure is one line saying what to fix. */
public final class Launcher {
    static final String USAGE = Commands.usage() + "Ports: " + String.join(", ", Ports.SETTINGS.stream()
            .map(setting -> setting.variable() + " (" + setting.defaultPort() + ")").toList()) + ".\n"
            + "Data and logs: WATTFLOW_HOME (default <repo>/.wattflow). Alerts: WATTFLOW_ALERT_WEBHOOK_URL (Alertmanager's webhook).";

    /** A command the launcher runs, with its arguments; its exit status. */
    @FunctionalInterface
    interface Handler {
        int run(String[] args);
    }

    private final LocalStack stack;
    private final PrintStream out;

    public Launcher(LocalStack stack, PrintStream out) {
        this.stack = stack;
        this.out = out;
    }

    public static void main(String[] args) {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
            System.out.println(USAGE);
            System.exit(args.length == 0 ? 2 : 0);
        }
        int exit;
        try {
            Path repo = Path.of(System.getProperty("wattflow.repo", "."));
            String home = System.getenv("WATTFLOW_HOME");
            StackLayout layout = new StackLayout(repo, home == null || home.isBlank() ? repo.resolve(".wattflow") : Path.of(home));
            LocalStack.Topology topology = args[0].equals("up") && List.of(args).contains("--ha")
                    ? LocalStack.Topology.HIGHLY_AVAILABLE : LocalStack.recordedTopology(layout);
            Launcher launcher = new Launcher(new LocalStack(layout, Ports.fromEnvironment(System.getenv()), true, topology), System.out);
            exit = launcher.run(args[0], Arrays.copyOfRange(args, 1, args.length));
        } catch (StackException e) {
            System.err.println("wattflow: " + e.getMessage());
            exit = 1;
        } catch (IllegalArgumentException e) {
            System.err.println("wattflow: " + e.getMessage());
            exit = 2;
        }
        System.exit(exit);
    }

    /** What each command of commands.tsv that runs in the launcher does. */
    Map<String, Handler> handlers() {
        Map<String, Handler> handlers = new LinkedHashMap<>();
        handlers.put("up", args -> {
            for (String arg : args) {
                if (!arg.equals("--ha")) {
                    throw new IllegalArgumentException("up takes only --ha, got '" + arg + "'");
                }
            }
            return done(this::up);
        });
        handlers.put("down", args -> done(this::down));
        handlers.put("status", args -> done(() -> status(args)));
        handlers.put("env", args -> done(() -> stack.environment().forEach((key, value) -> out.println(key + "=" + value))));
        handlers.put("logs", args -> done(this::logs));
        handlers.put("submit", this::submit);
        handlers.put("flink", args -> stack.flink().cli(List.of(args), true, null));
        handlers.put("produce", args -> done(() -> produce(args)));
        handlers.put("import", this::importReadings);
        handlers.put("console-producer", args -> kafkaTool("org.apache.kafka.tools.ConsoleProducer", args));
        handlers.put("console-consumer", args -> kafkaTool("org.apache.kafka.tools.consumer.ConsoleConsumer", args));
        handlers.put("check", args -> check());
        handlers.put("demo", args -> done(this::demo));
        handlers.put("chaos", this::chaos);
        handlers.put("backup", args -> done(() -> backup(args)));
        handlers.put("backups", args -> done(() -> backups(args)));
        handlers.put("restore", args -> done(() -> restore(args)));
        handlers.put("dr-drill", this::drDrill);

        return handlers;
    }

    /**
     * {@code chaos [--faults N] [--seed S] [--keep]}: the fault campaign on a highly available stack of its own in
     * target/chaos/stack, on free ports; stopped at the end unless {@code --keep}. Exit 1 when anything differs.
     */
    int chaos(String[] args) {
        int count = ChaosCampaign.Fault.values().length;
        long seed = 1;
        boolean keep = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--faults" -> count = positive("--faults", i + 1 < args.length ? args[++i] : "");
                case "--seed" -> seed = positive("--seed", i + 1 < args.length ? args[++i] : "");
                case "--keep" -> keep = true;
                default -> throw new IllegalArgumentException("chaos takes --faults N, --seed S and --keep; got '" + args[i] + "'");
            }
        }
        LocalStack campaignStack = freshStack("target/chaos/stack", LocalStack.Topology.HIGHLY_AVAILABLE);
        StackLayout layout = campaignStack.layout();
        List<ChaosCampaign.Fault> plan = ChaosCampaign.plan(count, seed);
        out.println("Fault campaign: " + plan.size() + " faults, seed " + seed + ", on a highly available stack in " + layout.home());
        ChaosCampaign campaign = new ChaosCampaign(campaignStack, out);
        try {
            ChaosCampaign.Result result = campaign.run(plan, seed);
            out.println();
            out.println(ChaosCampaign.header());
            result.outcomes().forEach(outcome -> out.println(ChaosCampaign.row(outcome)));
            return verdict(result.differences(), "Every valid reading billed exactly once; QuestDB equals PostgreSQL; every malformed record "
                    + "dead-lettered once; the billing run issued every invoice once, gap-free, each announced once.");
        } catch (Exception e) {
            throw new StackException("the fault campaign stopped: " + e.getMessage() + " (logs in " + layout.logDir() + ")", e);
        } finally {
            if (!keep) {
                campaignStack.down();
                campaign.release();
            }
        }
    }

    /** Prints {@code exact} and returns 0 when there is no difference; else prints each and returns 1. */
    private int verdict(List<String> differences, String exact) {
        if (differences.isEmpty()) {
            out.println(exact);
            return 0;
        }
        differences.forEach(difference -> out.println("DIFFERENCE: " + difference));
        return 1;
    }

    /**
     * A stack of a command's own in {@code folder} of the repository, on free ports, attached to this launcher: what an
     * earlier run interrupted there left is stopped by its PID files and deleted first.
     */
    private LocalStack freshStack(String folder, LocalStack.Topology topology) {
        StackLayout layout = new StackLayout(stack.layout().repo(), stack.layout().repo().resolve(folder));
        boolean highlyAvailable = topology == LocalStack.Topology.HIGHLY_AVAILABLE;
        new LocalStack(layout, highlyAvailable ? Ports.ephemeralHighlyAvailable() : Ports.ephemeral(), false, topology).down();
        StackLayout.delete(layout.home());
        return new LocalStack(layout, highlyAvailable ? Ports.ephemeralHighlyAvailable() : Ports.ephemeral(), false, topology);
    }

    /** {@code backup [--incremental]}: a backup set, printed as one line of JSON. */
    void backup(String[] args) {
        String type = "full";
        for (String arg : args) {
            if (!arg.equals("--incremental")) {
                throw new IllegalArgumentException("backup takes only --incremental, got '" + arg + "'");
            }
            type = "incr";
        }
        out.println(BackupSets.json(summary(new BackupSets(stack).take(type))));
    }

    /** {@code backups [--json]}: the sets in the object store, oldest first. */
    void backups(String[] args) {
        if (args.length > 1 || (args.length == 1 && !args[0].equals("--json"))) {
            throw new IllegalArgumentException("backups takes only --json, got '" + String.join(" ", args) + "'");
        }
        List<BackupSets.BackupSet> sets = new BackupSets(stack).list();
        if (args.length == 1) {
            out.println(BackupSets.json(sets.stream().map(Launcher::summary).toList()));
            return;
        }
        if (sets.isEmpty()) {
            out.println("no backup set in " + stack.objectStore().url() + ": take one with bin/wattflow backup");
        }
        for (BackupSets.BackupSet set : sets) {
            out.printf("%-18s %-26s PostgreSQL %-20s %-5s savepoint %-4s %5d objects %,12d bytes%n", set.id(), set.created(), set.postgresBackup(),
                    set.postgresBackupType(), set.savepoint() == null ? "no" : "yes", set.objects().size(), set.bytes());
        }
    }

    /** A set as {@code backup} and {@code backups --json} print it: everything but the list of objects. */
    private static Map<String, Object> summary(BackupSets.BackupSet set) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("id", set.id());
        summary.put("created", set.created());
        summary.put("postgresBackup", set.postgresBackup());
        summary.put("postgresBackupType", set.postgresBackupType());
        summary.put("postgresBackupStopped", set.postgresBackupStopped());
        summary.put("jobId", set.jobId());
        summary.put("savepoint", set.savepoint());
        summary.put("billingEventOffsets", set.billingEventOffsets());
        summary.put("objects", set.objects().size());
        summary.put("bytes", set.bytes());
        summary.put("manifest", "s3://" + ObjectStore.BACKUP_BUCKET + "/" + BackupSets.manifestKey(set.id()));
        return summary;
    }

    /** {@code restore [--latest | SET_ID] [--at TIME]}. */
    void restore(String[] args) {
        String set = "latest";
        Optional<Instant> at = Optional.empty();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--latest")) {
                set = "latest";
            } else if (args[i].equals("--at") && i + 1 < args.length) {
                String time = args[++i];
                try {
                    at = Optional.of(Instant.parse(time));
                } catch (java.time.format.DateTimeParseException e) {
                    throw new IllegalArgumentException("--at needs an ISO-8601 time in UTC such as 2026-12-07T15:04:05Z, got '" + time + "'");
                }
            } else if (!args[i].startsWith("--")) {
                set = args[i];
            } else {
                throw new IllegalArgumentException("restore takes --latest or a set id, and --at TIME; got '" + args[i] + "'");
            }
        }
        new DisasterRecovery(stack, out).restore(set, at);
    }

    /** {@code dr-drill [--keep]}: the drill on a stack of its own in target/dr-drill/stack; exit 1 on any difference. */
    int drDrill(String[] args) {
        boolean keep = false;
        for (String arg : args) {
            if (!arg.equals("--keep")) {
                throw new IllegalArgumentException("dr-drill takes only --keep, got '" + arg + "'");
            }
            keep = true;
        }
        LocalStack drillStack = freshStack("target/dr-drill/stack", LocalStack.Topology.SMALL);
        StackLayout layout = drillStack.layout();
        out.println("Disaster-recovery drill on a stack of its own in " + layout.home());
        try {
            DisasterRecoveryDrill.Result result = new DisasterRecoveryDrill(drillStack, out).run(1);
            return verdict(result.differences(), "Every reading that reached Kafka is billed exactly; API data lost only within the archive "
                    + "timeout; the billing run completed without reusing a number; the damaged backup was repaired.");
        } catch (Exception e) {
            throw new StackException("the drill stopped: " + e.getMessage() + " (logs in " + layout.logDir() + ")", e);
        } finally {
            if (!keep) {
                drillStack.down();
            }
        }
    }

    private static int positive(String option, String value) {
        try {
            int parsed = Integer.parseInt(value);
            if (parsed > 0) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // explained below
        }
        throw new IllegalArgumentException(option + " needs a positive whole number, got '" + value + "'");
    }

    private static int done(Runnable command) {
        command.run();
        return 0;
    }

    public int run(String command, String[] args) {
        Handler handler = handlers().get(command);
        if (handler == null) {
            throw new IllegalArgumentException("unknown command '" + command + "'; run bin/wattflow help for the list");
        }
        return handler.run(args);
    }

    void up() {
        out.println("Starting the Wattflow stack in " + stack.layout().home());
        stack.up(out);
        out.println("Stack is up. Flink UI: " + stack.flink().restUrl() + "   API: " + stack.api().url());
    }

    void down() {
        List<String> stopped = stack.down();
        out.println(stopped.isEmpty() ? "nothing was running" : "stopped: " + String.join(", ", stopped));
    }

    void status(String[] args) {
        List<StackStatus.Component> components = StackStatus.of(stack);
        if (List.of(args).equals(List.of("--json"))) {
            out.println(StackStatus.json(components));
            return;
        }
        if (args.length > 0) {
            throw new IllegalArgumentException("status takes no argument but --json; got " + String.join(" ", args));
        }
        for (StackStatus.Component component : components) {
            String state = component.running() ? "running (pid " + component.pid() + ")" : "stopped";
            out.printf("%-22s %-22s %s%n", component.name(), state, component.url());
        }
        if (stack.flink().isJobManagerRunning()) {
            List<FlinkRest.JobStatus> jobs = stack.flink().rest().jobs();
            out.println(jobs.isEmpty() ? "jobs: none" : "jobs:");
            jobs.forEach(job -> out.println("  " + job.name() + "  " + job.state() + "  " + job.id()));
        }
    }

    void logs() {
        out.println("Logs in " + stack.layout().logDir() + ":");
        if (Files.isDirectory(stack.layout().logDir())) {
            try (Stream<Path> files = Files.list(stack.layout().logDir())) {
                files.sorted().forEach(file -> out.println("  " + file));
            } catch (IOException e) {
                throw new StackException("cannot list " + stack.layout().logDir() + ": " + e.getMessage(), e);
            }
        }
        out.println("Checkpoints: " + stack.flink().checkpointDir() + "   Savepoints: " + stack.flink().savepointDir());
    }

    int submit(String[] args) {
        String savepoint = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--from-savepoint") && i + 1 < args.length) {
                savepoint = args[++i];
            } else {
                throw new IllegalArgumentException("submit takes only --from-savepoint PATH, got '" + args[i] + "'");
            }
        }
        if (!stack.flink().isJobManagerRunning()) {
            throw new StackException("Flink is not running: start the stack with bin/wattflow up");
        }
        for (FlinkRest.JobStatus job : stack.flink().rest().jobs()) {
            if (job.name().equals(LocalStack.JOB_NAME) && List.of("RUNNING", "CREATED", "INITIALIZING", "RESTARTING").contains(job.state())) {
                out.println("job " + job.name() + " is already " + job.state() + " (id " + job.id() + "); stop it first with "
                        + "bin/wattflow flink stop --savepointPath " + stack.flink().savepointDir() + " " + job.id());
                return 0;
            }
        }
        String submitted = FlinkJob.submit(stack, savepoint, List.of());
        out.println("submitted " + LocalStack.JOB_NAME + ": " + submitted.strip() + "  (Flink UI: " + stack.flink().restUrl() + ")");
        return 0;
    }

    LoadGenerator.Summary produce(String[] args) {
        requireKafka();
        List<String> withBootstrap = new ArrayList<>(List.of(args));
        if (!withBootstrap.contains("--bootstrap")) {
            withBootstrap.addAll(0, List.of("--bootstrap", stack.kafka().bootstrapServers()));
        }
        LoadGenerator.Options options = LoadGenerator.parse(withBootstrap.toArray(String[]::new), Instant.now());
        LoadGenerator.Summary summary = LoadGenerator.produce(options);
        out.println(summary.describe());
        return summary;
    }

    /**
     * {@code import FILE [--topic readings]}: a CSV or NEM12 file's readings into the readings topic. Exit 0 when every
     * row gave a reading, 1 when some were bad (listed with their line numbers; the others were imported).
     */
    int importReadings(String[] args) {
        String topic = "readings";
        Path file = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--topic") && i + 1 < args.length) {
                topic = args[++i];
            } else if (file == null && !args[i].startsWith("--")) {
                file = Path.of(args[i]);
            } else {
                throw new IllegalArgumentException("usage: bin/wattflow import FILE [--topic readings] (FILE: the project's CSV or NEM12)");
            }
        }
        if (file == null) {
            throw new IllegalArgumentException("usage: bin/wattflow import FILE [--topic readings] (FILE: the project's CSV or NEM12)");
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException("cannot read " + file + ": give the path of a CSV or NEM12 file");
        }
        requireKafka();
        try {
            ReadingImport.Summary summary = ReadingImport.importFile(file, stack.kafka().bootstrapServers(), topic, System.err);
            out.println(summary.describe(file));
            return summary.badRows() == 0 ? 0 : 1;
        } catch (CsvReadings.BadHeader e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        } catch (IllegalStateException e) {
            throw new StackException(e.getMessage(), e);
        } catch (IOException e) {
            throw new StackException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Runs one of Kafka's stock tools against the stack's broker, with the terminal as its input and output. */
    int kafkaTool(String mainClass, String[] args) {
        requireKafka();
        List<String> command = new ArrayList<>(List.of(StackLayout.javaBinary(), "-Xmx256m",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", StackLayout.classPathOf(stack.layout().kafkaLib()), mainClass));
        if (!List.of(args).contains("--bootstrap-server")) {
            command.addAll(List.of("--bootstrap-server", stack.kafka().bootstrapServers()));
        }
        command.addAll(List.of(args));
        try {
            return new ProcessBuilder(command).inheritIO().start().waitFor();
        } catch (IOException e) {
            throw new StackException("cannot run " + mainClass + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted");
        }
    }

    int check() {
        StackCheck.Comparison comparison = StackCheck.compare(stack.postgres(), stack.questDb());
        if (comparison.identical()) {
            out.printf("PostgreSQL and QuestDB agree: %d buckets, %s kWh in total; fleet series: %d buckets%n",
                    comparison.postgresBuckets(), BigDecimal.valueOf(comparison.postgresTotalMilliWattHours(), 6).toPlainString(),
                    comparison.fleetBuckets());
            return 0;
        }
        out.printf("PostgreSQL has %d buckets, QuestDB %d; %d differ; fleet series: %d of %d differ (first: %s)%n",
                comparison.postgresBuckets(), comparison.questDbBuckets(), comparison.differing(), comparison.fleetDiffering(),
                comparison.fleetBuckets(), comparison.firstDifference());
        return 1;
    }

    void demo() {
        up();
        submit(new String[0]);
        out.println("Producing simulated readings: 20 meters, 200 readings/s for 30 s ...");
        LoadGenerator.Summary summary = produce(new String[] {"--meters", "20", "--rate", "200", "--duration", "30s", "--seed", "42"});
        out.print("Waiting until the pipeline has committed every reading to PostgreSQL ... ");
        out.flush();
        awaitTotal(summary.settings(), summary.totalMilliWattHours(), Duration.ofMinutes(3));
        out.println("done");
        out.print("Waiting until QuestDB holds the same buckets ... ");
        out.flush();
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        StackCheck.Comparison comparison = StackCheck.compare(stack.postgres(), stack.questDb());
        while (!comparison.identical() && System.nanoTime() < deadline) {
            ManagedProcess.sleep(Duration.ofSeconds(1));
            comparison = StackCheck.compare(stack.postgres(), stack.questDb());
        }
        out.println(comparison.identical() ? "done" : "not yet: " + comparison);
        GeneratorSettings settings = summary.settings();
        String from = settings.start().atZone(ZoneOffset.UTC).toLocalDate().toString();
        String to = settings.end().atZone(ZoneOffset.UTC).toLocalDate().plusDays(1).toString();
        Map<String, String> env = stack.environment();
        out.println();
        out.println("Wattflow demo is running.");
        out.println("  Flink UI (job " + LocalStack.JOB_NAME + "): " + env.get("FLINK_REST_URL"));
        out.println("  PostgreSQL and QuestDB: " + comparison.postgresBuckets() + " buckets, "
                + BigDecimal.valueOf(comparison.postgresTotalMilliWattHours(), 6).toPlainString() + " kWh"
                + (comparison.identical() ? ", identical" : ", NOT identical"));
        out.println();
        out.println("Usage of meter MTR-0001, per day (UTC):");
        out.println("  curl -s -H 'Authorization: Bearer " + env.get("WATTFLOW_ADMIN_TOKEN") + "' '" + env.get("WATTFLOW_API_URL")
                + "/api/v1/meters/MTR-0001/usage?from=" + from + "&to=" + to + "&granularity=day'");
        out.println("Per hour, in Berlin time:");
        out.println("  curl -s -H 'Authorization: Bearer " + env.get("WATTFLOW_ADMIN_TOKEN") + "' '" + env.get("WATTFLOW_API_URL")
                + "/api/v1/meters/MTR-0001/usage?from=" + from + "&to=" + to + "&granularity=hour&tz=Europe/Berlin'");
        out.println();
        out.println("More readings: bin/wattflow produce --meters 100 --rate 1000 --duration 60s");
        out.println("Compare the stores: bin/wattflow check     Stop everything: bin/wattflow down");
    }

    /** Waits until the generated meters' usage over the generated window equals what was produced. */
    private void awaitTotal(GeneratorSettings settings, long expectedMilliWattHours, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long seen = -1;
        String sql = """
                SELECT coalesce(sum(energy_mwh), 0) FROM usage_15m
                 WHERE meter_id BETWEEN ? AND ? AND channel = 'import' AND bucket_start >= ? AND bucket_start < ?
                """;
        while (System.nanoTime() < deadline) {
            try (Connection connection = stack.postgres().connect(PostgresServer.DATABASE);
                 PreparedStatement statement = connection.prepareStatement(sql)) {
                statement.setString(1, GeneratorSettings.meterId(0));
                statement.setString(2, GeneratorSettings.meterId(settings.meters() - 1));
                statement.setTimestamp(3, Timestamp.from(settings.start()));
                statement.setTimestamp(4, Timestamp.from(settings.end()));
                ResultSet rows = statement.executeQuery();
                rows.next();
                seen = rows.getLong(1);
                if (seen == expectedMilliWattHours) {
                    return;
                }
            } catch (SQLException e) {
                throw new StackException("cannot read usage_15m: " + e.getMessage(), e);
            }
            ManagedProcess.sleep(Duration.ofSeconds(1));
        }
        throw new StackException("after " + timeout.toSeconds() + " s PostgreSQL holds " + seen + " of " + expectedMilliWattHours
                + " mWh; see the job in the Flink UI at " + stack.flink().restUrl() + " and bin/wattflow logs");
    }

    private void requireKafka() {
        if (stack.kafka().anyRunning().isEmpty()) {
            throw new StackException("Kafka is not running: start the stack with bin/wattflow up");
        }
    }
}
