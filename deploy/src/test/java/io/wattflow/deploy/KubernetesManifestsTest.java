package io.wattflow.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.wattflow.api.ApiConfig;
import io.wattflow.pipeline.PipelineConfig;
import io.wattflow.stack.LocalStack;
import io.wattflow.stack.PostgresServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the schema check (checks/check-k8s.mjs) cannot know: deploy/k8s agrees with the code. The API's ConfigMap sets only
 * variables ApiConfig reads, its port is the one the probes and the Service use; the FlinkDeployment's arguments are
 * accepted by the job, and every secret file either reads is mounted.
 */
class KubernetesManifestsTest {
    private static final Path K8S = Path.of("..").toAbsolutePath().normalize().resolve("deploy/k8s");

    private static Map<String, JsonNode> objects(String file) throws Exception {
        Map<String, JsonNode> byKind = new HashMap<>();
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        try (var documents = yaml.readerFor(JsonNode.class).<JsonNode>readValues(K8S.resolve(file).toFile())) {
            while (documents.hasNext()) {
                JsonNode object = documents.next();
                byKind.put(object.get("kind").asText(), object);
            }
        }
        return byKind;
    }

    @Test
    void theApiDeploymentReadsOnlyKnownVariablesAndProbesItsOwnPortAndRoutes() throws Exception {
        Map<String, JsonNode> api = objects("billing-api.yaml");
        Map<String, String> config = new HashMap<>();
        api.get("ConfigMap").get("data").fields().forEachRemaining(entry -> config.put(entry.getKey(), entry.getValue().asText()));
        JsonNode container = api.get("Deployment").at("/spec/template/spec/containers/0");
        container.path("env").forEach(variable -> config.put(variable.get("name").asText(), "(from the pod)"));
        assertThat(ApiConfig.VARIABLES).containsAll(config.keySet());
        assertThat(config.get("WATTFLOW_DB_USER")).isEqualTo(PostgresServer.API_ROLE);

        String port = config.get("WATTFLOW_API_PORT");
        assertThat(container.at("/ports/0/containerPort").asText()).isEqualTo(port);
        assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/health/ready");
        assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/health/live");
        String mounted = container.at("/volumeMounts/0/mountPath").asText();
        assertThat(List.of(config.get("WATTFLOW_DB_PASSWORD_FILE"), config.get("WATTFLOW_BOOTSTRAP_ADMIN_TOKEN_FILE")))
                .allSatisfy(file -> assertThat(file).startsWith(mounted + "/"));
        assertThat(api.get("HorizontalPodAutoscaler").at("/spec/minReplicas").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(api.get("PodDisruptionBudget").at("/spec/minAvailable").asInt()).isPositive();
    }

    @Test
    void theFlinkDeploymentsArgumentsAreAcceptedByTheJobAndItsSecretsAreMounted() throws Exception {
        JsonNode flink = objects("flink-deployment.yaml").get("FlinkDeployment");
        List<String> args = new ArrayList<>();
        flink.at("/spec/job/args").forEach(arg -> args.add(arg.asText()));
        PipelineConfig config = PipelineConfig.fromArgs(args.toArray(String[]::new));
        assertThat(config.get(PipelineConfig.JOB_NAME)).isEqualTo(LocalStack.JOB_NAME);
        assertThat(config.get(PipelineConfig.POSTGRES_USER)).isEqualTo(PostgresServer.PIPELINE_ROLE);
        String mounted = flink.at("/spec/podTemplate/spec/containers/0/volumeMounts/0/mountPath").asText();
        assertThat(List.of(config.get(PipelineConfig.POSTGRES_PASSWORD_FILE), config.get(PipelineConfig.INFLUX_TOKEN_FILE)))
                .allSatisfy(file -> assertThat(file).startsWith(mounted + "/"));
        assertThat(flink.at("/spec/job/upgradeMode").asText()).isEqualTo("savepoint");
        assertThat(flink.at("/spec/flinkConfiguration/high-availability.type").asText()).isEqualTo("kubernetes");
        assertThat(flink.at("/spec/job/entryClass").asText()).isEqualTo("io.wattflow.pipeline.MeteringJob");
    }
}
