package io.wattflow.pipeline.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class FleetTotalsTest {

    /** A change of one meter's bucket (the meter and its new total do not matter to the fleet). */
    private static FleetChange change(String meter, long bucket, long total, long delta, int created) {
        return new FleetChange("import", bucket, delta, created);
    }

    @Test
    void changesOfAllMetersAreSummedPerBucketBeforeTheBarrier() throws Exception {
        try (var harness = new OneInputStreamOperatorTestHarness<FleetChange, FleetBucket>(new FleetChanges())) {
            harness.open();
            harness.processElement(new StreamRecord<>(change("M1", 0, 100, 100, 1)));
            harness.processElement(new StreamRecord<>(change("M2", 0, 40, 40, 1)));
            harness.processElement(new StreamRecord<>(change("M1", 0, 130, 30, 0)));
            harness.processElement(new StreamRecord<>(change("M1", 900_000, 0, 0, 0))); // no change: nothing to add
            harness.prepareSnapshotPreBarrier(1);

            assertThat(harness.extractOutputValues()).containsExactly(new FleetBucket("import", 0, 170, 2));
        }
    }

    @Test
    void lateChangesKeepTheFleetTotalExact() throws Exception {
        try (var harness = new KeyedOneInputStreamOperatorTestHarness<String, FleetBucket, FleetBucket>(
                new KeyedProcessOperator<>(new FleetTotals()), FleetBucket::key, Types.STRING)) {
            harness.open();
            harness.processElement(new StreamRecord<>(new FleetBucket("import", 0, 170, 2)));
            harness.processElement(new StreamRecord<>(new FleetBucket("import", 900_000, 5, 1)));
            harness.processElement(new StreamRecord<>(new FleetBucket("import", 0, 30, 1))); // a late meter

            assertThat(harness.extractOutputValues()).containsExactly(
                    new FleetBucket("import", 0, 170, 2), new FleetBucket("import", 900_000, 5, 1), new FleetBucket("import", 0, 200, 3));
        }
    }
}
