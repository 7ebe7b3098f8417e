package io.wattflow.stack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Flink standalone session cluster assembled from Maven artifacts (Maven Central has no flink-dist):
 * one JobManager and {@link #TASK_MANAGERS} TaskManagers, each its own JVM, started the way Flink's own
 * scripts start them (memory flags from BashJavaUtils, the JDK 17 module options of {@code env.java.opts.all}).
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
    private final Map<String, String> overrides = new LinkedHashMap<>();

    /** @param metricsPort the JobManager's Prometheus endpoint; TaskManager {@code i} serves on {@code metricsPort + i} */
    public FlinkCluster(StackLayout layout, int restPort, int rpcPort, int metricsPort) {
        this.layout = layout;
        this.restPort = restPort;
        this.rpcPort = rpcPort;
        this.metricsPort = metricsPort;
        this.flinkHome = layout.home().resolve("flink");
    }

    /** One key of the cluster's configuration set differently from flink-conf/config.yaml (for the benchmark, say). */
    public FlinkCluster with(String key, String value) {
        overrides.put(key, value);
        return this;
    }

    public String restUrl() {
        return "http://" + Ports.HOST + ":" + restPort;
    }

    /** The cluster's own folder: configuration, checkpoints, savepoints and the TaskManagers' working state. */
    public Path home() {
        return flinkHome;
    }

    /** The Prometheus endpoint of the JobManager (0) or of TaskManager {@code i}. */
    public int metricsPort(int process) {
        return metricsPort + process;
    }

    public Path confDir() {
        return flinkHome.resolve("conf");
    }

    public Path checkpointDir() {
        return flinkHome.resolve("checkpoints");
    }

    public Path savepointDir() {
        return flinkHome.resolve("savepoints");
    }

    public ManagedProcess jobManager() {
        return flinkProcess("flink-jobmanager");
    }

    public ManagedProcess taskManager(int index) {
        return flinkProcess("flink-taskmanager-" + index);
    }

    private ManagedProcess flinkProcess(String name) {
        return new ManagedProcess(name, layout.runDir(), layout.logDir().resolve(name + ".out"), layout.logDir().resolve(name + ".log"));
    }

    public List<ManagedProcess> processes() {
        List<ManagedProcess> all = new ArrayList<>();
        all.add(jobManager());
        for (int i = 1; i <= TASK_MANAGERS; i++) {
            all.add(taskManager(i));
        }
        return all;
    }

    /** Starts whatever is not running: the JobManager first, then each missing TaskManager. */
    public void start(boolean detached) {
        writeConfiguration();
        ManagedProcess jobManager = jobManager();
        if (!jobManager.isRunning()) {
            Ports.requireFree(restPort, "the Flink REST API and web UI", "WATTFLOW_FLINK_PORT");
            Ports.requireFree(rpcPort, "the Flink JobManager's RPC", "WATTFLOW_FLINK_RPC_PORT");
            List<String> command = command(jobManager, "GET_JM_RESOURCE_PARAMS",
                    "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
                    List.of("--configDir", confDir().toString(), "--executionMode", "cluster"), Map.of());
            jobManager.start(command, environment(), flinkHome, detached);
            jobManager.awaitReady(() -> get("/overview") != null, Duration.ofSeconds(120), "REST answering at " + restUrl());
        }
        for (int i = 1; i <= TASK_MANAGERS; i++) {
            ManagedProcess taskManager = taskManager(i);
            if (taskManager.isRunning()) {
                continue;
            }
            String resourceId = "wattflow-tm-" + i + "-" + System.currentTimeMillis();
            List<String> command = command(taskManager, "GET_TM_RESOURCE_PARAMS",
                    "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
                    List.of("--configDir", confDir().toString()),
                    Map.of("taskmanager.resource-id", resourceId, METRICS_PORT_KEY, Integer.toString(metricsPort(i))));
            taskManager.start(command, environment(), flinkHome, detached);
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
        Map<String, String> owned = new LinkedHashMap<>();
        owned.put("rest.port", Integer.toString(restPort));
        owned.put("jobmanager.rpc.port", Integer.toString(rpcPort));
        owned.put("execution.checkpointing.dir", checkpointDir().toUri().toString());
        owned.put("execution.checkpointing.savepoint-dir", savepointDir().toUri().toString());
        owned.put("io.tmp.dirs", flinkHome.resolve("tmp/jobmanager").toString());
        owned.put("web.upload.dir", flinkHome.resolve("upload").toString());
        owned.put("env.log.dir", layout.logDir().toString());
        // The JobManager's reporter reads its port from the file (a -D given to the entrypoint does not reach it);
        // each TaskManager gets its own with -D.
        owned.put(METRICS_PORT_KEY, Integer.toString(metricsPort(0)));
        owned.putAll(overrides);
        try {
            Files.createDirectories(confDir());
            for (String dir : List.of("checkpoints", "savepoints", "upload", "plugins", "bin", "tmp")) {
                Files.createDirectories(flinkHome.resolve(dir));
            }
            List<String> lines = new ArrayList<>(Files.readAllLines(layout.flinkConfSource().resolve("config.yaml")));
            lines.removeIf(line -> owned.keySet().stream().anyMatch(key -> line.startsWith(key + ":")));
            lines.add("# --- set by bin/wattflow for this stack ---");
            owned.forEach((key, value) -> lines.add(key + ": " + value));
            Files.write(confDir().resolve("config.yaml"), lines, StandardCharsets.UTF_8);
            for (String file : List.of("log4j.properties", "log4j-cli.properties")) {
                Files.copy(layout.flinkConfSource().resolve(file), confDir().resolve(file),
                        StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new StackException("cannot write the Flink configuration to " + confDir() + ": " + e.getMessage(), e);
        }
    }

    private Map<String, String> environment() {
        return Map.of(
                "FLINK_CONF_DIR", confDir().toString(),
                "FLINK_LIB_DIR", layout.flinkLib().toString(),
                "FLINK_PLUGINS_DIR", flinkHome.resolve("plugins").toString(),
                "FLINK_BIN_DIR", flinkHome.resolve("bin").toString(),
                "FLINK_LOG_DIR", layout.logDir().toString());
    }

    private List<String> command(ManagedProcess process, String resourceCommand, String mainClass, List<String> arguments,
                                 Map<String, String> extraDynamic) {
        // Each JVM has its own temporary folder, wiped before it starts: a kill -9 leaves RPC jars and tm_* folders.
        Path tmp = flinkHome.resolve("tmp").resolve(process.name());
        wipe(tmp);
        String classPath = StackLayout.classPathOf(layout.flinkLib());
        List<String> resourceParameters = resourceParameters(classPath, resourceCommand);
        List<String> command = new ArrayList<>();
        command.add(StackLayout.javaBinary());
        command.addAll(Arrays.asList(resourceParameters.get(0).trim().split("\\s+")));
        command.addAll(javaOptions());
        command.add("-Dlog.file=" + process.logFile().resolveSibling(process.name() + ".log"));
        command.add("-Dlog4j.configuration=file:" + confDir().resolve("log4j.properties"));
        command.add("-Dlog4j.configurationFile=file:" + confDir().resolve("log4j.properties"));
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
    private List<String> resourceParameters(String classPath, String resourceCommand) {
        try {
            Process utils = new ProcessBuilder(StackLayout.javaBinary(), "-Xmx128m", "-classpath", classPath,
                    "org.apache.flink.runtime.util.bash.BashJavaUtils", resourceCommand, "--configDir", confDir().toString())
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
            builder.environment().putAll(environment());
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
        if (Files.exists(dir)) {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                throw new StackException("cannot clean " + dir + ": " + e.getMessage(), e);
            }
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StackException("cannot create " + dir + ": " + e.getMessage(), e);
        }
    }
}
