package io.wattflow.pipeline.reading;

/** How a meter reports energy. A meter channel is one kind or the other, never both. */
public enum ReadingKind {
    /** Energy over [start, end). */
    INTERVAL,
    /** The cumulative register value at one instant; consumption is the difference of consecutive values. */
    REGISTER
}
