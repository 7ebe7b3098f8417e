package io.wattflow.stack;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/** What the fault campaign watches of the metering job: whether all its tasks run, its restarts (both from the REST API), and its lag. */
final class FlinkJob {
    /** The job's consumer group (the pipeline's kafka.group-id default): it commits offsets on checkpoints. */
    private static final String GROUP = "wattflow-metering";
    private static final int SUBMIT_ATTEMPTS = 3;

    private FlinkJob() {
    }

    /**
     * Submits the metering job with the stack's arguments and {@code extraArguments}, from {@code restorePath} (a
     * savepoint or retained checkpoint) when not null; returns the CLI's line naming the job id.
     */
    static String submit(LocalStack stack, String restorePath, List<String> extraArguments) {
        List<String> cli = new ArrayList<>(List.of("run", "-d"));
        if (restorePath != null) {
            cli.addAll(List.of("-s", restorePath));
        }
        cli.add(stack.layout().pipelineJar().toString());
        cli.addAll(stack.jobArguments());
        cli.addAll(extraArguments);
        String failure = "";
        for (int attempt = 1; attempt <= SUBMIT_ATTEMPTS; attempt++) {
            StringBuilder output = new StringBuilder();
            if (stack.flink().cli(cli, false, output) == 0) {
                return output.toString().lines().filter(line -> line.contains("JobID")).findFirst().orElse("").strip();
            }
            failure = output.toString().strip();
            // A busy JobManager may fail the jar's upload ("File upload failed."): the job was not submitted then, so it
            // is submitted again; one that the JobManager took after all is not submitted twice.
            Optional<FlinkRest.JobStatus> taken = stack.flink().rest().jobs().stream()
                    .filter(job -> job.name().equals(LocalStack.JOB_NAME) && !job.state().matches("CANCELED|FAILED|FINISHED")).findFirst();
            if (taken.isPresent()) {
                return "Job has been submitted with JobID " + taken.get().id();
            }
            ManagedProcess.sleep(Duration.ofSeconds(2L * attempt));
        }
        throw new StackException("the job was not submitted (" + SUBMIT_ATTEMPTS + " attempts): " + failure);
    }

    /** Waits until the job runs every task; false when it does not in time. */
    static boolean awaitAllTasksRunning(LocalStack stack, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (allTasksRunning(stack)) {
                return true;
            }
            ManagedProcess.sleep(Duration.ofMillis(250));
        }
        return false;
    }

    /** The job is RUNNING with every task running. */
    static boolean allTasksRunning(LocalStack stack) {
        return stack.flink().rest().allTasksRunning(LocalStack.JOB_NAME);
    }

    /** The job's restarts as its JobManager counts them (0 when it does not answer). */
    static long restarts(LocalStack stack) {
        return stack.flink().rest().restarts(LocalStack.JOB_NAME);
    }

    /**
     * Waits until the job has committed, at a checkpoint, every offset of {@code readings} that existed when the wait
     * began: the backlog of the fault is processed. False when that does not happen in time.
     */
    static boolean awaitCaughtUp(LocalStack stack, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> target = null;
        while (System.nanoTime() < deadline) {
            try (Admin admin = stack.kafka().admin()) {
                if (target == null) {
                    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                    admin.describeTopics(List.of("readings")).allTopicNames().get(10, TimeUnit.SECONDS).get("readings").partitions()
                            .forEach(partition -> latest.put(new TopicPartition("readings", partition.partition()), OffsetSpec.latest()));
                    target = admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
                }
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata()
                        .get(10, TimeUnit.SECONDS);
                boolean caughtUp = true;
                for (var end : target.entrySet()) {
                    OffsetAndMetadata offset = committed.get(end.getKey());
                    caughtUp &= offset != null && offset.offset() >= end.getValue().offset();
                }
                if (caughtUp) {
                    return true;
                }
            } catch (Exception e) {
                // a broker or the group coordinator is moving: ask again
            }
            ManagedProcess.sleep(Duration.ofMillis(500));
        }
        return false;
    }
}
