package io.wattflow.stack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Flink standalone session cluster assembled from Maven artifacts (Maven Central has no flink-dist):
 * one JobManager and {@link #TASK_MANAGERS} TaskManagers, each its own JVM, started the way Flink's own
 * scripts start them (memory flags from BashJavaUtils, the JDK 17 module options of {@code env.java.opts.all}).
 * Highly available ({@code up --ha}): two JobManagers elect their leader in ZooKeeper, which also keeps the pointers to
 * the running jobs and their latest checkpoints; when the leader dies, the standby takes over and resumes the jobs from
 * their latest checkpoints, and the TaskManagers and the CLI follow the leader through ZooKeeper.
 */
public final class FlinkCluster {
    public static final int TASK_MANAGERS = 2;
    private static final String RESULT_PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:";
    // One fixed port per JVM instead of config.yaml's range: Prometheus must know which process answers where.
    private static final String METRICS_PORT_KEY = "metrics.reporter.prom.port";

    private final StackLayout layout;
    private final int restPort;
    private final int rpcPort;
    private final int metricsPort;
    private final Path flinkHome;
    private final String zooKeeperQuorum;
    private final Map<String, String> overrides = new LinkedHashMap<>();
    private ObjectStore objectStore;

    /** @param metricsPort the JobManager's Prometheus endpoint; TaskManager {@code i} serves on {@code metricsPort + i} */
    public FlinkCluster(StackLayout layout, int restPort, int rpcPort, int metricsPort) {
        this(layout, restPort, rpcPort, metricsPort, null);
    }

    private FlinkCluster(StackLayout layout, int restPort, int rpcPort, int metricsPort, String zooKeeperQuorum) {
        this.layout = layout;
        this.restPort = restPort;
        this.rpcPort = rpcPort;
        this.metricsPort = metricsPort;
        this.flinkHome = layout.home().resolve("flink");
        this.zooKeeperQuorum = zooKeeperQuorum;
    }

    /**
     * Two JobManagers electing their leader in the ZooKeeper ensemble: the second listens {@link Ports#HA_PORT_STEP}
     * above the first's REST and RPC ports, and serves its metrics on the port after the last TaskManager's.
     */
    public static FlinkCluster highlyAvailable(StackLayout layout, Ports ports, ZooKeeperEnsemble zooKeeper) {
        return new FlinkCluster(layout, ports.flinkRest(), ports.flinkRpc(), ports.flinkMetrics(), zooKeeper.connectString());
    }

    public boolean isHighlyAvailable() {
        return zooKeeperQuorum != null;
    }

    public int jobManagerCount() {
        return isHighlyAvailable() ? 2 : 1;
    }

    /**
     * Checkpoints and savepoints in the object store ({@code s3://wattflow-flink/}) through Flink's S3 filesystem
     * plugin, so the job's state outlives this machine; without a store they stay in the cluster's folder.
     */
    public FlinkCluster stateIn(ObjectStore store) {
        this.objectStore = store;
        return this;
    }

    /** One key of the cluster's configuration set differently from flink-conf/config.yaml (for the benchmark, say). */
    public FlinkCluster with(String key, String value) {
        overrides.put(key, value);
        return this;
    }

    /**
     * Where the Flink REST API and web UI answer: the only JobManager, or in a highly available cluster the leader (the
     * first when none leads). Every JobManager's REST API answers for the leader, so a client may use either.
     */
    public String restUrl() {
        return restUrl(leadingJobManager().orElse(1));
    }

    /** The REST API of JobManager {@code n} (1-based). */
    public String restUrl(int jobManager) {
        return "http://" + Ports.HOST + ":" + restPort(jobManager);
    }

    public int restPort(int jobManager) {
        return restPort + Ports.HA_PORT_STEP * (jobManager - 1);
    }

    private int rpcPort(int jobManager) {
        return rpcPort + Ports.HA_PORT_STEP * (jobManager - 1);
    }

    /**
     * The JobManager (1-based) that leads: the one running a ResourceManager, seen in its metrics. A standby's REST API
     * answers too (for the leader), but it starts its ResourceManager and Dispatcher only when it is elected.
     */
    public Optional<Integer> leadingJobManager() {
        if (!isHighlyAvailable()) {
            return Optional.of(1);
        }
        for (int n = 1; n <= jobManagerCount(); n++) {
            String metrics = jobManager(n).isRunning() ? HttpProbe.get("http://" + Ports.HOST + ":" + jobManagerMetricsPort(n) + "/metrics") : null;
            if (metrics != null && metrics.contains("flink_jobmanager_numRegisteredTaskManagers")) {
                return Optional.of(n);
            }
        }
        return Optional.empty();
    }

    /** The cluster's own folder: configuration, checkpoints, savepoints and the TaskManagers' working state. */
    public Path home() {
        return flinkHome;
    }

    /** The Prometheus endpoint of the JobManager (0) or of TaskManager {@code i}. */
    public int metricsPort(int process) {
        return metricsPort + process;
    }

    /** The Prometheus endpoint of JobManager {@code n} (1-based): the standby's follows the last TaskManager's. */
    public int jobManagerMetricsPort(int jobManager) {
        return jobManager == 1 ? metricsPort : metricsPort + TASK_MANAGERS + jobManager - 1;
    }

    /** The configuration of the TaskManagers and the CLI (and of the JobManager of a small cluster). */
    public Path confDir() {
        return flinkHome.resolve("conf");
    }

    /** The configuration of JobManager {@code n}: its own ports on top of {@link #confDir()}'s keys. */
    private Path confDir(int jobManager) {
        return isHighlyAvailable() ? flinkHome.resolve("conf-jobmanager-" + jobManager) : confDir();
    }

    /** Where the job's checkpoints go: {@code <this>/<job id>/chk-<n>}, the newest retained ones kept. */
    public String checkpointDir() {
        return objectStore != null ? "s3://" + ObjectStore.FLINK_BUCKET + "/checkpoints" : flinkHome.resolve("checkpoints").toUri().toString();
    }

    public String savepointDir() {
        return objectStore != null ? "s3://" + ObjectStore.FLINK_BUCKET + "/savepoints" : flinkHome.resolve("savepoints").toUri().toString();
    }

    /** The JobManager of a small cluster, the first of a highly available one. */
    public ManagedProcess jobManager() {
        return jobManager(1);
    }

    /** JobManager {@code n} (1-based). */
    public ManagedProcess jobManager(int n) {
        return flinkProcess(isHighlyAvailable() ? "flink-jobmanager-" + n : "flink-jobmanager");
    }

    /** A JobManager runs (in a highly available cluster: any of them). */
    public boolean isJobManagerRunning() {
        return jobManagers().stream().anyMatch(ManagedProcess::isRunning);
    }

    public List<ManagedProcess> jobManagers() {
        List<ManagedProcess> all = new ArrayList<>();
        for (int n = 1; n <= jobManagerCount(); n++) {
            all.add(jobManager(n));
        }
        return all;
    }

    public ManagedProcess taskManager(int index) {
        return flinkProcess("flink-taskmanager-" + index);
    }

    private ManagedProcess flinkProcess(String name) {
        return new ManagedProcess(name, layout.runDir(), layout.logDir().resolve(name + ".out"), layout.logDir().resolve(name + ".log"));
    }

    public List<ManagedProcess> processes() {
        List<ManagedProcess> all = new ArrayList<>(jobManagers());
        for (int i = 1; i <= TASK_MANAGERS; i++) {
            all.add(taskManager(i));
        }
        return all;
    }

    /** Starts whatever is not running: the JobManagers first, then each missing TaskManager. */
    public void start(boolean detached) {
        writeConfiguration();
        for (int n = 1; n <= jobManagerCount(); n++) {
            ManagedProcess jobManager = jobManager(n);
            if (jobManager.isRunning()) {
                continue;
            }
            Ports.requireFree(restPort(n), "the Flink REST API and web UI", "WATTFLOW_FLINK_PORT");
            Ports.requireFree(rpcPort(n), "the Flink JobManager's RPC", "WATTFLOW_FLINK_RPC_PORT");
            Path conf = confDir(n);
            List<String> command = command(jobManager, conf, "GET_JM_RESOURCE_PARAMS",
                    "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
                    List.of("--configDir", conf.toString(), "--executionMode", "cluster"), Map.of());
            jobManager.start(command, environment(conf), flinkHome, detached);
            String url = restUrl(n);
            jobManager.awaitReady(() -> HttpProbe.get(url + "/overview") != null, Duration.ofSeconds(120), "REST answering at " + url);
        }
        for (int i = 1; i <= TASK_MANAGERS; i++) {
            ManagedProcess taskManager = taskManager(i);
            if (taskManager.isRunning()) {
                continue;
            }
            String resourceId = "wattflow-tm-" + i + "-" + System.currentTimeMillis();
            List<String> command = command(taskManager, confDir(), "GET_TM_RESOURCE_PARAMS",
                    "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
                    List.of("--configDir", confDir().toString()),
                    Map.of("taskmanager.resource-id", resourceId, METRICS_PORT_KEY, Integer.toString(metricsPort(i))));
            taskManager.start(command, environment(confDir()), flinkHome, detached);
            taskManager.awaitReady(() -> {
                String body = get("/taskmanagers");
                return body != null && body.contains(resourceId);
            }, Duration.ofSeconds(120), "registered with the JobManager");
        }
    }

    public void stop() {
        List<ManagedProcess> all = processes();
        for (int i = all.size() - 1; i >= 0; i--) {
            all.get(i).stop(Duration.ofSeconds(20));
        }
    }

    /** The configuration the cluster runs with: flink-conf/ with the keys the launcher owns set for this stack. */
    void writeConfiguration() {
        writeConfiguration(confDir(), 1);
        if (isHighlyAvailable()) {
            for (int n = 1; n <= jobManagerCount(); n++) {
                writeConfiguration(confDir(n), n);
            }
        }
    }

    /** The configuration in {@code dir}, with the ports of JobManager {@code jobManager}. */
    private void writeConfiguration(Path dir, int jobManager) {
        Map<String, String> owned = new LinkedHashMap<>();
        owned.put("rest.port", Integer.toString(restPort(jobManager)));
        owned.put("jobmanager.rpc.port", Integer.toString(rpcPort(jobManager)));
        if (isHighlyAvailable()) {
            owned.put("high-availability.type", "zookeeper");
            owned.put("high-availability.zookeeper.quorum", zooKeeperQuorum);
            owned.put("high-availability.zookeeper.path.root", "/flink");
            owned.put("high-availability.cluster-id", "/wattflow");
            // job graphs and checkpoint metadata; ZooKeeper holds only pointers to them
            owned.put("high-availability.storageDir", flinkHome.resolve("ha").toUri().toString());
            // in a highly available cluster this key, not jobmanager.rpc.port, is the JobManager's RPC port
            owned.put("high-availability.jobmanager.port", Integer.toString(rpcPort(jobManager)));
            // How long a dead leader keeps its leadership: its ZooKeeper session must expire before the standby takes
            // over. Flink's default of 60 s would break the goal of a job running again within 30 s of a fault.
            owned.put("high-availability.zookeeper.client.session-timeout", "6000");
            owned.put("high-availability.zookeeper.client.connection-timeout", "3000");
            // A ZooKeeper node dying suspends its clients' connections until they reconnect to another node, well within
            // the session: leaders keep their leadership meanwhile instead of restarting every job (Flink's default).
            owned.put("high-availability.zookeeper.client.tolerate-suspended-connections", "true");
        }
        owned.put("execution.checkpointing.dir", checkpointDir());
        owned.put("execution.checkpointing.savepoint-dir", savepointDir());
        if (objectStore != null) {
            owned.putAll(new TreeMap<>(objectStore.flinkSettings()));
        }
        owned.put("io.tmp.dirs", flinkHome.resolve("tmp/jobmanager").toString());
        owned.put("web.upload.dir", flinkHome.resolve("upload").toString());
        owned.put("env.log.dir", layout.logDir().toString());
        // The JobManager's reporter reads its port from the file (a -D given to the entrypoint does not reach it);
        // each TaskManager gets its own with -D.
        owned.put(METRICS_PORT_KEY, Integer.toString(jobManagerMetricsPort(jobManager)));
        owned.putAll(overrides);
        try {
            Files.createDirectories(dir);
            for (String folder : List.of("checkpoints", "savepoints", "upload", "bin", "tmp")) {
                Files.createDirectories(flinkHome.resolve(folder));
            }
            List<String> lines = new ArrayList<>(Files.readAllLines(layout.flinkConfSource().resolve("config.yaml")));
            lines.removeIf(line -> owned.keySet().stream().anyMatch(key -> line.startsWith(key + ":")));
            lines.add("# --- set by bin/wattflow for this stack ---");
            owned.forEach((key, value) -> lines.add(key + ": " + value));
            // owner-only: it holds the object store's keys
            Secrets.replaceOwnerOnly(dir.resolve("config.yaml"), String.join("\n", lines) + "\n", null);
            for (String file : List.of("log4j.properties", "log4j-cli.properties")) {
                Files.copy(layout.flinkConfSource().resolve(file), dir.resolve(file), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new StackException("cannot write the Flink configuration to " + dir + ": " + e.getMessage(), e);
        }
    }

    private Map<String, String> environment(Path conf) {
        return Map.of(
                "FLINK_CONF_DIR", conf.toString(),
                "FLINK_LIB_DIR", layout.flinkLib().toString(),
                "FLINK_PLUGINS_DIR", layout.flinkPlugins().toString(),
                "FLINK_BIN_DIR", flinkHome.resolve("bin").toString(),
                "FLINK_LOG_DIR", layout.logDir().toString());
    }

    private List<String> command(ManagedProcess process, Path conf, String resourceCommand, String mainClass, List<String> arguments,
                                 Map<String, String> extraDynamic) {
        // Each JVM has its own temporary folder, wiped before it starts: a kill -9 leaves RPC jars and tm_* folders.
        Path tmp = flinkHome.resolve("tmp").resolve(process.name());
        wipe(tmp);
        String classPath = StackLayout.classPathOf(layout.flinkLib());
        List<String> resourceParameters = resourceParameters(classPath, conf, resourceCommand);
        List<String> command = new ArrayList<>();
        command.add(StackLayout.javaBinary());
        command.addAll(Arrays.asList(resourceParameters.get(0).trim().split("\\s+")));
        command.addAll(javaOptions());
        command.add("-Dlog.file=" + process.logFile().resolveSibling(process.name() + ".log"));
        command.add("-Dlog4j.configuration=file:" + conf.resolve("log4j.properties"));
        command.add("-Dlog4j.configurationFile=file:" + conf.resolve("log4j.properties"));
        command.add("-Dwattflow.home=" + layout.home());
        command.add("-classpath");
        command.add(classPath);
        command.add(mainClass);
        command.addAll(arguments);
        if (resourceParameters.size() > 1 && !resourceParameters.get(1).isBlank()) {
            command.addAll(Arrays.asList(resourceParameters.get(1).trim().split("\\s+")));
        }
        command.addAll(List.of("-D", "io.tmp.dirs=" + tmp));
        extraDynamic.forEach((key, value) -> command.addAll(List.of("-D", key + "=" + value)));
        return command;
    }

    /** {@code env.java.opts.all} of our config.yaml, as Flink's scripts pass it to every JVM. */
    List<String> javaOptions() {
        try {
            for (String line : Files.readAllLines(confDir().resolve("config.yaml"))) {
                if (line.startsWith("env.java.opts.all:")) {
                    return Arrays.asList(line.substring("env.java.opts.all:".length()).trim().split("\\s+"));
                }
            }
            return List.of();
        } catch (IOException e) {
            throw new StackException("cannot read " + confDir().resolve("config.yaml") + ": " + e.getMessage(), e);
        }
    }

    /** Runs BashJavaUtils: line 1 holds the JVM memory flags, line 2 the dynamic properties for the entrypoint. */
    private List<String> resourceParameters(String classPath, Path conf, String resourceCommand) {
        try {
            Process utils = new ProcessBuilder(StackLayout.javaBinary(), "-Xmx128m", "-classpath", classPath,
                    "org.apache.flink.runtime.util.bash.BashJavaUtils", resourceCommand, "--configDir", conf.toString())
                    .redirectErrorStream(true).start();
            String output = new String(utils.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!utils.waitFor(60, TimeUnit.SECONDS) || utils.exitValue() != 0) {
                throw new StackException("Flink could not compute its memory settings (" + resourceCommand + "): " + output.strip());
            }
            List<String> results = output.lines().filter(line -> line.startsWith(RESULT_PREFIX))
                    .map(line -> line.substring(RESULT_PREFIX.length())).toList();
            if (results.isEmpty()) {
                throw new StackException("Flink's BashJavaUtils printed no result: " + output.strip());
            }
            return results;
        } catch (IOException e) {
            throw new StackException("cannot run Flink's BashJavaUtils: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted");
        }
    }

    /** Runs the Flink CLI against this cluster, with the terminal as its input and output. Returns its exit code. */
    public int cli(List<String> arguments, boolean inheritOutput, StringBuilder captured) {
        writeConfiguration();
        List<String> command = new ArrayList<>();
        command.add(StackLayout.javaBinary());
        command.add("-Xmx256m");
        command.addAll(javaOptions());
        command.add("-Dlog.file=" + layout.logDir().resolve("flink-cli.log"));
        command.add("-Dlog4j.configurationFile=file:" + confDir().resolve("log4j-cli.properties"));
        command.add("-classpath");
        command.add(StackLayout.classPathOf(layout.flinkLib()));
        command.add("org.apache.flink.client.cli.CliFrontend");
        command.addAll(arguments);
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().putAll(environment(confDir()));
            if (inheritOutput) {
                builder.inheritIO();
            }
            Process cli = builder.start();
            if (!inheritOutput) {
                String output = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (captured != null) {
                    captured.append(output);
                }
            }
            return cli.waitFor();
        } catch (IOException e) {
            throw new StackException("cannot run the Flink CLI: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted");
        }
    }

    /** The cluster's REST API. */
    public FlinkRest rest() {
        return new FlinkRest(restUrl());
    }

    private String get(String path) {
        return rest().get(path);
    }

    private static void wipe(Path dir) {
        StackLayout.delete(dir);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StackException("cannot create " + dir + ": " + e.getMessage(), e);
        }
    }
}
