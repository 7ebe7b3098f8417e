package io.wattflow.pipeline;

import io.wattflow.pipeline.fleet.FleetBucket;
import io.wattflow.pipeline.fleet.FleetChanges;
import io.wattflow.pipeline.fleet.FleetTotals;
import io.wattflow.pipeline.reading.MeterReading;
import io.wattflow.pipeline.reading.ParseAndValidate;
import io.wattflow.pipeline.reading.RawReading;
import io.wattflow.pipeline.reading.RawReadingDeserializer;
import io.wattflow.pipeline.reading.ReadingParser;
import io.wattflow.pipeline.reading.RecordTimeWatermarks;
import io.wattflow.pipeline.reading.Rejection;
import io.wattflow.pipeline.sink.DeadLetterSerializer;
import io.wattflow.pipeline.sink.InfluxDbSink;
import io.wattflow.pipeline.sink.InfluxLines;
import io.wattflow.pipeline.sink.UsageTableSink;
import io.wattflow.pipeline.usage.LatestBucketsPerCheckpoint;
import io.wattflow.pipeline.usage.MeterUsageOperator;
import io.wattflow.pipeline.usage.UsageBucket;
import java.util.function.Function;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The metering job: readings from Kafka, validated, deduplicated and summed per meter into 15-minute buckets,
 * written to PostgreSQL (billing truth) and InfluxDB (dashboards); rejects to the dead-letter topic.
 *
 * <pre>
 * Kafka readings -> Parse and validate -> keyBy(meter) -> Meter usage -> Latest per checkpoint -> usage_15m (JDBC upsert)
 *                          |                                 |   |                          \-> InfluxDB (energy)
 *                          |                                 |   \-- fleet changes -> Fleet changes -> keyBy(bucket) -> Fleet totals -> InfluxDB (fleet)
 *                          \--------- rejected --------------+-> readings.dlq (exactly-once)
 * </pre>
 */
public final class MeteringJob {
    /** Bound of the per-checkpoint pre-aggregation buffer per subtask (about 100 bytes a bucket). */
    static final int MAX_BUFFERED_BUCKETS = 200_000;
    /** Bound of MeterUsageOperator's state writes held until the checkpoint per subtask (about 200 bytes an entry). */
    public static final int MAX_BUFFERED_STATE_ENTRIES = 100_000;

    private MeteringJob() {
    }

    public static void main(String[] args) throws Exception {
        run(args, MeteringJob::productionSinks);
    }

    /** Parses the options, builds the topology on the Kafka source with the given sinks, and runs it on the cluster. */
    static void run(String[] args, Function<PipelineConfig, Sinks> sinks) throws Exception {
        PipelineConfig config;
        try {
            config = PipelineConfig.fromArgs(args);
        } catch (IllegalArgumentException e) {
            System.err.println("wattflow-metering: " + e.getMessage());
            throw e;
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConfiguration());
        configure(env, config);
        build(readings(env, config), config, sinks.apply(config));
        env.execute(config.get(PipelineConfig.JOB_NAME));
    }

    /** The readings topic, timed by record timestamps: the watermark lets silent meters' state go. */
    public static DataStream<RawReading> readings(StreamExecutionEnvironment env, PipelineConfig config) {
        ReadingParser.ReadingRules rules = config.readingRules();
        return env.fromSource(kafkaSource(config),
                        RecordTimeWatermarks.strategy(rules.latenessHorizon(), rules.maxFutureSkew(), RecordTimeWatermarks.DEFAULT_IDLENESS),
                        "Kafka readings")
                .uid("kafka-readings-source");
    }

