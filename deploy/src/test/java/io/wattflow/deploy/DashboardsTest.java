package io.wattflow.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.wattflow.stack.testing.MonitoringRules;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What the schema check (checks/check-dashboards.mjs) cannot see: every panel explains itself and queries the
 * dashboard's Prometheus variable, recorded series exist as rules, and Grafana's provisioning finds the files. LauncherIT
 * checks every other metric against the running stack.
 */
class DashboardsTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<JsonNode> dashboards() throws Exception {
        List<JsonNode> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(REPO.resolve("deploy/grafana/dashboards"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                all.add(JSON.readTree(file.toFile()));
            }
        }
        return all;
    }

    @Test
    void theThreeDashboardsHaveUniqueIdsAndEveryPanelATitleADescriptionAndTheDatasourceVariable() throws Exception {
        List<String> uids = new ArrayList<>();
        for (JsonNode dashboard : dashboards()) {
            uids.add(dashboard.get("uid").asText());
            assertThat(dashboard.get("panels")).as(dashboard.get("uid").asText()).isNotEmpty().allSatisfy(panel -> {
                assertThat(panel.get("title").asText()).isNotBlank();
                assertThat(panel.get("description").asText()).as(panel.get("title").asText()).isNotBlank();
                assertThat(panel.get("datasource").get("uid").asText()).isEqualTo("${datasource}");
                assertThat(panel.get("targets")).isNotEmpty().allSatisfy(target ->
                        assertThat(target.get("datasource").get("uid").asText()).isEqualTo("${datasource}"));
            });
        }
        assertThat(uids).containsExactly("wattflow-billing-api", "wattflow-business", "wattflow-pipeline");
    }

    @Test
    void recordedSeriesThatDashboardsUseAreRecordingRules() {
        Set<String> recorded = MonitoringRules.recorded(MonitoringRules.read(REPO));
        Set<String> used = new TreeSet<>();
        Pattern recordedName = Pattern.compile("\\b(wattflow:[a-z0-9_:]+)");
        for (String query : MonitoringRules.dashboardQueries(REPO)) {
            Matcher matcher = recordedName.matcher(query);
            while (matcher.find()) {
                used.add(matcher.group(1));
            }
        }
        assertThat(used).isNotEmpty();
        assertThat(recorded).containsAll(used);
    }

    @Test
    void grafanaProvisioningPointsAtThePrometheusDatasourceAndTheDashboardFolder() throws Exception {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        JsonNode datasources = yaml.readTree(REPO.resolve("deploy/grafana/provisioning/datasources/prometheus.yml").toFile());
        assertThat(datasources.get("datasources")).singleElement().satisfies(source -> {
            assertThat(source.get("type").asText()).isEqualTo("prometheus");
            assertThat(source.get("isDefault").asBoolean()).isTrue();
        });
        JsonNode providers = yaml.readTree(REPO.resolve("deploy/grafana/provisioning/dashboards/wattflow.yml").toFile());
        assertThat(providers.get("providers")).singleElement().satisfies(provider ->
                assertThat(provider.get("options").get("path").asText()).isEqualTo("/var/lib/grafana/dashboards/wattflow"));
    }
}
