package io.wattflow.pipeline.reading;

import java.util.Objects;

/** A valid interval reading: energy over [start, end) in integer milli-Wh. Times are epoch milliseconds. */
public class IntervalReading {
    public String readingId;
    public String meterId;
    public String channel;
    public long startMillis;
    public long endMillis;
    public long energyMilliWattHours;
    /** Kafka record timestamp of the reading: the clock of the lateness horizon and of state cleanup. */
    public long recordTimestamp;
    /** The record it came from, so a reading rejected later (a conflict) reaches the dead-letter topic unchanged. */
    public RawReading source;

    public IntervalReading() {
    }

    public IntervalReading(String readingId, String meterId, String channel, long startMillis, long endMillis,
                           long energyMilliWattHours, long recordTimestamp) {
        this.readingId = readingId;
        this.meterId = meterId;
        this.channel = channel;
        this.startMillis = startMillis;
        this.endMillis = endMillis;
        this.energyMilliWattHours = energyMilliWattHours;
        this.recordTimestamp = recordTimestamp;
    }

    /** Same measurement: the same interval and energy (a resend). */
    public boolean sameMeasurementAs(IntervalReading other) {
        return startMillis == other.startMillis && endMillis == other.endMillis
                && energyMilliWattHours == other.energyMilliWattHours && Objects.equals(channel, other.channel);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof IntervalReading that && startMillis == that.startMillis && endMillis == that.endMillis
                && energyMilliWattHours == that.energyMilliWattHours && recordTimestamp == that.recordTimestamp
                && Objects.equals(readingId, that.readingId) && Objects.equals(meterId, that.meterId)
                && Objects.equals(channel, that.channel);
    }

    @Override
    public int hashCode() {
        return Objects.hash(readingId, meterId, channel, startMillis, endMillis, energyMilliWattHours);
    }

    @Override
    public String toString() {
        return meterId + "/" + channel + " " + readingId + " [" + startMillis + "," + endMillis + ") " + energyMilliWattHours + " mWh";
    }
}
