package io.wattflow.pipeline.usage;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class LatestBucketsPerCheckpointTest {

    @Test
    void onlyTheLatestTotalOfEachBucketIsHandedOnBeforeTheBarrier() throws Exception {
        try (var harness = new OneInputStreamOperatorTestHarness<UsageBucket, UsageBucket>(new LatestBucketsPerCheckpoint(1_000))) {
            harness.open();
            harness.processElement(new StreamRecord<>(new UsageBucket("M1", "import", 0, 100, 1)));
            harness.processElement(new StreamRecord<>(new UsageBucket("M2", "import", 0, 7, 1)));
            harness.processElement(new StreamRecord<>(new UsageBucket("M1", "import", 0, 250, 2)));
            assertThat(harness.extractOutputValues()).isEmpty();

            harness.prepareSnapshotPreBarrier(1);

            assertThat(harness.extractOutputValues()).containsExactly(
                    new UsageBucket("M1", "import", 0, 250, 2), new UsageBucket("M2", "import", 0, 7, 1));
        }
    }

    @Test
    void aFullBufferIsFlushedEarlyAndFinishingFlushesTheRest() throws Exception {
        try (var harness = new OneInputStreamOperatorTestHarness<UsageBucket, UsageBucket>(new LatestBucketsPerCheckpoint(2))) {
            harness.open();
            harness.processElement(new StreamRecord<>(new UsageBucket("M1", "import", 0, 1, 1)));
            harness.processElement(new StreamRecord<>(new UsageBucket("M1", "import", 900_000, 2, 1)));
            harness.processElement(new StreamRecord<>(new UsageBucket("M1", "import", 1_800_000, 3, 1)));
            assertThat(harness.extractOutputValues()).hasSize(2);

            harness.getOperator().finish();

            assertThat(harness.extractOutputValues()).hasSize(3);
        }
    }
}
