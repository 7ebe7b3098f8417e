package io.wattflow.pipeline.usage;

/** What a reading adds to (or, re-splitting a register span, takes from) one bucket of its meter. */
public record BucketChange(BucketKey key, long energyMilliWattHours, int readings) {
}
