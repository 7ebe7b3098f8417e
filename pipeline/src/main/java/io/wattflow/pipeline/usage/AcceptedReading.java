package io.wattflow.pipeline.usage;

import io.wattflow.pipeline.reading.MeterReading;
import io.wattflow.pipeline.reading.ReadingKind;

/** Keyed state value: what an accepted reading was, to tell a resend (duplicate) from a conflict. */
public class AcceptedReading {
    public ReadingKind kind;
    public String channel;
    public long startMillis;
    public long endMillis;
    public long energyMilliWattHours;

    public AcceptedReading() {
    }

    public AcceptedReading(MeterReading reading) {
        this.kind = reading.kind;
        this.channel = reading.channel;
        this.startMillis = reading.startMillis;
        this.endMillis = reading.endMillis;
        this.energyMilliWattHours = reading.energyMilliWattHours;
    }

    /** The same measurement: a resend, to be counted once. */
    public boolean sameAs(MeterReading reading) {
        return kind == reading.kind && channel.equals(reading.channel) && startMillis == reading.startMillis
                && endMillis == reading.endMillis && energyMilliWattHours == reading.energyMilliWattHours;
    }
}
