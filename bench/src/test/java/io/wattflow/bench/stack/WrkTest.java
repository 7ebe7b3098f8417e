package io.wattflow.bench.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WrkTest {
    private static final String REPORT = """
            Running 30s test @ http://127.0.0.1:18080/health/live
              2 threads and 32 connections
              Thread Stats   Avg      Stdev     Max   +/- Stdev
                Latency     6.12ms    5.03ms  80.12ms   88.12%%
                Req/Sec     2.71k   312.45     3.40k    71.00%%
              Latency Distribution
                 50%%  %s
                 75%%    7.10ms
                 90%%   11.20ms
                 99%%  %s
              162345 requests in 30.00s, 21.34MB read
            %sRequests/sec:   5411.50
            Transfer/sec:    728.45KB
            """;

    @Test
    void readsRequestsPerSecondAndPercentilesInMilliseconds() {
        Wrk.Result result = Wrk.parse(String.format(REPORT, "850.00us", "1.20s", ""), "url");

        assertThat(result.requestsPerSecond()).isEqualTo(5411.50);
        assertThat(result.p50Millis()).isEqualTo(0.85);
        assertThat(result.p99Millis()).isEqualTo(1200.0);
    }

    @Test
    void aRunWithFailedRequestsIsNotAResult() {
        String failed = String.format(REPORT, "5.57ms", "38.60ms", "  Non-2xx or 3xx responses: 12\n");

        assertThatThrownBy(() -> Wrk.parse(failed, "http://x/api")).isInstanceOf(BenchException.class)
                .hasMessageContaining("12 requests to http://x/api did not answer 2xx");
    }

    @Test
    void aRunWithSocketErrorsIsNotAResult() {
        String errors = String.format(REPORT, "5.57ms", "38.60ms", "  Socket errors: connect 0, read 3, write 0, timeout 1\n");

        assertThatThrownBy(() -> Wrk.parse(errors, "url")).isInstanceOf(BenchException.class).hasMessageContaining("socket errors");
    }
}
