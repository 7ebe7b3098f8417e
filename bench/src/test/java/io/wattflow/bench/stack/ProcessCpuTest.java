package io.wattflow.bench.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcessCpuTest {
    @Test
    void userAndSystemTicksAreCountedAfterACommandNameWithSpacesAndParentheses() {
        String stat = "4242 (java (tm) 2) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 56 7 8 20 0 70 0 19133 3133440 387";

        assertThat(ProcessCpu.ticksOfStatLine(stat)).isEqualTo(1234 + 56);
    }

    @Test
    void cpuSinceAnEarlierSampleCountsNewProcessesWholeAndIgnoresEndedOnes() {
        ProcessCpu.Sample earlier = new ProcessCpu.Sample(Map.of(1L, 100L, 2L, 50L, 3L, 10L), Map.of(1L, 40L));
        ProcessCpu.Sample later = new ProcessCpu.Sample(Map.of(1L, 130L, 2L, 50L, 4L, 5L), Map.of(1L, 52L, 4L, 1L));

        assertThat(later.nanosSince(earlier)).isEqualTo((30 + 0 + 5) * ProcessCpu.NANOS_PER_TICK);
        assertThat(later.compilerNanosSince(earlier)).isEqualTo((12 + 1) * ProcessCpu.NANOS_PER_TICK);
    }

    @Test
    void theCurrentProcessHasSpentCpu() {
        ProcessCpu.Sample sample = ProcessCpu.sample(List.of(ProcessHandle.current()));

        assertThat(sample.ticksByPid()).containsKey(ProcessHandle.current().pid());
        assertThat(sample.ticksByPid().get(ProcessHandle.current().pid())).isPositive();
        assertThat(sample.compilerTicksByPid().get(ProcessHandle.current().pid())).isNotNegative()
                .isLessThanOrEqualTo(sample.ticksByPid().get(ProcessHandle.current().pid()));
    }
}
