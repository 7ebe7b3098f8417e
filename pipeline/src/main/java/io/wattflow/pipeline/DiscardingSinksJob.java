package io.wattflow.pipeline;

import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * The metering job with every sink replaced by one that drops what it gets: the same source, operators, state and
 * exactly-once checkpoints, without PostgreSQL, InfluxDB or the dead-letter topic. {@code bin/wattflow bench} runs it
 * beside the real job to show what the sinks cost. Not for production: it bills nothing.
 */
public final class DiscardingSinksJob {
    private DiscardingSinksJob() {
    }

    public static void main(String[] args) throws Exception {
        MeteringJob.run(args, config -> new Sinks(new DiscardingSink<>(), new DiscardingSink<>(), new DiscardingSink<>(),
                new DiscardingSink<>()));
    }
}
