package io.wattflow.pipeline.reading;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.junit.jupiter.api.Test;

class RecordTimeWatermarksTest {
    private static final long HORIZON = Duration.ofDays(7).toMillis();
    private static final long SKEW = Duration.ofMinutes(5).toMillis();
    private final List<Long> emitted = new ArrayList<>();
    private final WatermarkOutput output = new WatermarkOutput() {
        @Override
        public void emitWatermark(Watermark watermark) {
            emitted.add(watermark.getTimestamp());
        }

        @Override
        public void markIdle() {
        }

        @Override
        public void markActive() {
        }
    };
    private long wallClock = at("2026-12-02T12:00:00Z");
    private final RecordTimeWatermarks.Generator generator = new RecordTimeWatermarks.Generator(HORIZON, SKEW, () -> wallClock);

    private static long at(String instant) {
        return Instant.parse(instant).toEpochMilli();
    }

    private void record(String timestamp) {
        record(at(timestamp));
    }

    private void record(long timestamp) {
        generator.onEvent(new RawReading("readings", 0, 0, timestamp, null, new byte[0]), timestamp, output);
    }

    @Test
    void theWatermarkIsTheNewestRecordTimestampLessTheHorizon() {
        generator.onPeriodicEmit(output);
        record("2026-12-02T11:00:00Z");
        record("2026-12-02T10:00:00Z");
        generator.onPeriodicEmit(output);

        assertThat(emitted).containsExactly(at("2026-12-02T11:00:00Z") - HORIZON);
    }

    @Test
    void aRecordStampedAfterTheWallClockPlusTheSkewDoesNotMoveIt() {
        record("2026-12-02T11:00:00Z");
        record("2099-12-31T23:59:59Z");
        record(at("2026-12-02T12:00:00Z") + SKEW + 1);
        record(-1);
        record(Long.MIN_VALUE);
        record(at("2026-12-02T12:00:00Z") + SKEW);
        generator.onPeriodicEmit(output);

        assertThat(emitted).containsExactly(at("2026-12-02T12:00:00Z") + SKEW - HORIZON);
    }

    @Test
    void theWallClockBoundMovesWithTheWallClock() {
        record("2026-12-02T13:00:00Z");
        wallClock = at("2026-12-02T13:00:00Z");
        generator.onPeriodicEmit(output);
        record("2026-12-02T13:00:00Z");
        generator.onPeriodicEmit(output);

        assertThat(emitted).containsExactly(at("2026-12-02T13:00:00Z") - HORIZON);
    }
}
