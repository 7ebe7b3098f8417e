package io.wattflow.pipeline;

import io.wattflow.pipeline.reading.RawReading;
import io.wattflow.stack.PostgresServer;
import io.wattflow.stack.testing.TestServices;
import java.util.function.UnaryOperator;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** The metering job as the MiniCluster tests run it: real Kafka, PostgreSQL and QuestDB of {@link TestServices}, parallelism 2. */
final class MiniClusterJobs {
    private MiniClusterJobs() {
    }

    /**
     * The job's options for a test of its own: readings from {@code topic}, dead letters to {@code topic.dlq}, its own
     * consumer group and transactional ids, usage into {@code database}; checkpoints every second.
     */
    static PipelineConfig config(TestServices services, String topic, String database) {
        PostgresServer postgres = services.postgres();
        return PipelineConfig.defaults()
                .with(PipelineConfig.KAFKA_BOOTSTRAP, services.kafka().bootstrapServers())
                .with(PipelineConfig.READINGS_TOPIC, topic)
                .with(PipelineConfig.DEAD_LETTER_TOPIC, topic + ".dlq")
                .with(PipelineConfig.GROUP_ID, topic + "-metering")
                .with(PipelineConfig.TRANSACTIONAL_ID_PREFIX, topic + "-metering-dlq")
                .with(PipelineConfig.POSTGRES_URL, postgres.jdbcUrl(database))
                .with(PipelineConfig.POSTGRES_PASSWORD_FILE, postgres.rolePasswordFile(PostgresServer.PIPELINE_ROLE).toString())
                .with(PipelineConfig.INFLUX_URL, services.questDb().url())
                .with(PipelineConfig.CHECKPOINT_INTERVAL, "1s")
                .with(PipelineConfig.SINK_BATCH_INTERVAL, "200ms");
    }

    /** Starts the job with the production sinks; {@code faults} may put failure injectors after the Kafka source. */
    static JobClient start(PipelineConfig config, Configuration flinkConfiguration, UnaryOperator<DataStream<RawReading>> faults,
                           String name) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConfiguration);
        env.setParallelism(2);
        MeteringJob.configure(env, config);
        DataStream<RawReading> readings = MeteringJob.readings(env, config);
        MeteringJob.build(faults.apply(readings), config, MeteringJob.productionSinks(config));
        return env.executeAsync(name);
    }
}
