package io.wattflow.pipeline;

import io.wattflow.pipeline.fleet.FleetBucket;
import io.wattflow.pipeline.reading.Rejection;
import io.wattflow.pipeline.usage.UsageBucket;
import org.apache.flink.api.connector.sink2.Sink;

/** Where the topology writes: injected, so tests can swap any of them for a collecting or failing sink. */
public record Sinks(Sink<UsageBucket> usageTable, Sink<UsageBucket> timeSeries, Sink<FleetBucket> fleetSeries, Sink<Rejection> deadLetters) {
}
