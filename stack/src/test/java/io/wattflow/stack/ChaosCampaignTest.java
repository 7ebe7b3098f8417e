package io.wattflow.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wattflow.stack.ChaosCampaign.Fault;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChaosCampaignTest {
    @TempDir
    Path home;

    @Test
    void aCampaignHasEveryKindOnceFirstThenKindsDrawnFromItsSeed() {
        assertThat(ChaosCampaign.plan(9, 1)).containsExactly(Fault.values());
        assertThat(ChaosCampaign.plan(3, 1)).containsExactly(Fault.TASK_MANAGER, Fault.LEADING_JOB_MANAGER, Fault.READINGS_LEADER_BROKER);
        List<Fault> longer = ChaosCampaign.plan(30, 7);
        assertThat(longer).hasSize(30).startsWith(Fault.values()).isEqualTo(ChaosCampaign.plan(30, 7));
        assertThat(longer.subList(9, 30)).isNotEqualTo(ChaosCampaign.plan(30, 8).subList(9, 30));
    }

    @Test
    void theTableRowSaysWhatEachFaultDid() {
        String row = ChaosCampaign.row(new ChaosCampaign.Outcome(Fault.POSTGRES_PRIMARY, 10.2, 13.1, 26.9, 0, 0, 1, 105));
        assertThat(row).startsWith("PostgreSQL primary node kill -9").contains("10.2 s", "13.1 s", "26.9 s", "1 / 105");
        assertThat(ChaosCampaign.row(new ChaosCampaign.Outcome(Fault.QUESTDB_STOPPED, null, 0.0, null, 0, 0, 0, 5)))
                .containsPattern("QuestDB stopped for 60 s\\s+-\\s+0.0 s\\s+-");
    }

    @Test
    void itNeedsTheHighlyAvailableStack() {
        LocalStack small = new LocalStack(new StackLayout(Path.of("..").toAbsolutePath().normalize(), home), Ports.ephemeral(), false);
        assertThatThrownBy(() -> new ChaosCampaign(small, System.out)).isInstanceOf(StackException.class).hasMessageContaining("highly available");
    }
}
