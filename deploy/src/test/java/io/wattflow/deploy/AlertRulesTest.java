package io.wattflow.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.wattflow.stack.DebianPackages;
import io.wattflow.stack.testing.MonitoringRules;
import io.wattflow.stack.testing.MonitoringRules.Rule;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The alert rules of deploy/prometheus/rules/ as promtool sees them, and as an operator needs them: each is unit-tested
 * firing, carries a severity and a summary, and links a runbook that docs/operations.md has. LauncherIT checks that every
 * metric they name exists on the live stack.
 */
class AlertRulesTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Path RULES = MonitoringRules.rulesDir(REPO);

    private static String promtool(String... args) throws Exception {
        Path promtool = DebianPackages.require("promtool", "prometheus");
        List<String> command = Stream.concat(Stream.of(promtool.toString()), Stream.of(args)).toList();
        Process process = new ProcessBuilder(command).directory(RULES.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + "\n" + output).isZero();
        return output;
    }

    @Test
    void promtoolAcceptsTheRulesAndTheirUnitTestsPass() throws Exception {
        try (Stream<Path> files = Files.list(RULES)) {
            String[] ruleFiles = files.filter(f -> f.toString().endsWith(".yml")).map(Path::toString).sorted().toArray(String[]::new);
            assertThat(promtool(Stream.concat(Stream.of("check", "rules"), Stream.of(ruleFiles)).toArray(String[]::new)))
                    .contains("SUCCESS");
        }
        try (Stream<Path> files = Files.list(RULES.resolve("tests"))) {
            String[] tests = files.filter(f -> f.toString().endsWith(".yml")).map(Path::toString).sorted().toArray(String[]::new);
            assertThat(tests).isNotEmpty();
            assertThat(promtool(Stream.concat(Stream.of("test", "rules"), Stream.of(tests)).toArray(String[]::new))).contains("SUCCESS");
        }
    }

    @Test
    void everyAlertIsShownFiringByAUnitTest() throws Exception {
        Set<String> provenFiring = new HashSet<>();
        try (Stream<Path> files = Files.list(RULES.resolve("tests"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yml")).toList()) {
                for (JsonNode test : new ObjectMapper(new YAMLFactory()).readTree(file.toFile()).get("tests")) {
                    for (JsonNode expectation : test.path("alert_rule_test")) {
                        if (!expectation.path("exp_alerts").isEmpty()) {
                            provenFiring.add(expectation.get("alertname").asText());
                        }
                    }
                }
            }
        }
        List<String> alerts = MonitoringRules.read(REPO).stream().map(Rule::alert).filter(name -> name != null).toList();
        assertThat(alerts).hasSizeGreaterThanOrEqualTo(15).doesNotHaveDuplicates();
        assertThat(provenFiring).containsAll(alerts);
    }

    @Test
    void everyAlertHasASeverityASummaryAndARunbookThatExists() throws Exception {
        String operations = Files.readString(REPO.resolve("docs/operations.md")).toLowerCase(Locale.ROOT);
        for (Rule rule : MonitoringRules.read(REPO)) {
            if (rule.alert() == null) {
                continue;
            }
            assertThat(rule.labels().path("severity").asText()).as(rule.alert()).isIn("page", "ticket");
            assertThat(rule.annotations().path("summary").asText()).as(rule.alert()).isNotBlank();
            String runbook = rule.annotations().path("runbook_url").asText();
            assertThat(runbook).as(rule.alert()).startsWith("docs/operations.md#");
            // a Markdown heading whose GitHub anchor is the link's fragment
            String anchor = runbook.substring(runbook.indexOf('#') + 1);
            assertThat(operations).as(rule.alert() + " runbook").containsPattern("(?m)^#{2,4} " + anchor + "\\b");
        }
    }

    @Test
    void theMetricsOfAnExpressionAreFoundAndFunctionsLabelsAndKeywordsAreNot() {
        assertThat(MonitoringRules.metricsOf("sum by (job_name) (deriv(flink_x_pendingRecords{job_name=~\"wattflow.*\"}[10m])) > 0 "
                + "and on (job_name) up{job=\"a\"} == 0 or absent(foo_bar) / histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m]))) "
                + "> 14.4 * 0.001 or vector(0)"))
                .containsExactly("flink_x_pendingRecords", "foo_bar", "h_bucket", "up");
    }
}
