package io.wattflow.pipeline.fleet;

import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Second phase of the fleet-wide aggregation, keyed by channel and bucket: adds up the changes and emits the
 * absolute fleet total, exact as late data arrives (a late reading is a change like any other).
 */
public class FleetTotals extends KeyedProcessFunction<String, FleetBucket, FleetBucket> {
    private static final long serialVersionUID = 1L;

    /**
     * The fleet total of this channel and bucket. Expires 30 days after its last change (processing time): the series
     * is for dashboards, and no accepted reading can change a bucket older than the lateness horizon plus the longest
     * interval (8 days by default), except the span of a register meter silent for longer, which the series then misses.
     */
    static final ValueStateDescriptor<FleetBucket> TOTAL = totalDescriptor();

    private static ValueStateDescriptor<FleetBucket> totalDescriptor() {
        ValueStateDescriptor<FleetBucket> descriptor = new ValueStateDescriptor<>("fleet-total", TypeInformation.of(FleetBucket.class));
        descriptor.enableTimeToLive(StateTtlConfig.newBuilder(Duration.ofDays(30)).build());
        return descriptor;
    }

    private transient ValueState<FleetBucket> total;

    @Override
    public void open(OpenContext openContext) {
        total = getRuntimeContext().getState(TOTAL);
    }

    @Override
    public void processElement(FleetBucket change, Context context, Collector<FleetBucket> out) throws Exception {
        FleetBucket current = total.value();
        if (current == null) {
            current = new FleetBucket(change.channel, change.bucketStartMillis, 0, 0);
        }
        current.energyMilliWattHours += change.energyMilliWattHours;
        current.meters += change.meters;
        total.update(current);
        out.collect(new FleetBucket(current.channel, current.bucketStartMillis, current.energyMilliWattHours, current.meters));
    }
}
