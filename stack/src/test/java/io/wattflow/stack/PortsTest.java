package io.wattflow.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PortsTest {
    /**
     * Every port a highly available test stack listens on, the copies' ports included, is its own: before, the
     * replicated components' ports were chosen apart from the rest, and a ZooKeeper node's election port was once the
     * port PostgreSQL then found taken. Many draws, so a collision of a few percent per draw would show.
     */
    @Test
    void noTwoComponentsOfAHighlyAvailableTestStackShareAPort() {
        for (int draw = 0; draw < 100; draw++) {
            Map<String, String> variables = Ports.ephemeralHighlyAvailable().environment();
            List<Integer> used = new ArrayList<>();
            variables.forEach((variable, port) -> used.addAll(Ports.span(variable, Ports.REPLICATED.contains(variable)).ports(Integer.parseInt(port))));
            Set<Integer> distinct = new HashSet<>(used);

            assertThat(distinct).as("draw %d: %s", draw, variables).hasSameSizeAs(used);
            assertThat(used).allMatch(port -> port >= 20_000 && port < 32_768);
        }
    }

    @Test
    void noTwoComponentsOfATestStackShareAPort() {
        for (int draw = 0; draw < 100; draw++) {
            List<Integer> used = new ArrayList<>();
            Ports.ephemeral().environment().forEach((variable, port) -> used.addAll(Ports.span(variable, false).ports(Integer.parseInt(port))));

            assertThat(new HashSet<>(used)).hasSameSizeAs(used);
        }
    }
}
