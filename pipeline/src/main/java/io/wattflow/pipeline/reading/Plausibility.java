package io.wattflow.pipeline.reading;

/** How much energy a meter can plausibly measure over a span of time. */
public final class Plausibility {
    private Plausibility() {
    }

    /**
     * The most energy, in milli-Wh, that {@code kilowatts} deliver in {@code spanMillis}: 1 kW for 1 ms is 1/3.6 mWh.
     * Saturates at {@link Long#MAX_VALUE} instead of overflowing, so a huge configured power never throws.
     */
    public static long maxEnergy(long kilowatts, long spanMillis) {
        if (kilowatts <= 0 || spanMillis <= 0) {
            return 0;
        }
        long product;
        try {
            product = Math.multiplyExact(kilowatts, spanMillis);
        } catch (ArithmeticException overflow) {
            return Long.MAX_VALUE;
        }
        return product <= Long.MAX_VALUE / 10 ? product * 10 / 36 : product / 36 * 10;
    }
}
