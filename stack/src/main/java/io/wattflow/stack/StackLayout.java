package io.wattflow.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Where things are: the repository (built artifacts, configuration) and the stack's home (data, logs, PID files,
 * generated secrets). The home defaults to {@code <repo>/.wattflow} and is overridden by {@code WATTFLOW_HOME}.
 */
public record StackLayout(Path repo, Path home) {

    public StackLayout {
        repo = repo.toAbsolutePath().normalize();
        home = home.toAbsolutePath().normalize();
    }

    public Path runDir() {
        return home.resolve("run");
    }

    public Path logDir() {
        return home.resolve("logs");
    }

    public Path secretsDir() {
        return home.resolve("secrets");
    }

    public Path dataDir(String component) {
        return home.resolve("data").resolve(component);
    }

    public Path kafkaLib() {
        return repo.resolve("stack/dist-kafka/target/lib");
    }

    /** Prometheus' JMX exporter as a Java agent: Kafka's metrics over HTTP. */
    public Path kafkaMetricsAgent() {
        return repo.resolve("stack/dist-kafka/target/agent/jmx_prometheus_javaagent.jar");
    }

    /** deploy/: the configuration that production uses too (Prometheus rules, exporter settings). */
    public Path deployDir() {
        return repo.resolve("deploy");
    }

    public Path flinkLib() {
        return repo.resolve("stack/dist-flink/target/lib");
    }

    public Path zooKeeperLib() {
        return repo.resolve("stack/dist-zookeeper/target/lib");
    }

    /** S3Mock's executable jar: the local stack's object store. */
    public Path objectStoreJar() {
        return repo.resolve("stack/dist-objectstore/target/lib/s3mock-exec.jar");
    }

    /** Flink's plugins: the S3 filesystem, each in its own folder. */
    public Path flinkPlugins() {
        return repo.resolve("stack/dist-flink/target/plugins");
    }

    public Path questDbLib() {
        return repo.resolve("stack/dist-questdb/target/lib");
    }

    public Path flinkConfSource() {
        return repo.resolve("flink-conf");
    }

    public Path pipelineJar() {
        return builtJar("pipeline/target", "-job.jar");
    }

    public Path billingApiJar() {
        return builtJar("billing-api/target", "-all.jar");
    }

    public Path loadgenJar() {
        return builtJar("loadgen/target", "-all.jar");
    }

    private Path builtJar(String folder, String suffix) {
        Path dir = repo.resolve(folder);
        if (Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                var found = files.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
                if (!found.isEmpty()) {
                    return found.get(found.size() - 1);
                }
            } catch (IOException e) {
                throw new StackException("cannot list " + dir + ": " + e.getMessage(), e);
            }
        }
        throw new StackException("no " + folder + "/*" + suffix + " found: build it with ./mvnw -DskipTests package");
    }

    /** Deletes a folder and everything in it; nothing when it does not exist. */
    public static void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new StackException("cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The class path of every jar in a folder, sorted, as Flink's own scripts build it. */
    public static String classPathOf(Path lib) {
        if (!Files.isDirectory(lib)) {
            throw new StackException(lib + " is missing: build the stack with ./mvnw -DskipTests package");
        }
        try (Stream<Path> jars = Files.list(lib)) {
            return String.join(":", jars.filter(p -> p.toString().endsWith(".jar")).map(Path::toString).sorted().toList());
        } catch (IOException e) {
            throw new StackException("cannot list " + lib + ": " + e.getMessage(), e);
        }
    }

    /** The java binary of this JVM, so every component runs on the JDK the launcher was started with. */
    public static String javaBinary() {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
