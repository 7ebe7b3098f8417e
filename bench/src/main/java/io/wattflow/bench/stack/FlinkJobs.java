package io.wattflow.bench.stack;

import com.fasterxml.jackson.databind.JsonNode;
import io.wattflow.stack.FlinkCluster;
import io.wattflow.stack.LocalStack;
import io.wattflow.stack.ManagedProcess;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The benchmark's view of the stack's Flink cluster: submit, watch and cancel jobs through the CLI and the REST API. */
final class FlinkJobs {
    static final String METERING_JOB = "io.wattflow.pipeline.MeteringJob";
    static final String DISCARDING_JOB = "io.wattflow.pipeline.DiscardingSinksJob";
    static final String FRAMEWORK_JOB = "io.wattflow.pipeline.FrameworkCostJob";
    /** The stack's default parallelism (flink-conf/config.yaml): one slot on each TaskManager. */
    static final int PARALLELISM = 2;
    private static final Pattern JOB_ID = Pattern.compile("JobID ([0-9a-f]{32})");
    private static final Pattern TASK_MANAGER_INDEX = Pattern.compile("wattflow-tm-(\\d+)-");

    private final LocalStack stack;
    private final JsonHttp http = new JsonHttp(null);

    FlinkJobs(LocalStack stack) {
        this.stack = stack;
    }

    /**
     * Stops and starts every TaskManager: each benchmark job starts on fresh JVMs, so runs do not inherit another
     * run's JIT or heap, and the metaspace of the job classloaders of earlier runs (each submission loads the job's
     * connectors again; seven submissions filled a TaskManager's 160 MB) is not carried along.
     */
    void freshTaskManagers() {
        for (int i = 1; i <= FlinkCluster.TASK_MANAGERS; i++) {
            stack.flink().taskManager(i).stop(Duration.ofSeconds(20));
        }
        await(() -> stack.flink().rest().registeredTaskManagers() == 0, Duration.ofSeconds(60), "the JobManager to see the TaskManagers go");
        stack.flink().start(true);
    }

    /** Submits the pipeline jar's {@code mainClass} with the stack's addresses and the given options; returns the job id. */
    String submit(String mainClass, Map<String, String> options) {
        return submit(mainClass, options, PARALLELISM);
    }

    /** The same at the given parallelism. */
    String submit(String mainClass, Map<String, String> options, int parallelism) {
        List<String> cli = new ArrayList<>(List.of("run", "-d", "-p", Integer.toString(parallelism), "-c", mainClass,
                stack.layout().pipelineJar().toString()));
        cli.addAll(stack.jobArguments());
        options.forEach((key, value) -> cli.addAll(List.of("--" + key, value)));
        StringBuilder output = new StringBuilder();
        int exit = stack.flink().cli(cli, false, output);
        Matcher id = JOB_ID.matcher(output);
        if (exit != 0 || !id.find()) {
            throw new BenchException("flink run " + mainClass + " failed: " + output.toString().strip());
        }
        return id.group(1);
    }

    JsonNode get(String path) {
        return http.get(stack.flink().restUrl() + path);
    }

    /**
     * Records read by the job's busiest vertex after the source: the keyed one, which every reading passes (Flink's
     * REST metrics, refreshed every second on the benchmark's stack). 0 until it reports.
     */
    long keyedRecordsRead(String jobId) {
        long most = 0;
        for (JsonNode vertex : get("/jobs/" + jobId).get("vertices")) {
            if (!vertex.get("name").asText().startsWith("Source")) {
                most = Math.max(most, vertex.path("metrics").path("read-records").asLong());
            }
        }
        return most;
    }

    /** The TaskManager processes running now. */
    List<ProcessHandle> taskManagerProcesses() {
        List<ProcessHandle> processes = new ArrayList<>();
        for (int i = 1; i <= FlinkCluster.TASK_MANAGERS; i++) {
            stack.flink().taskManager(i).running().ifPresent(processes::add);
        }
        return processes;
    }

    /** RUNNING with every task running: what a restarted job must reach again. */
    boolean allTasksRunning(String jobId) {
        for (JsonNode job : get("/jobs/overview").get("jobs")) {
            if (job.get("jid").asText().equals(jobId)) {
                JsonNode tasks = job.get("tasks");
                return job.get("state").asText().equals("RUNNING") && tasks.get("running").asInt() == tasks.get("total").asInt();
            }
        }
        return false;
    }

    String state(String jobId) {
        return get("/jobs/" + jobId).get("state").asText();
    }

    void cancel(String jobId) {
        http.send(JsonHttp.request(stack.flink().restUrl() + "/jobs/" + jobId + "?mode=cancel").method("PATCH", HttpRequest.BodyPublishers.noBody()));
        await(() -> List.of("CANCELED", "FAILED", "FINISHED").contains(state(jobId)), Duration.ofMinutes(2), "job " + jobId + " to stop");
    }

    private String sourceVertex(String jobId) {
        for (JsonNode vertex : get("/jobs/" + jobId).get("vertices")) {
            if (vertex.get("name").asText().startsWith("Source")) {
                return vertex.get("id").asText();
            }
        }
        throw new BenchException("job " + jobId + " has no source vertex");
    }

    /**
     * Records the Kafka source has not read yet, summed over its subtasks (the connector's {@code pendingRecords}
     * gauge); empty while a restarted source has not reported it.
     */
    OptionalLong pendingRecords(String jobId) {
        String vertex = sourceVertex(jobId);
        String base = "/jobs/" + jobId + "/vertices/" + vertex + "/subtasks/metrics";
        String name = null;
        for (JsonNode metric : get(base)) {
            String id = metric.get("id").asText();
            if (id.endsWith("pendingRecords")) {
                name = id;
            }
        }
        if (name == null) {
            return OptionalLong.empty();
        }
        JsonNode values = get(base + "?get=" + name + "&agg=sum");
        if (!values.isArray() || values.isEmpty() || !values.get(0).has("sum")) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(values.get(0).get("sum").asLong());
    }

    /** The TaskManager (1 or 2, as the stack numbers them) running the first subtask of the Kafka source. */
    int taskManagerOfSource(String jobId) {
        JsonNode subtasks = get("/jobs/" + jobId + "/vertices/" + sourceVertex(jobId)).get("subtasks");
        String taskManager = subtasks.get(0).path("taskmanager-id").asText();
        Matcher index = TASK_MANAGER_INDEX.matcher(taskManager);
        if (!index.find()) {
            throw new BenchException("cannot tell which TaskManager runs the source: '" + taskManager + "'");
        }
        return Integer.parseInt(index.group(1));
    }

    /** Id and full size in bytes of the latest completed checkpoint. */
    Checkpoint latestCheckpoint(String jobId) {
        JsonNode completed = get("/jobs/" + jobId + "/checkpoints").path("latest").path("completed");
        if (completed.isMissingNode() || completed.isNull()) {
            return new Checkpoint(-1, 0);
        }
        return new Checkpoint(completed.get("id").asLong(), completed.get("state_size").asLong());
    }

    record Checkpoint(long id, long stateBytes) {
    }

    static void await(BooleanSupplier condition, Duration timeout, String what) {
        await(condition, timeout, Duration.ofMillis(100), what);
    }

    /** The same, asking every {@code poll}: each question to the JobManager costs it CPU the measured job shares. */
    static void await(BooleanSupplier condition, Duration timeout, Duration poll, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new BenchException("gave up after " + timeout.toSeconds() + " s waiting for " + what);
            }
            ManagedProcess.sleep(poll);
        }
    }
}
