package io.wattflow.bench.stack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoublePredicate;

/** The benchmark's figures: one table for people, {@code results.json} for machines, with the goals for this machine. */
final class Report {
    /** One figure of the report, in the order of the table. */
    record Key(String name, String label, String unit, String goal, DoublePredicate met) {
        Key(String name, String label, String unit) {
            this(name, label, unit, "", null);
        }
    }

    static final List<Key> KEYS = List.of(
            new Key("ceiling_readings_per_s", "ceiling: bare consumer reads + parses", "readings/s"),
            new Key("pipeline_readings_per_s", "pipeline drain, exactly-once, both sinks", "readings/s"),
            new Key("pipeline_ratio", "  ratio to the ceiling", ""),
            new Key("pipeline_warm_readings_per_s", "  warm (after 20% not counted)", "readings/s", ">= 90,000", v -> v >= 90_000),
            new Key("pipeline_cpu_us_per_reading", "  TaskManagers' CPU per reading (warm)", "us", "<= 15", v -> v <= 15),
            new Key("stack_cpu_us_per_reading", "  whole stack's CPU per reading (warm)", "us"),
            new Key("discard_readings_per_s", "pipeline drain, discarding sinks", "readings/s"),
            new Key("discard_warm_readings_per_s", "  warm", "readings/s"),
            new Key("framework_readings_per_s", "framework only: source, parse, keyBy (warm)", "readings/s"),
            new Key("pipeline_ratio_to_framework", "  pipeline warm drain / framework", "", ">= 0.8", v -> v >= 0.8),
            new Key("drain_p1_readings_per_s", "pipeline drain at parallelism 1 (warm)", "readings/s"),
            new Key("latency_p50_ms", "produce -> visible in usage API, p50", "ms"),
            new Key("latency_p99_ms", "produce -> visible in usage API, p99", "ms", "<= 11,000", v -> v <= 11_000),
            new Key("checkpoint_interval_ms", "  checkpoint interval", "ms"),
            new Key("recovery_running_s", "TaskManager kill -9 -> job running", "s"),
            new Key("recovery_caught_up_s", "TaskManager kill -9 -> caught up", "s", "<= 15", v -> v <= 15),
            new Key("api_usage_rps", "usage endpoint (1 meter, 1 month, daily)", "req/s", ">= 3,000", v -> v >= 3000),
            new Key("api_usage_p50_ms", "  p50", "ms"),
            new Key("api_usage_p99_ms", "  p99", "ms", "< 20", v -> v < 20),
            new Key("api_bill_preview_rps", "bill preview (1 customer, 1 month)", "req/s", ">= 2,000", v -> v >= 2000),
            new Key("api_bill_preview_p99_ms", "  p99", "ms", "<= 50", v -> v <= 50),
            new Key("api_trivial_rps", "trivial endpoint (/health/live)", "req/s"),
            new Key("billing_run_10k_s", "billing run, 10,000 customers", "s", "<= 20", v -> v <= 20),
            new Key("state_bytes_per_meter", "checkpointed state per meter at the horizon", "bytes", "<= 40,000", v -> v <= 40_000));

    private final Map<String, Figure> figures = new LinkedHashMap<>();
    private final Map<String, Object> machine;
    private final List<String> notes = new ArrayList<>();

    Report(Map<String, Object> machine) {
        this.machine = machine;
    }

    void put(String key, Figure figure) {
        if (KEYS.stream().noneMatch(k -> k.name().equals(key))) {
            throw new IllegalArgumentException("not a figure of the report: " + key);
        }
        figures.put(key, figure);
    }

    void note(String note) {
        notes.add(note);
    }

    Figure get(String key) {
        return figures.get(key);
    }

    /** The figure, or a failed one when it was not measured. */
    Figure figure(String key) {
        return figures.getOrDefault(key, Figure.failed("not measured"));
    }

    boolean complete() {
        return KEYS.stream().allMatch(k -> figures.containsKey(k.name()) && figures.get(k.name()).measured());
    }

    /** The JSON object: every key of {@link #KEYS} as median, min and max (null, with the error, when not measured), and the machine. */
    Map<String, Object> json() {
        Map<String, Object> root = new LinkedHashMap<>();
        for (Key key : KEYS) {
            Figure figure = figures.getOrDefault(key.name(), Figure.failed("not measured"));
            Map<String, Object> value = new LinkedHashMap<>();
            value.put("median", figure.median());
            value.put("min", figure.min());
            value.put("max", figure.max());
            if (!figure.measured()) {
                value.put("error", figure.error());
            }
            root.put(key.name(), value);
        }
        root.put("machine", machine);
        return root;
    }

    /**
     * The figures of an earlier results.json that this report did not measure (a run with --only), each marked as
     * carried over; returns their keys.
     */
    List<String> carryOver(Path file) throws IOException {
        List<String> carried = new ArrayList<>();
        if (!Files.exists(file)) {
            return carried;
        }
        JsonNode earlier = new ObjectMapper().readTree(file.toFile());
        for (Key key : KEYS) {
            JsonNode figure = earlier.path(key.name());
            if (!figures.containsKey(key.name()) && figure.path("median").isNumber()) {
                figures.put(key.name(), new Figure(figure.get("median").asDouble(), figure.get("min").asDouble(),
                        figure.get("max").asDouble(), 0, null));
                carried.add(key.name());
            }
        }
        return carried;
    }

    void writeJson(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), json());
    }

    String table(String title) {
        StringBuilder out = new StringBuilder();
        out.append(title).append('\n');
        machine.forEach((key, value) -> out.append(String.format("  %-8s %s%n", key + ":", value)));
        String format = "%-46s %12s %12s %12s  %-10s %-12s %s%n";
        out.append('\n').append(String.format(format, "figure", "median", "min", "max", "unit", "goal", ""));
        for (Key key : KEYS) {
            Figure figure = figures.getOrDefault(key.name(), Figure.failed("not measured"));
            if (!figure.measured()) {
                out.append(String.format(format, key.label(), "-", "-", "-", key.unit(), key.goal(), "NOT MEASURED: " + figure.error()));
                continue;
            }
            String verdict = key.met() == null ? "" : key.met().test(figure.median()) ? "met" : "MISSED";
            out.append(String.format(format, key.label(), number(figure.median()), number(figure.min()), number(figure.max()),
                    key.unit(), key.goal(), verdict));
        }
        notes.forEach(note -> out.append("  * ").append(note).append('\n'));
        return out.toString();
    }

    static String number(double value) {
        if (Math.abs(value) >= 100) {
            return String.format("%,.0f", value);
        }
        return Math.abs(value) >= 10 ? String.format("%.1f", value) : String.format("%.2f", value);
    }
}
