package io.wattflow.bench.stack;

import io.wattflow.loadgen.GeneratorSettings;
import io.wattflow.loadgen.LoadGenerator;
import io.wattflow.pipeline.PipelineConfig;
import io.wattflow.pipeline.reading.RawReading;
import io.wattflow.pipeline.reading.ReadingParser;
import io.wattflow.stack.KafkaBroker;
import io.wattflow.stack.LocalStack;
import io.wattflow.stack.ManagedProcess;
import io.wattflow.stack.PostgresServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The input side: a backlog pre-loaded into Kafka, read by a bare consumer (the ceiling), drained by the real job
 * and by the job with discarding sinks; and the state the job checkpoints per meter.
 *
 * <p>Just over 300 lines: the four figures share the backlog and the topic layout they are measured on.
 */
final class PipelineFigures {
    static final String BACKLOG_TOPIC = "bench.backlog";
    static final String STATE_TOPIC = "bench.state";
    /** As many partitions as the readings topic, so the bare consumer and the job read the same layout. */
    static final int PARTITIONS = 4;

    private final LocalStack stack;
    private final FlinkJobs flink;
    private final BenchSettings settings;
    private final Progress progress;

    /** What was pre-loaded: every reading valid, so the expected total is exact. */
    record Backlog(String topic, long readings, long totalMilliWattHours, int meters) {
    }

    PipelineFigures(LocalStack stack, FlinkJobs flink, BenchSettings settings, Progress progress) {
        this.stack = stack;
        this.flink = flink;
        this.settings = settings;
        this.progress = progress;
    }

    Backlog loadBacklog() {
        createTopic(BACKLOG_TOPIC);
        GeneratorSettings readings = GeneratorSettings.endingBefore(Instant.now(), settings.backlogMeters(),
                settings.backlogReadingsPerMeter(), settings.backlogInterval(), 7);
        progress.say("loading the backlog: %,d readings of %,d meters (%d-minute intervals) into %s ...",
                (long) readings.meters() * readings.readingsPerMeter(), readings.meters(), readings.intervalMinutes(), BACKLOG_TOPIC);
        LoadGenerator.Summary summary = LoadGenerator.produce(new LoadGenerator.Options(stack.kafka().bootstrapServers(),
                BACKLOG_TOPIC, readings, Double.MAX_VALUE));
        progress.say("  %s", summary.describe());
        return new Backlog(BACKLOG_TOPIC, summary.validReadings(), summary.totalMilliWattHours(), readings.meters());
    }

    /**
     * Figure 1: one bare KafkaConsumer per core reads the backlog's partitions from the start and parses every record
     * with the job's own parser; readings/s from the first poll to the last record.
     */
    double ceiling(Backlog backlog) {
        ReadingParser parser = new ReadingParser(PipelineConfig.defaults().readingRules());
        int threads = Math.min(Runtime.getRuntime().availableProcessors(), PARTITIONS);
        List<List<TopicPartition>> assignment = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            assignment.add(new ArrayList<>());
        }
        for (int p = 0; p < PARTITIONS; p++) {
            assignment.get(p % threads).add(new TopicPartition(backlog.topic(), p));
        }
        LongAdder parsed = new LongAdder();
        LongAdder accepted = new LongAdder();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long started = System.nanoTime();
        try {
            List<Future<?>> readers = new ArrayList<>();
            for (List<TopicPartition> partitions : assignment) {
                readers.add(pool.submit(() -> readAndParse(partitions, parser, parsed, accepted)));
            }
            for (Future<?> reader : readers) {
                reader.get(30, TimeUnit.MINUTES);
            }
        } catch (Exception e) {
            throw new BenchException("the bare consumer failed: " + e.getMessage(), e);
        } finally {
            pool.shutdownNow();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        if (accepted.sum() != backlog.readings()) {
            throw new BenchException("the bare consumer parsed " + accepted.sum() + " valid readings, the backlog holds " + backlog.readings());
        }
        return parsed.sum() / seconds;
    }

