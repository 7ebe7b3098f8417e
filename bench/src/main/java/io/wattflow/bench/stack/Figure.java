package io.wattflow.bench.stack;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** One figure of the benchmark over its runs: the median with the smallest and largest run, or why it is missing. */
public record Figure(Double median, Double min, Double max, int runs, String error) {

    public static Figure of(List<Double> samples) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("a figure needs at least one sample");
        }
        List<Double> sorted = new ArrayList<>(samples);
        Collections.sort(sorted);
        int n = sorted.size();
        double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        return new Figure(median, sorted.get(0), sorted.get(n - 1), n, null);
    }

    public static Figure failed(String error) {
        return new Figure(null, null, null, 0, error);
    }

    public boolean measured() {
        return error == null;
    }

    /** The p-th percentile (0-100) of the samples, nearest rank: a value that was measured, never interpolated. */
    public static double percentile(List<Double> samples, double p) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no samples");
        }
        List<Double> sorted = new ArrayList<>(samples);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }
}
