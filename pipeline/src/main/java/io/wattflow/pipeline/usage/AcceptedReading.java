package io.wattflow.pipeline.usage;

/** Keyed state value: what an accepted reading was, to tell a resend (duplicate) from a conflict. */
public class AcceptedReading {
    public String channel;
    public long startMillis;
    public long endMillis;
    public long energyMilliWattHours;

    public AcceptedReading() {
    }

    public AcceptedReading(String channel, long startMillis, long endMillis, long energyMilliWattHours) {
        this.channel = channel;
        this.startMillis = startMillis;
        this.endMillis = endMillis;
        this.energyMilliWattHours = energyMilliWattHours;
    }
}