    /** The topology, top to bottom. Sources and sinks are passed in. */
    public static void build(DataStream<RawReading> readings, PipelineConfig config, Sinks sinks) {
        SingleOutputStreamOperator<MeterReading> valid = readings
                .process(new ParseAndValidate(config.readingRules()))
                .uid("parse-and-validate").name("Parse and validate");

        SingleOutputStreamOperator<UsageBucket> buckets = valid
                .keyBy(reading -> reading.meterId)
                .transform("Deduplicate and sum per meter and bucket", TypeInformation.of(UsageBucket.class),
                        new MeterUsageOperator(config.usageRules(), MAX_BUFFERED_STATE_ENTRIES, config.resync()))
                .uid("meter-usage");

        // Only the latest total of each bucket touched since the last checkpoint goes on to the sinks.
        DataStream<UsageBucket> changed = buckets
                .transform("Latest bucket totals per checkpoint", TypeInformation.of(UsageBucket.class),
                        new LatestBucketsPerCheckpoint(MAX_BUFFERED_BUCKETS))
                .uid("latest-buckets-per-checkpoint");

        changed.sinkTo(sinks.usageTable()).uid("usage-table-sink").name("usage_15m (PostgreSQL)");
        changed.sinkTo(sinks.timeSeries()).uid("influxdb-sink").name("energy (InfluxDB)");

        // Fleet-wide series in two phases: changes summed per subtask, then totals keyed by channel and bucket.
        buckets.getSideOutput(MeterUsageOperator.FLEET_CHANGES)
                .transform("Fleet changes per checkpoint", TypeInformation.of(FleetBucket.class), new FleetChanges())
                .uid("fleet-changes")
                .keyBy(FleetBucket::key)
                .process(new FleetTotals()).uid("fleet-totals").name("Fleet totals per bucket")
                .sinkTo(sinks.fleetSeries()).uid("influxdb-fleet-sink").name("fleet (InfluxDB)");

        DataStream<Rejection> rejected = valid.getSideOutput(ParseAndValidate.REJECTED)
                .union(buckets.getSideOutput(ParseAndValidate.REJECTED));
        rejected.sinkTo(sinks.deadLetters()).uid("dead-letter-sink").name("readings.dlq (Kafka)");
    }

    /** Exactly-once checkpoints, and no Kryo: every type must have an explicit serializer. */
    public static void configure(StreamExecutionEnvironment env, PipelineConfig config) {
        env.enableCheckpointing(config.checkpointInterval().toMillis(), CheckpointingMode.EXACTLY_ONCE);
        env.getCheckpointConfig().setMinPauseBetweenCheckpoints(Math.min(1000, config.checkpointInterval().toMillis() / 2));
    }

    public static Configuration flinkConfiguration() {
        Configuration configuration = new Configuration();
        configuration.set(PipelineOptions.GENERIC_TYPES, false);
        return configuration;
    }

    static KafkaSource<RawReading> kafkaSource(PipelineConfig config) {
        return KafkaSource.<RawReading>builder()
                .setBootstrapServers(config.get(PipelineConfig.KAFKA_BOOTSTRAP))
                .setTopics(config.get(PipelineConfig.READINGS_TOPIC))
                .setGroupId(config.get(PipelineConfig.GROUP_ID))
                // First start reads the topic from the beginning; afterwards the checkpointed offsets rule.
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new RawReadingDeserializer())
                .setProperty("isolation.level", "read_committed")
                .setProperty("partition.discovery.interval.ms", "60000")
                .build();
    }

    public static Sinks productionSinks(PipelineConfig config) {
        String password = config.postgresPassword();
        InfluxDbSink.Settings influx = new InfluxDbSink.Settings(config.get(PipelineConfig.INFLUX_URL), config.influxToken(),
                config.get(PipelineConfig.INFLUX_ORG), config.get(PipelineConfig.INFLUX_BUCKET), config.influxBatchSize(),
                config.batchInterval().toMillis());
        return new Sinks(
                UsageTableSink.create(config.get(PipelineConfig.POSTGRES_URL), config.get(PipelineConfig.POSTGRES_USER),
                        password, config.batchSize(), config.batchInterval().toMillis()),
                new InfluxDbSink<>(influx, InfluxLines.ENERGY),
                new InfluxDbSink<>(influx, InfluxLines.FLEET),
                deadLetterSink(config));
    }

    static KafkaSink<Rejection> deadLetterSink(PipelineConfig config) {
        return KafkaSink.<Rejection>builder()
                .setBootstrapServers(config.get(PipelineConfig.KAFKA_BOOTSTRAP))
                .setRecordSerializer(new DeadLetterSerializer(config.get(PipelineConfig.DEAD_LETTER_TOPIC)))
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(config.get(PipelineConfig.TRANSACTIONAL_ID_PREFIX))
                .setProperty("transaction.timeout.ms", Long.toString(config.transactionTimeout().toMillis()))
                // a dead letter is the whole original record plus headers: it must fit whatever the readings topic took
                .setProperty("max.request.size", Integer.toString(config.deadLetterMaxBytes()))
                .build();
    }
}
