package io.wattflow.bench.stack;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
    @Test
    void resultsJsonHasEveryFigureOfTheIssueAndTheMachine(@TempDir Path dir) throws Exception {
        Report report = new Report(Map.of("cores", 2));
        report.put("pipeline_readings_per_s", Figure.of(List.of(9_000.0, 10_000.0, 11_000.0)));
        report.put("api_usage_rps", Figure.failed("wrk is not installed"));
        Path file = dir.resolve("results.json");

        report.writeJson(file);

        JsonNode json = new ObjectMapper().readTree(Files.readString(file));
        List<String> keys = new ArrayList<>();
        json.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("ceiling_readings_per_s", "pipeline_readings_per_s", "pipeline_ratio",
                "pipeline_warm_readings_per_s", "pipeline_cpu_us_per_reading", "stack_cpu_us_per_reading", "discard_readings_per_s",
                "discard_warm_readings_per_s", "framework_readings_per_s", "pipeline_ratio_to_framework", "drain_p1_readings_per_s",
                "latency_p50_ms", "latency_p99_ms", "checkpoint_interval_ms", "recovery_running_s", "recovery_caught_up_s",
                "api_usage_rps", "api_usage_p50_ms", "api_usage_p99_ms", "api_bill_preview_rps", "api_bill_preview_p99_ms",
                "api_trivial_rps", "billing_run_10k_s", "state_bytes_per_meter", "machine");
        assertThat(json.get("pipeline_readings_per_s").get("median").asDouble()).isEqualTo(10_000.0);
        assertThat(json.get("pipeline_readings_per_s").get("min").asDouble()).isEqualTo(9_000.0);
        assertThat(json.get("pipeline_readings_per_s").get("max").asDouble()).isEqualTo(11_000.0);
        assertThat(json.get("api_usage_rps").get("median").isNull()).isTrue();
        assertThat(json.get("api_usage_rps").get("error").asText()).isEqualTo("wrk is not installed");
        assertThat(json.get("machine").get("cores").asInt()).isEqualTo(2);
    }

    @Test
    void aPartialRunCarriesOverTheFiguresItDidNotMeasure(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("results.json");
        Report earlier = new Report(Map.of());
        earlier.put("ceiling_readings_per_s", Figure.of(List.of(100.0, 200.0, 300.0)));
        earlier.put("state_bytes_per_meter", Figure.of(List.of(1.0)));
        earlier.put("api_usage_rps", Figure.failed("no wrk"));
        earlier.writeJson(file);
        Report partial = new Report(Map.of());
        partial.put("state_bytes_per_meter", Figure.of(List.of(5.0)));

        List<String> carried = partial.carryOver(file);

        assertThat(carried).containsExactly("ceiling_readings_per_s");
        assertThat(partial.get("ceiling_readings_per_s").median()).isEqualTo(200.0);
        assertThat(partial.get("ceiling_readings_per_s").max()).isEqualTo(300.0);
        assertThat(partial.get("state_bytes_per_meter").median()).isEqualTo(5.0);
        assertThat(partial.get("api_usage_rps")).isNull();
    }

    @Test
    void theTableSaysWhichGoalsAreMetAndWhichMissed() {
        Report report = new Report(Map.of());
        report.put("pipeline_warm_readings_per_s", Figure.of(List.of(62_000.0)));
        report.put("pipeline_cpu_us_per_reading", Figure.of(List.of(15.0)));
        report.put("recovery_caught_up_s", Figure.of(List.of(14.0)));

        String table = report.table("title");

        assertThat(table.lines().filter(line -> line.startsWith("  warm (after 20% not counted)"))).singleElement()
                .satisfies(line -> assertThat(line).contains("62,000").endsWith("MISSED"));
        assertThat(table.lines().filter(line -> line.startsWith("  TaskManagers' CPU per reading"))).singleElement()
                .satisfies(line -> assertThat(line).contains("15.0").endsWith("met"));
        assertThat(table.lines().filter(line -> line.startsWith("TaskManager kill -9 -> caught up"))).singleElement()
                .satisfies(line -> assertThat(line).contains("14.0").endsWith("met"));
    }

    @Test
    void commandLineOptions() {
        assertThat(BenchOptions.parse(new String[] {"--quick"}).quick()).isTrue();
        assertThat(BenchOptions.parse(new String[] {"--runs", "5"}).runs()).isEqualTo(5);
        assertThat(BenchOptions.parse(new String[] {"--backlog", "2_000_000"}).backlogReadings()).isEqualTo(2_000_000);
        assertThat(BenchOptions.groups(new String[] {"--only", "api,state"})).containsExactlyInAnyOrder("api", "state");
        Assertions.assertThatThrownBy(() -> BenchOptions.groups(new String[] {"--only", "speed"}))
                .hasMessageContaining("unknown group 'speed'");
        Assertions.assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--fast"}))
                .hasMessageContaining("unknown option '--fast'");
    }
}