    private void readAndParse(List<TopicPartition> partitions, ReadingParser parser, LongAdder parsed, LongAdder accepted) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers());
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        properties.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    ReadingParser.Result result = parser.parse(new RawReading(record.topic(), record.partition(), record.offset(),
                            record.timestamp(), record.key(), record.value()));
                    parsed.increment();
                    if (result.reading() != null) {
                        accepted.increment();
                    }
                }
            }
        }
    }

    /**
     * One drain of the backlog by a fresh job (no state, a new consumer group, fresh TaskManagers).
     *
     * @param readingsPerSecond     cold: every reading, from the moment all tasks run to the checkpoint that commits the
     *                              last offset, which is when PostgreSQL holds every bucket
     * @param warmReadingsPerSecond the readings after the first {@link #WARM_UP_SHARE} of the backlog (JIT compiled,
     *                              block cache filled, every meter known), from the moment the keyed vertex has read
     *                              that share to the moment it has read all: how fast the job processes once warm
     * @param taskManagerCpuMicrosPerReading CPU time of the TaskManager processes over that warm part, per reading
     * @param stackCpuMicrosPerReading       the same for every process of the stack together
     * @param taskManagerCompilerShare       of the TaskManagers' CPU over the warm part, the share of their JIT
     *                                       compiler threads: how warm "warm" was
     * @param cpuMicrosPerReadingByProcess   the stack's CPU per reading by process (its PID file's name), most first
     */
    record Drain(double readingsPerSecond, double warmReadingsPerSecond, double taskManagerCpuMicrosPerReading,
                 double stackCpuMicrosPerReading, double taskManagerCompilerShare, Map<String, Double> cpuMicrosPerReadingByProcess) {

        /** "flink-taskmanager-1 14.2, postgres 9.1, ..." */
        String describeProcesses() {
            StringBuilder text = new StringBuilder();
            cpuMicrosPerReadingByProcess.forEach((name, micros) ->
                    text.append(text.isEmpty() ? "" : ", ").append(String.format("%s %.1f", name, micros)));
            return text.toString();
        }
    }

    /**
     * The first part of the backlog that a warm drain does not count: the backlog is ordered by time across meters, so
     * by then every meter has state and the job's hot paths are compiled.
     */
    static final double WARM_UP_SHARE = 0.2;

    /**
     * Figures 2, 3 and their warm and CPU companions: a fresh job drains the backlog. With the real sinks PostgreSQL
     * must then hold exactly the backlog's total, or the run does not count.
     */
    Drain drain(Backlog backlog, String mainClass, int parallelism, int run) {
        boolean realSinks = mainClass.equals(FlinkJobs.METERING_JOB);
        if (realSinks) {
            sql("TRUNCATE usage_15m");
        }
        String name = "bench-" + mainClass.substring(mainClass.lastIndexOf('.') + 1) + "-p" + parallelism + "-" + run + "-"
                + UUID.randomUUID().toString().substring(0, 8);
        flink.freshTaskManagers();
        String jobId = flink.submit(mainClass, jobOptions(name, backlog.topic()), parallelism);
        try {
            FlinkJobs.await(() -> flink.allTasksRunning(jobId), Duration.ofMinutes(2), "job " + name + " to run");
            long started = System.nanoTime();
            long warmUp = (long) (backlog.readings() * WARM_UP_SHARE);
            FlinkJobs.await(() -> flink.keyedRecordsRead(jobId) >= warmUp, DRAIN_TIMEOUT, METRICS_POLL, "job " + name + " to read its warm-up");
            long warmStarted = System.nanoTime();
            long warmRead = flink.keyedRecordsRead(jobId);
            ProcessCpu.Sample taskManagersBefore = ProcessCpu.sample(flink.taskManagerProcesses());
            Map<String, ProcessHandle> processes = stackProcesses();
            Map<String, ProcessCpu.Sample> before = new HashMap<>();
            processes.forEach((process, handle) -> before.put(process, ProcessCpu.sample(List.of(handle))));
            FlinkJobs.await(() -> flink.keyedRecordsRead(jobId) >= backlog.readings(), DRAIN_TIMEOUT, METRICS_POLL, "job " + name + " to read the backlog");
            long warmEnded = System.nanoTime();
            ProcessCpu.Sample taskManagersAfter = ProcessCpu.sample(flink.taskManagerProcesses());
            long taskManagerNanos = taskManagersAfter.nanosSince(taskManagersBefore);
            long compilerNanos = taskManagersAfter.compilerNanosSince(taskManagersBefore);
            Map<String, Long> nanosByProcess = new HashMap<>();
            processes.forEach((process, handle) ->
                    nanosByProcess.put(process, ProcessCpu.sample(List.of(handle)).nanosSince(before.get(process))));
            long stackNanos = nanosByProcess.values().stream().mapToLong(Long::longValue).sum();
            awaitCommitted(name, backlog.topic(), DRAIN_TIMEOUT);
            double seconds = (System.nanoTime() - started) / 1e9;
            if (realSinks) {
                long billed = sqlLong("SELECT coalesce(sum(energy_mwh), 0) FROM usage_15m");
                if (billed != backlog.totalMilliWattHours()) {
                    throw new BenchException("after the drain PostgreSQL holds " + billed + " mWh, the backlog " + backlog.totalMilliWattHours());
                }
            }
            long counted = backlog.readings() - warmRead;
            Map<String, Double> microsByProcess = new LinkedHashMap<>();
            nanosByProcess.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .forEach(entry -> microsByProcess.put(entry.getKey(), entry.getValue() / 1e3 / counted));
            return new Drain(backlog.readings() / seconds, counted / ((warmEnded - warmStarted) / 1e9),
                    taskManagerNanos / 1e3 / counted, stackNanos / 1e3 / counted, (double) compilerNanos / Math.max(1, taskManagerNanos),
                    microsByProcess);
        } finally {
            flink.cancel(jobId);
        }
    }

    private static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(30);
    /**
     * How often a drain asks for the keyed vertex's records: the JobManager refreshes them every second on the
     * benchmark's stack, and asking every 100 ms cost it 8 us of CPU per reading drained, on the same two cores.
     */
    private static final Duration METRICS_POLL = Duration.ofMillis(250);

    /**
     * Every process the stack started, by the name of its PID file, each with its children (PostgreSQL's backends):
     * a process that has ended is left out.
     */
    private Map<String, ProcessHandle> stackProcesses() {
        Map<String, ProcessHandle> processes = new TreeMap<>();
        try (Stream<Path> pidFiles = Files.list(stack.layout().runDir())) {
            for (Path file : (Iterable<Path>) pidFiles::iterator) {
                String name = file.getFileName().toString();
                if (name.endsWith(".pid")) {
                    try {
                        ProcessHandle.of(Long.parseLong(Files.readString(file).trim()))
                                .ifPresent(process -> processes.put(name.substring(0, name.length() - ".pid".length()), process));
                    } catch (IOException | NumberFormatException e) {
                        // removed or half-written while the stack changed: not one of its processes now
                    }
                }
            }
        } catch (IOException e) {
            throw new BenchException("cannot list the stack's processes in " + stack.layout().runDir() + ": " + e.getMessage(), e);
        }
        return processes;
    }

    /**
     * Figure 8: state after one day of 15-minute readings of {@code settings.stateMeters()} meters, as the full size of
     * three successive checkpoints once the day is consumed. The job with discarding sinks is used: the sinks hold no
     * state between checkpoints, and it spares writing millions of rows that the figure does not need.
     */
    List<Double> stateBytesPerMeterPerDay() {
        createTopic(STATE_TOPIC);
        GeneratorSettings day = GeneratorSettings.endingBefore(Instant.now(), settings.stateMeters(), 96, 15, 11);
        progress.say("loading one day of 15-minute readings of %,d meters into %s ...", day.meters(), STATE_TOPIC);
        LoadGenerator.Summary summary = LoadGenerator.produce(new LoadGenerator.Options(stack.kafka().bootstrapServers(),
                STATE_TOPIC, day, Double.MAX_VALUE));
        progress.say("  %s", summary.describe());
        String name = "bench-state-" + UUID.randomUUID().toString().substring(0, 8);
        flink.freshTaskManagers();
        String jobId = flink.submit(FlinkJobs.DISCARDING_JOB, jobOptions(name, STATE_TOPIC));
        try {
            FlinkJobs.await(() -> flink.allTasksRunning(jobId), Duration.ofMinutes(2), "job " + name + " to run");
            awaitCommitted(name, STATE_TOPIC, Duration.ofMinutes(30));
            List<Double> perMeter = new ArrayList<>();
            long last = flink.latestCheckpoint(jobId).id();
            while (perMeter.size() < 3) {
                long after = last;
                FlinkJobs.await(() -> flink.latestCheckpoint(jobId).id() > after, settings.checkpointInterval().multipliedBy(6),
                        "another checkpoint of " + name);
                FlinkJobs.Checkpoint checkpoint = flink.latestCheckpoint(jobId);
                last = checkpoint.id();
                perMeter.add((double) checkpoint.stateBytes() / day.meters());
                progress.say("  checkpoint %d: %,d bytes, %,.0f bytes per meter", checkpoint.id(), checkpoint.stateBytes(),
                        (double) checkpoint.stateBytes() / day.meters());
            }
            return perMeter;
        } finally {
            flink.cancel(jobId);
        }
    }

    /** Options of a benchmark job: its own name, consumer group and transactional ids, so no run sees another's. */
    Map<String, String> jobOptions(String name, String topic) {
        Map<String, String> options = new HashMap<>();
        options.put("job.name", name);
        options.put("kafka.readings-topic", topic);
        options.put("kafka.group-id", name);
        options.put("kafka.transactional-id-prefix", name);
        options.put("checkpoint.interval", settings.checkpointInterval().toMillis() + "ms");
        return options;
    }

    /** Commits the topic's current end as the group's offsets: a job of that group then starts there. */
    void startGroupAtEnd(String group, String topic) {
        try (Admin admin = stack.kafka().admin()) {
            Map<TopicPartition, OffsetAndMetadata> end = new HashMap<>();
            endOffsets(admin, topic).forEach((partition, info) -> end.put(partition, new OffsetAndMetadata(info.offset())));
            admin.alterConsumerGroupOffsets(group, end).all().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new BenchException("cannot start group " + group + " at the end of " + topic + ": " + e.getMessage(), e);
        }
    }

    /** Waits until the group's committed offsets reach the end of every partition (Flink commits on checkpoints). */
    void awaitCommitted(String group, String topic, Duration timeout) {
        try (Admin admin = stack.kafka().admin()) {
            FlinkJobs.await(() -> lag(admin, group, topic) == 0, timeout, "job " + group + " to commit the end of " + topic);
        }
    }

    static long lag(Admin admin, String group, String topic) {
        return offsets(admin, group, topic).lag();
    }

    /** The sums over the topic's partitions of their end offsets and of the group's committed offsets. */
    record Offsets(long end, long committed) {
        long lag() {
            return end - committed;
        }
    }

    static Offsets offsets(Admin admin, String group, String topic) {
        try {
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end = endOffsets(admin, topic);
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            long endSum = 0;
            long committedSum = 0;
            for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> partition : end.entrySet()) {
                OffsetAndMetadata offset = committed.get(partition.getKey());
                endSum += partition.getValue().offset();
                committedSum += offset == null ? 0 : offset.offset();
            }
            return new Offsets(endSum, committedSum);
        } catch (Exception e) {
            throw new BenchException("cannot read the lag of group " + group + ": " + e.getMessage(), e);
        }
    }

    private static Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> endOffsets(Admin admin, String topic) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        return admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
    }

    /**
     * Creates the topic and waits until every partition has a leader: an idempotent producer that starts on a
     * partition still without one gets NOT_LEADER_OR_FOLLOWER, then OUT_OF_ORDER_SEQUENCE_NUMBER until it gives up.
     */
    private void createTopic(String topic) {
        stack.kafka().createTopics(List.of(new KafkaBroker.TopicSpec(topic, PARTITIONS,
                Map.of("retention.ms", Long.toString(Duration.ofDays(14).toMillis())))));
        try (Admin admin = stack.kafka().admin()) {
            FlinkJobs.await(() -> {
                try {
                    var description = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
                    return description.partitions().size() == PARTITIONS
                            && description.partitions().stream().allMatch(partition -> partition.leader() != null);
                } catch (Exception e) {
                    return false;
                }
            }, Duration.ofSeconds(60), "every partition of " + topic + " to have a leader");
        }
        pause(Duration.ofSeconds(2));
    }

    void sql(String statement) {
        try (Connection connection = stack.postgres().connect(PostgresServer.DATABASE); Statement sql = connection.createStatement()) {
            sql.execute(statement);
        } catch (SQLException e) {
            throw new BenchException("PostgreSQL refused '" + statement + "': " + e.getMessage(), e);
        }
    }

    long sqlLong(String query) {
        try (Connection connection = stack.postgres().connect(PostgresServer.DATABASE); Statement sql = connection.createStatement();
             ResultSet result = sql.executeQuery(query)) {
            result.next();
            return result.getLong(1);
        } catch (SQLException e) {
            throw new BenchException("PostgreSQL refused '" + query + "': " + e.getMessage(), e);
        }
    }

    static void pause(Duration duration) {
        ManagedProcess.sleep(duration);
    }
}
