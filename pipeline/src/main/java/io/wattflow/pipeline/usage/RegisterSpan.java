package io.wattflow.pipeline.usage;

import java.io.Serializable;

/**
 * Consumption between two consecutive register values of a meter channel.
 * <ul>
 * <li>The register went up: the difference.</li>
 * <li>It went down and the meter's class has a register capacity, and wrapping around at that capacity gives a
 * plausible consumption: a rollover, billed as {@code capacity - earlier + later}.</li>
 * <li>Otherwise it went down: a reset (meter exchanged or cleared). Billed as zero; the later value is the new baseline.</li>
 * </ul>
 */
public record RegisterSpan(long energyMilliWattHours, Kind kind) implements Serializable {

    public enum Kind { CONSUMPTION, ROLLOVER, RESET }

    /**
     * @param capacityMilliWattHours the register wraps at this value; 0 when the meter's class has none
     * @param maxMilliWattHours      the most energy the span can plausibly hold
     */
    public static RegisterSpan between(long earlierValue, long laterValue, long capacityMilliWattHours, long maxMilliWattHours) {
        if (laterValue >= earlierValue) {
            return new RegisterSpan(laterValue - earlierValue, Kind.CONSUMPTION);
        }
        if (capacityMilliWattHours > 0 && earlierValue <= capacityMilliWattHours && laterValue < capacityMilliWattHours) {
            long wrapped = capacityMilliWattHours - earlierValue + laterValue;
            if (wrapped <= maxMilliWattHours) {
                return new RegisterSpan(wrapped, Kind.ROLLOVER);
            }
        }
        return new RegisterSpan(0, Kind.RESET);
    }
}
