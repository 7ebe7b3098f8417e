package io.wattflow.pipeline.reading;

import java.util.Objects;

/**
 * A valid reading. Times are epoch milliseconds, energy integer milli-Wh.
 * <ul>
 * <li>{@link ReadingKind#INTERVAL}: energy {@code energyMilliWattHours} over [{@code startMillis}, {@code endMillis}).</li>
 * <li>{@link ReadingKind#REGISTER}: the register value {@code energyMilliWattHours} at {@code startMillis} (= {@code endMillis}).</li>
 * </ul>
 */
public class MeterReading {
    public String readingId;
    public String meterId;
    public String channel;
    public ReadingKind kind;
    public long startMillis;
    public long endMillis;
    public long energyMilliWattHours;
    /** Kafka record timestamp of the reading: the clock of the lateness horizon and of state cleanup. */
    public long recordTimestamp;
    /** The record it came from, so a reading rejected later (a conflict) reaches the dead-letter topic unchanged. */
    public RawReading source;

    public MeterReading() {
    }

    public MeterReading(String readingId, String meterId, String channel, long startMillis, long endMillis,
                        long energyMilliWattHours, long recordTimestamp) {
        this(readingId, meterId, channel, ReadingKind.INTERVAL, startMillis, endMillis, energyMilliWattHours, recordTimestamp);
    }

    public MeterReading(String readingId, String meterId, String channel, ReadingKind kind, long startMillis, long endMillis,
                        long energyMilliWattHours, long recordTimestamp) {
        this.readingId = readingId;
        this.meterId = meterId;
        this.channel = channel;
        this.kind = kind;
        this.startMillis = startMillis;
        this.endMillis = endMillis;
        this.energyMilliWattHours = energyMilliWattHours;
        this.recordTimestamp = recordTimestamp;
    }

    public static MeterReading register(String readingId, String meterId, String channel, long timestampMillis,
                                        long registerMilliWattHours, long recordTimestamp) {
        return new MeterReading(readingId, meterId, channel, ReadingKind.REGISTER, timestampMillis, timestampMillis,
                registerMilliWattHours, recordTimestamp);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof MeterReading that && kind == that.kind && startMillis == that.startMillis
                && endMillis == that.endMillis && energyMilliWattHours == that.energyMilliWattHours
                && recordTimestamp == that.recordTimestamp && Objects.equals(readingId, that.readingId)
                && Objects.equals(meterId, that.meterId) && Objects.equals(channel, that.channel);
    }

    @Override
    public int hashCode() {
        return Objects.hash(readingId, meterId, channel, kind, startMillis, endMillis, energyMilliWattHours);
    }

    @Override
    public String toString() {
        return meterId + "/" + channel + " " + kind + " " + readingId + " [" + startMillis + "," + endMillis + ") "
                + energyMilliWattHours + " mWh";
    }
}
