package io.wattflow.pipeline.usage;

import io.wattflow.pipeline.reading.MeterReading;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;

/** Every MeterUsage test again, run by a plain KeyedProcessOperator: each element's writes go to state at once. */
class MeterUsageDirectWritesTest extends MeterUsageTest {
    @Override
    KeyedProcessOperator<String, MeterReading, UsageBucket> operator(UsageRules rules, int maxBufferedEntries) {
        return new KeyedProcessOperator<>(new MeterUsage(rules, maxBufferedEntries));
    }
}
