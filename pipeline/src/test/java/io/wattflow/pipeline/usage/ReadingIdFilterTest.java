package io.wattflow.pipeline.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReadingIdFilterTest {
    @Test
    void everyAddedIdIsFoundAndFewOthersAre() {
        SplittableRandom random = new SplittableRandom(7);
        List<String> added = new ArrayList<>();
        for (int i = 0; i < 2_016; i++) {
            added.add("MTR-" + random.nextInt(100_000) + "-2026-11-" + i);
        }
        ReadingIdFilter filter = ReadingIdFilter.of(added.subList(0, 504));
        added.subList(504, added.size()).forEach(filter::add);

        assertThat(added).allMatch(filter::mightContain);
        long falsePositives = 0;
        for (int i = 0; i < 100_000; i++) {
            if (filter.mightContain("other-" + i)) {
                falsePositives++;
            }
        }
        assertThat(falsePositives).as("false positives of 100,000 ids never added").isLessThan(2_000);
        assertThat(filter.full()).isFalse();
    }

    @Test
    void aFilterIsFullOnceItHoldsMoreThanItsCapacity() {
        ReadingIdFilter filter = ReadingIdFilter.of(List.of("a", "b"));
        for (int i = 0; i < ReadingIdFilter.MIN_CAPACITY - 2; i++) {
            filter.add("id-" + i);
        }
        assertThat(filter.full()).isFalse();

        filter.add("one more");

        assertThat(filter.full()).isTrue();
        assertThat(filter.bytes()).isEqualTo(ReadingIdFilter.bytesFor(2));
    }
}
