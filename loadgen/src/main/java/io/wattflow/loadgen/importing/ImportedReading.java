package io.wattflow.loadgen.importing;

/**
 * A reading read from a file, as the job reads live ones: the Kafka key (the meter id), the reading's JSON, and the
 * file line it came from.
 */
public record ImportedReading(String meterId, String json, long line) {
}
