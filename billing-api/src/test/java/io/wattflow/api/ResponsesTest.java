package io.wattflow.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
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

    @Test
    void ofJsonCsvAndAtomTheHighestWeightWinsAndJsonWinsTies() {
        List<String> offered = List.of(Responses.JSON, Responses.CSV, Responses.ATOM);

        assertThat(Responses.preferredType("application/atom+xml", offered)).isEqualTo(Responses.ATOM);
        assertThat(Responses.preferredType("application/atom+xml, text/csv;q=0.5", offered)).isEqualTo(Responses.ATOM);
        assertThat(Responses.preferredType("application/atom+xml;q=0.5, text/csv", offered)).isEqualTo(Responses.CSV);
        assertThat(Responses.preferredType("application/json, text/csv, application/atom+xml", offered)).isEqualTo(Responses.JSON);
        assertThat(Responses.preferredType("text/csv, application/atom+xml", offered)).isEqualTo(Responses.CSV); // the earlier offer wins a tie
        assertThat(Responses.preferredType("application/xml", offered)).isEqualTo(Responses.JSON);
        assertThat(Responses.preferredType(null, offered)).isEqualTo(Responses.JSON);
    }
}
