package io.wattflow.stack;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/** What the stack asks a Flink cluster's REST API: its jobs and its TaskManagers. */
public final class FlinkRest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String restUrl;

    public FlinkRest(String restUrl) {
        this.restUrl = restUrl;
    }

    /** GET on the REST API; null when it does not answer 200. */
    public String get(String path) {
        return HttpProbe.get(restUrl + path);
    }

    /** Jobs of the cluster as (id, name, state), from {@code /jobs/overview}. */
    public List<JobStatus> jobs() {
        List<JobStatus> jobs = new ArrayList<>();
        getJson("/jobs/overview").path("jobs").forEach(job ->
                jobs.add(new JobStatus(job.path("jid").asText(), job.path("name").asText(), job.path("state").asText())));
        return jobs;
    }

    /** Number of TaskManagers registered with the JobManager. */
    public int registeredTaskManagers() {
        return getJson("/overview").path("taskmanagers").asInt(0);
    }

    /** The named job is RUNNING with every task running. */
    public boolean allTasksRunning(String jobName) {
        for (JsonNode job : getJson("/jobs/overview").path("jobs")) {
            if (job.path("name").asText().equals(jobName) && job.path("state").asText().equals("RUNNING")) {
                return job.path("tasks").path("running").asInt() == job.path("tasks").path("total").asInt(-1);
            }
        }
        return false;
    }

    /** The restarts of the named job that is not over, as its JobManager counts them (0 when none answers). */
    public long restarts(String jobName) {
        for (JobStatus job : jobs()) {
            if (job.name().equals(jobName) && !job.state().matches("CANCELED|FAILED|FINISHED")) {
                for (JsonNode metric : getJson("/jobs/" + job.id() + "/metrics?get=numRestarts")) {
                    return metric.path("value").asLong(0);
                }
            }
        }
        return 0;
    }

    /** The answer as JSON; a missing node when the API does not answer 200 or answers something else. */
    private JsonNode getJson(String path) {
        String body = get(path);
        if (body == null) {
            return JSON.missingNode();
        }
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            return JSON.missingNode();
        }
    }

    public record JobStatus(String id, String name, String state) {
    }
}
