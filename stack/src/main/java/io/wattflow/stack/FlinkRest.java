package io.wattflow.stack;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the stack asks a Flink cluster's REST API: its jobs and its TaskManagers. */
public final class FlinkRest {
    private final String restUrl;

    public FlinkRest(String restUrl) {
        this.restUrl = restUrl;
    }

    /** GET on the REST API; null when it does not answer 200. */
    public String get(String path) {
        return HttpProbe.get(restUrl + path);
    }

    private static final Pattern JOB = Pattern.compile("\\{\"jid\":\"([0-9a-f]+)\",\"name\":\"((?:[^\"\\\\]|\\\\.)*)\",[^{}]*?\"state\":\"([A-Z_]+)\"");

    /** Jobs of the cluster as (id, name, state), from {@code /jobs/overview}. */
    public List<JobStatus> jobs() {
        String body = get("/jobs/overview");
        if (body == null) {
            return List.of();
        }
        List<JobStatus> jobs = new ArrayList<>();
        Matcher matcher = JOB.matcher(body);
        while (matcher.find()) {
            jobs.add(new JobStatus(matcher.group(1), matcher.group(2), matcher.group(3)));
        }
        return jobs;
    }

    /** Number of TaskManagers registered with the JobManager. */
    public int registeredTaskManagers() {
        String body = get("/overview");
        if (body == null) {
            return 0;
        }
        Matcher matcher = Pattern.compile("\"taskmanagers\":(\\d+)").matcher(body);
        return matcher.find() ? Integer.parseInt(matcher.group(1)) : 0;
    }

    public record JobStatus(String id, String name, String state) {
    }
}
