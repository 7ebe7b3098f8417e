package io.wattflow.stack.testing;

import io.wattflow.stack.KafkaBroker;
import io.wattflow.stack.Ports;
import io.wattflow.stack.PostgresServer;
import io.wattflow.stack.QuestDbServer;
import io.wattflow.stack.StackLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The real servers an integration test needs (PostgreSQL, Kafka, QuestDB), started by the same code as the local
 * stack but on free ports in a temporary folder, so tests run beside a demo stack. One set per test JVM: started on
 * first use, stopped (by PID) when the JVM exits, leaving no process or folder behind.
 */
public final class TestServices {
    private static TestServices shared;

    private final StackLayout layout;
    private final Ports ports;
    private PostgresServer postgres;
    private KafkaBroker kafka;
    private QuestDbServer questDb;

    private TestServices(StackLayout layout, Ports ports) {
        this.layout = layout;
        this.ports = ports;
    }

    /** The JVM's one set of services; components start when first asked for. */
    public static synchronized TestServices shared() {
        if (shared == null) {
            shared = new TestServices(new StackLayout(repository(), temporaryHome()), Ports.ephemeral());
            Runtime.getRuntime().addShutdownHook(new Thread(shared::stopAll, "test-services-shutdown"));
        }
        return shared;
    }

    /** The repository root: the surefire/failsafe property, else the nearest folder holding mvnw. */
    public static Path repository() {
        String configured = System.getProperty("wattflow.repo");
        if (configured != null && Files.exists(Path.of(configured, "mvnw"))) {
            return Path.of(configured);
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve("mvnw")) && Files.isDirectory(dir.resolve("sql"))) {
                return dir;
            }
        }
        throw new IllegalStateException("cannot find the repository root; set -Dwattflow.repo");
    }

    private static Path temporaryHome() {
        try {
            Path home = Files.createTempDirectory("wattflow-test-");
            // PostgreSQL runs as the postgres user under root and must be able to reach its folder.
            Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
            return home;
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a temporary folder: " + e.getMessage(), e);
        }
    }

    public StackLayout layout() {
        return layout;
    }

    public Ports ports() {
        return ports;
    }

    public synchronized PostgresServer postgres() {
        if (postgres == null) {
            postgres = new PostgresServer(layout, ports.postgres());
            postgres.start();
        }
        return postgres;
    }

    public synchronized KafkaBroker kafka() {
        if (kafka == null) {
            kafka = new KafkaBroker(layout, ports.kafka(), ports.kafkaController(), ports.kafkaMetrics());
            kafka.start(false);
        }
        return kafka;
    }

    public synchronized QuestDbServer questDb() {
        if (questDb == null) {
            questDb = new QuestDbServer(layout, ports.questDbHttp(), ports.questDbPg(), ports.questDbMetrics());
            questDb.start(false);
        }
        return questDb;
    }

    private synchronized void stopAll() {
        if (questDb != null) {
            questDb.stop();
        }
        if (kafka != null) {
            kafka.stop();
        }
        if (postgres != null) {
            postgres.stop();
        }
        deleteRecursively(layout.home());
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a leftover temporary folder is not worth failing a test run for
        }
    }
}
