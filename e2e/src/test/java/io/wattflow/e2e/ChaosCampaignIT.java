package io.wattflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.wattflow.stack.testing.TestServices;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/wattflow chaos} as a user runs it (profile {@code chaos}: it takes about a quarter of an hour): one fault
 * of each kind, a row for each, nothing lost or doubled, exit 0, and nothing left running or in the firewall.
 */
class ChaosCampaignIT {

    @Test
    void oneFaultOfEachKindLosesAndDoublesNothing() throws Exception {
        Process chaos = new ProcessBuilder(TestServices.repository().resolve("bin/wattflow").toString(), "chaos")
                .redirectErrorStream(true).start();
        String output = new String(chaos.getInputStream().readAllBytes());
        assertThat(chaos.waitFor(40, TimeUnit.MINUTES)).isTrue();
        System.out.println(output);

        assertThat(chaos.exitValue()).as(output).isZero();
        int tableStart = output.indexOf("fault ");
        assertThat(tableStart).as(output).isNotNegative();
        List<String> rows = new ArrayList<>();
        output.substring(tableStart).lines().skip(1).limit(9).forEach(rows::add);
        assertThat(rows).hasSize(9).allSatisfy(row -> assertThat(row).matches(".*\\s0\\s+0\\s+\\d+ / \\d+\\s*$"));
        assertThat(output).contains("Every valid reading billed exactly once");
        Process rules = new ProcessBuilder("iptables", "-S", "OUTPUT").redirectErrorStream(true).start();
        assertThat(new String(rules.getInputStream().readAllBytes())).doesNotContain("DROP");
    }
}
