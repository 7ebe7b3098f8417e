package io.wattflow.pipeline;

import io.wattflow.pipeline.reading.MeterReading;
import io.wattflow.pipeline.reading.ParseAndValidate;
import io.wattflow.pipeline.reading.RawReading;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * What Flink itself costs on this machine for the metering job's shape: the same Kafka source, parser and shuffle by
 * meter with the same exactly-once checkpoints, then nothing but a stateless step and a sink that drops what it gets.
 * {@code bin/wattflow bench} drains the backlog with it; the real job's rate divided by this one is the share of the
 * framework's speed that our own operators, state and sinks keep. Not for production: it bills nothing.
 */
public final class FrameworkCostJob {
    private FrameworkCostJob() {
    }

    public static void main(String[] args) throws Exception {
        PipelineConfig config = PipelineConfig.fromArgs(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(MeteringJob.flinkConfiguration());
        MeteringJob.configure(env, config);
        build(MeteringJob.readings(env, config), config, new DiscardingSink<>());
        env.execute(config.get(PipelineConfig.JOB_NAME));
    }

    /** Source to sink: parse and validate, keyBy(meter), each reading's energy forwarded without state. */
    static void build(DataStream<RawReading> readings, PipelineConfig config, Sink<Long> sink) {
        readings
                .process(new ParseAndValidate(config.readingRules()))
                .uid("parse-and-validate").name("Parse and validate")
                .keyBy(reading -> reading.meterId)
                .map((MeterReading reading) -> reading.energyMilliWattHours).returns(Types.LONG)
                .uid("stateless-per-meter").name("Stateless per meter")
                .sinkTo(sink).uid("discarding-sink").name("Discarding sink");
    }
}
