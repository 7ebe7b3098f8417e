package io.wattflow.pipeline.reading;

import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/** Parses each record; valid readings go on, everything else to the {@link #REJECTED} side output with its reason. */
public class ParseAndValidate extends ProcessFunction<RawReading, MeterReading> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<Rejection> REJECTED = new OutputTag<>("rejected") {
    };

    private final ReadingParser parser;
    private transient Counter readingsIn;
    /** How long after its end (register: its timestamp) a reading reached Kafka, in seconds. */
    private transient Histogram lateness;
    private transient Map<RejectionReason, Counter> rejectedByReason;

    public ParseAndValidate(ReadingParser.ReadingRules rules) {
        this.parser = new ReadingParser(rules);
    }

    @Override
    public void open(OpenContext openContext) {
        var metrics = getRuntimeContext().getMetricGroup();
        readingsIn = metrics.counter("readings_in_total");
        lateness = metrics.histogram("reading_lateness_seconds", new DescriptiveStatisticsHistogram(10_000));
        rejectedByReason = new EnumMap<>(RejectionReason.class);
        for (RejectionReason reason : RejectionReason.values()) {
            rejectedByReason.put(reason, metrics.addGroup("reason", reason.code()).counter("readings_rejected_total"));
        }
    }

    @Override
    public void processElement(RawReading raw, Context context, Collector<MeterReading> out) {
        readingsIn.inc();
        ReadingParser.Result result = parser.parse(raw);
        if (result.reading() != null) {
            lateness.update(Math.max(0, raw.recordTimestamp - result.reading().endMillis) / 1000);
            out.collect(result.reading());
        } else {
            rejectedByReason.get(result.rejection().reason).inc();
            context.output(REJECTED, result.rejection());
        }
    }
}
