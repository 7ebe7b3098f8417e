package io.wattflow.bench.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class FigureTest {
    @Test
    void medianOfThreeRunsWithTheSmallestAndLargest() {
        Figure figure = Figure.of(List.of(120.0, 80.0, 100.0));

        assertThat(figure.median()).isEqualTo(100.0);
        assertThat(figure.min()).isEqualTo(80.0);
        assertThat(figure.max()).isEqualTo(120.0);
        assertThat(figure.runs()).isEqualTo(3);
        assertThat(figure.measured()).isTrue();
    }

    @Test
    void medianOfAnEvenNumberOfRunsIsTheMeanOfTheMiddleTwo() {
        assertThat(Figure.of(List.of(4.0, 1.0, 3.0, 2.0)).median()).isEqualTo(2.5);
    }

    @Test
    void percentileIsANearestRankSampleNeverAnInterpolation() {
        List<Double> latencies = List.of(10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 1000.0);

        assertThat(Figure.percentile(latencies, 50)).isEqualTo(50.0);
        assertThat(Figure.percentile(latencies, 99)).isEqualTo(1000.0);
        assertThat(Figure.percentile(latencies, 90)).isEqualTo(90.0);
    }

    @Test
    void aFigureNeedsSamples() {
        assertThatThrownBy(() -> Figure.of(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThat(Figure.failed("no wrk").measured()).isFalse();
    }
}
