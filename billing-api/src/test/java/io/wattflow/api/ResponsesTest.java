package io.wattflow.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ResponsesTest {

    @Test
    void csvOnlyWhenTheClientPrefersItToJson() {
        assertThat(Responses.prefersCsv("text/csv")).isTrue();
        assertThat(Responses.prefersCsv("text/csv, */*;q=0.1")).isTrue();
        assertThat(Responses.prefersCsv("application/json;q=0.5, text/csv")).isTrue();
        assertThat(Responses.prefersCsv("TEXT/CSV;charset=utf-8")).isTrue();

        assertThat(Responses.prefersCsv(null)).isFalse();
        assertThat(Responses.prefersCsv("*/*")).isFalse();
        assertThat(Responses.prefersCsv("application/json, text/csv, application/problem+json")).isFalse(); // a generated client
        assertThat(Responses.prefersCsv("text/csv;q=0.9, application/json")).isFalse();
        assertThat(Responses.prefersCsv("text/csv;q=0")).isFalse();
        assertThat(Responses.prefersCsv("text/csv;q=2")).isFalse(); // not a weight: counts as 0
        assertThat(Responses.prefersCsv("text/csv;q=0.001")).isTrue();
        assertThat(Responses.prefersCsv("x".repeat(2_000) + ", text/csv")).isFalse(); // absurd headers are not parsed
    }
}
