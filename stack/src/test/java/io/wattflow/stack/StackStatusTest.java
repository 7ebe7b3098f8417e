package io.wattflow.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Status of a stack that is not running; LauncherIT checks the same JSON against a running one. */
class StackStatusTest {
    @TempDir
    Path home;

    @Test
    void everyComponentIsListedWithItsKindPortAndDataAndNoRoleOrPidWhileStopped() throws Exception {
        LocalStack stack = new LocalStack(new StackLayout(Path.of("..").toAbsolutePath().normalize(), home), Ports.ephemeral(), true);
        ByteArrayOutputStream printed = new ByteArrayOutputStream();

        new Launcher(stack, new PrintStream(printed, true, StandardCharsets.UTF_8)).run("status", new String[] {"--json"});

        JsonNode components = new ObjectMapper().readTree(printed.toString(StandardCharsets.UTF_8)).get("components");
        List<String> kinds = new ArrayList<>();
        components.forEach(component -> {
            kinds.add(component.get("kind").asText());
            assertThat(component.get("running").asBoolean()).isFalse();
            assertThat(component.get("pid").isNull()).isTrue();
            assertThat(component.get("role").isNull()).isTrue();
        });
        assertThat(kinds).containsExactly("object-store", "postgres", "kafka", "questdb", "flink-jobmanager", "flink-taskmanager", "flink-taskmanager",
                "billing-api", "exporter", "exporter", "alertmanager", "prometheus");
        assertThat(components.get(0).get("port").asInt()).isEqualTo(stack.ports().objectStore());
        assertThat(components.get(0).get("dataDir").asText()).isEqualTo(home.resolve("data/object-store/store").toString());
        assertThat(components.get(1).get("port").asInt()).isEqualTo(stack.ports().postgres());
        assertThat(components.get(1).get("dataDir").asText()).isEqualTo(home.resolve("data/postgres").toString());
        assertThat(components.get(2).get("port").asInt()).isEqualTo(stack.ports().kafka());
        assertThat(components.get(4).get("port").asInt()).isEqualTo(stack.ports().flinkRest());
        assertThat(components.get(5).get("port").isNull()).isTrue();
        assertThat(components.get(7).get("port").asInt()).isEqualTo(stack.ports().api());
    }

    @Test
    void theHighlyAvailableStackListsEveryReplicaWithItsOwnPort() throws Exception {
        Ports ports = Ports.ephemeralHighlyAvailable();
        LocalStack stack = new LocalStack(new StackLayout(Path.of("..").toAbsolutePath().normalize(), home), ports, true,
                LocalStack.Topology.HIGHLY_AVAILABLE);
        List<String> listed = new ArrayList<>();
        for (StackStatus.Component component : StackStatus.of(stack)) {
            if (List.of("postgres", "kafka", "zookeeper", "flink-jobmanager", "billing-api", "load-balancer").contains(component.kind())) {
                assertThat(component.running()).isFalse();
                listed.add(component.name() + ":" + component.port());
            }
        }
        int step = Ports.HA_PORT_STEP;
        assertThat(listed).containsExactly(
                "zookeeper-1:" + ports.zooKeeper(), "zookeeper-2:" + (ports.zooKeeper() + step), "zookeeper-3:" + (ports.zooKeeper() + 2 * step),
                "postgres-1:" + ports.postgres(), "postgres-2:" + (ports.postgres() + step),
                "kafka-1:" + ports.kafka(), "kafka-2:" + (ports.kafka() + step), "kafka-3:" + (ports.kafka() + 2 * step),
                "flink-jobmanager-1:" + ports.flinkRest(), "flink-jobmanager-2:" + (ports.flinkRest() + step),
                "billing-api-1:" + (ports.api() + step), "billing-api-2:" + (ports.api() + 2 * step), "NGINX:" + ports.api());
    }

    @Test
    void anUnknownArgumentIsRefused() {
        LocalStack stack = new LocalStack(new StackLayout(Path.of("..").toAbsolutePath().normalize(), home), Ports.ephemeral(), true);
        assertThatThrownBy(() -> new Launcher(stack, System.out).run("status", new String[] {"--yaml"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--json");
    }
}
