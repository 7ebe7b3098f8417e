package io.wattflow.loadgen.importing;

/** A line of a file that gave no reading, and why. */
public record BadRow(long line, String reason) {
}
