package io.wattflow.stack;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every component of the local stack, in start order. {@code up} starts only what is not running, so it is safe
 * to run again and brings back a component that died (a killed TaskManager, say).
 */
public final class LocalStack {
    public static final String JOB_NAME = "wattflow-metering";

    private final StackLayout layout;
    private final Ports ports;
    private final boolean detached;
    private final PostgresServer postgres;
    private final KafkaBroker kafka;
    private final QuestDbServer questDb;
    private final FlinkCluster flink;
    private final BillingApiServer api;
    private final Secrets secrets;

    public LocalStack(StackLayout layout, Ports ports, boolean detached) {
        this.layout = layout;
        this.ports = ports;
        this.detached = detached;
        this.postgres = new PostgresServer(layout, ports.postgres());
        this.kafka = new KafkaBroker(layout, ports.kafka(), ports.kafkaController());
        this.questDb = new QuestDbServer(layout, ports.questDbHttp(), ports.questDbPg());
        this.flink = new FlinkCluster(layout, ports.flinkRest(), ports.flinkRpc());
        this.api = new BillingApiServer(layout, ports.api());
        this.secrets = new Secrets(layout.secretsDir());
    }

    public StackLayout layout() {
        return layout;
    }

    public PostgresServer postgres() {
        return postgres;
    }

    public KafkaBroker kafka() {
        return kafka;
    }

    public QuestDbServer questDb() {
        return questDb;
    }

    public FlinkCluster flink() {
        return flink;
    }

    public BillingApiServer api() {
        return api;
    }

    public void up(PrintStream out) {
        step(out, "PostgreSQL", postgres.isRunning(), postgres::start);
        step(out, "Kafka", kafka.isRunning(), () -> kafka.start(detached));
        kafka.createTopics(KafkaBroker.wattflowTopics());
        step(out, "QuestDB", questDb.isRunning(), () -> questDb.start(detached));
        boolean flinkComplete = flink.processes().stream().allMatch(ManagedProcess::isRunning);
        step(out, "Flink (1 JobManager, " + FlinkCluster.TASK_MANAGERS + " TaskManagers)", flinkComplete, () -> flink.start(detached));
        step(out, "billing API", api.isRunning(), () -> {
            adminToken(); // generated on first start; the API stores its hash (bootstrap admin token)
            api.start(postgres, kafka, secrets.file("admin-token"), detached);
        });
    }

    private static void step(PrintStream out, String name, boolean running, Runnable start) {
        if (running) {
            out.println("  " + name + ": already running");
            return;
        }
        out.print("  " + name + ": starting ... ");
        out.flush();
        long started = System.nanoTime();
        try {
            start.run();
        } catch (StackException e) {
            out.println("FAILED");
            throw e;
        }
        out.printf("up in %.1f s%n", (System.nanoTime() - started) / 1e9);
    }

    /** Stops everything this stack started, in reverse order, each by its recorded PID. */
    public List<String> down() {
        List<String> stopped = new ArrayList<>();
        if (api.process().stop(Duration.ofSeconds(15))) {
            stopped.add("billing API");
        }
        List<ManagedProcess> flinkProcesses = flink.processes();
        for (int i = flinkProcesses.size() - 1; i >= 0; i--) {
            if (flinkProcesses.get(i).stop(Duration.ofSeconds(20))) {
                stopped.add(flinkProcesses.get(i).name());
            }
        }
        if (questDb.process().stop(Duration.ofSeconds(20))) {
            stopped.add("QuestDB");
        }
        if (kafka.process().stop(Duration.ofSeconds(30))) {
            stopped.add("Kafka");
        }
        if (postgres.isRunning()) {
            postgres.stop();
            stopped.add("PostgreSQL");
        }
        return stopped;
    }

    /** The admin token: generated on first start, stored in the stack's secrets, only its SHA-256 in the database. */
    public String adminToken() {
        return secrets.get("admin-token");
    }

    /** Machine-readable settings of the running stack. */
    public Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("WATTFLOW_HOME", layout.home().toString());
        env.put("WATTFLOW_API_URL", api.url());
        env.put("WATTFLOW_ADMIN_TOKEN", adminToken());
        env.put("KAFKA_BOOTSTRAP", kafka.bootstrapServers());
        env.put("PG_URL", postgres.jdbcUrl(PostgresServer.DATABASE));
        env.put("PG_USER", PostgresServer.SUPERUSER);
        env.put("PG_PASSWORD_FILE", layout.secretsDir().resolve("postgres-superuser-password").toString());
        env.put("FLINK_REST_URL", flink.restUrl());
        env.put("INFLUX_URL", questDb.url());
        env.put("INFLUX_ORG", "wattflow");
        env.put("INFLUX_BUCKET", "wattflow");
        env.put("QUESTDB_PG_URL", questDb.jdbcUrl());
        return env;
    }

    /** The job's arguments for this stack: every address, and the password as a file, never on the command line. */
    public List<String> jobArguments() {
        return List.of(
                "--kafka.bootstrap-servers", kafka.bootstrapServers(),
                "--postgres.url", postgres.jdbcUrl(PostgresServer.DATABASE),
                "--postgres.user", PostgresServer.PIPELINE_ROLE,
                "--postgres.password-file", postgres.rolePasswordFile(PostgresServer.PIPELINE_ROLE).toString(),
                "--influx.url", questDb.url(),
                "--job.name", JOB_NAME);
    }

    public Ports ports() {
        return ports;
    }
}
