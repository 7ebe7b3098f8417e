package io.wattflow.pipeline.reading;

import java.time.Duration;
import java.util.function.LongSupplier;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * The stream's time: per Kafka partition, the newest record timestamp less the lateness horizon; the job's watermark
 * is the lowest of the partitions that are not idle. A reading that ends before it is too late for every meter,
 * so the state of a meter that fell silent can go once the watermark passes its last reading.
 *
 * <p>Record timestamps are set by producers, so one record stamped in 2099 must not move the watermark there (that
 * would make every reading too late and clear every meter's state): a timestamp later than the wall clock plus
 * {@code maxFutureSkew} is left out. Such a record is still read and judged on its own; it just does not advance the
 * stream's time. Idle partitions (no record for {@code idleness}) do not hold the watermark back.
 */
public final class RecordTimeWatermarks {
    /** A partition without a record for this long does not hold the watermark back. */
    public static final Duration DEFAULT_IDLENESS = Duration.ofMinutes(1);

    private RecordTimeWatermarks() {
    }

    public static WatermarkStrategy<RawReading> strategy(Duration latenessHorizon, Duration maxFutureSkew, Duration idleness) {
        long horizon = latenessHorizon.toMillis();
        long skew = maxFutureSkew.toMillis();
        WatermarkGeneratorSupplier<RawReading> generator = context -> new Generator(horizon, skew, System::currentTimeMillis);
        return WatermarkStrategy.forGenerator(generator)
                .withTimestampAssigner((raw, kafkaTimestamp) -> raw.recordTimestamp)
                .withIdleness(idleness);
    }

    /** Newest plausible record timestamp less the horizon, emitted periodically. */
    static final class Generator implements WatermarkGenerator<RawReading> {
        private final long horizon;
        private final long maxFutureSkew;
        private final LongSupplier wallClock;
        /** Timestamps after this are producers' clock errors or attacks; refreshed with every periodic emit. */
        private long latestPlausible;
        private long newest = Long.MIN_VALUE;

        Generator(long horizon, long maxFutureSkew, LongSupplier wallClock) {
            this.horizon = horizon;
            this.maxFutureSkew = maxFutureSkew;
            this.wallClock = wallClock;
            this.latestPlausible = wallClock.getAsLong() + maxFutureSkew;
        }

        @Override
        public void onEvent(RawReading reading, long timestamp, WatermarkOutput output) {
            // Kafka allows no timestamp before 1970 but -1 (none); the parser dead-letters such records
            if (timestamp >= 0 && timestamp <= latestPlausible && timestamp > newest) {
                newest = timestamp;
            }
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {
            latestPlausible = wallClock.getAsLong() + maxFutureSkew;
            if (newest != Long.MIN_VALUE) {
                output.emitWatermark(new Watermark(newest - horizon));
            }
        }
    }
}
