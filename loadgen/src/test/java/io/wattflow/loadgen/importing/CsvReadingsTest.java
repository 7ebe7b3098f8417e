package io.wattflow.loadgen.importing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import org.junit.jupiter.api.Test;

class CsvReadingsTest {

    private static CollectingSink read(String csv) throws Exception {
        CollectingSink sink = new CollectingSink();
        CsvReadings.read(new StringReader(csv), sink);
        return sink;
    }

    @Test
    void intervalAndRegisterRowsBecomeTheReadingsTheJobTakes() throws Exception {
        CollectingSink sink = read("""
                readingId,meterId,channel,kind,start,end,kwh,ts,registerKwh
                r-1,MTR-1,import,interval,2026-11-28T10:00:00Z,2026-11-28T10:15:00Z,1.234,,
                r-2,MTR-1,export,register,,,,2026-11-28T11:15:00+01:00,10234.5670
                """);

        assertThat(sink.badRows).isEmpty();
        assertThat(sink.json()).containsExactly(
                "{\"readingId\":\"r-1\",\"meterId\":\"MTR-1\",\"channel\":\"import\",\"kind\":\"interval\","
                        + "\"start\":\"2026-11-28T10:00:00Z\",\"end\":\"2026-11-28T10:15:00Z\",\"kwh\":1.234}",
                "{\"readingId\":\"r-2\",\"meterId\":\"MTR-1\",\"channel\":\"export\",\"kind\":\"register\","
                        + "\"ts\":\"2026-11-28T10:15:00Z\",\"registerKwh\":10234.567}");
        assertThat(sink.readings).extracting(ImportedReading::meterId, ImportedReading::line)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("MTR-1", 2L), org.assertj.core.groups.Tuple.tuple("MTR-1", 3L));
    }

    @Test
    void withoutAReadingIdTheIdComesFromTheReadingSoAReimportGivesTheSameIds() throws Exception {
        String file = "meterId,start,end,kwh\nMTR-1,2026-11-28T10:00:00Z,2026-11-28T10:15:00Z,1\n"
                + "MTR-1,2026-11-28T11:00:00+01:00,2026-11-28T11:15:00+01:00,2\nMTR-1,2026-11-28T10:15:00Z,2026-11-28T10:30:00Z,1\n";

        CollectingSink first = read(file);
        CollectingSink again = read(file);

        assertThat(again.json()).isEqualTo(first.json());
        String id = CsvReadings.derivedId("MTR-1", "import", "interval", "2026-11-28T10:00:00Z/2026-11-28T10:15:00Z");
        assertThat(id).matches("csv-[0-9a-f]{32}");
        // the same interval written with another offset is the same reading: the resend the job counts once
        assertThat(first.json().get(0)).contains("\"readingId\":\"" + id + "\"");
        assertThat(first.json().get(1)).contains("\"readingId\":\"" + id + "\"");
        assertThat(first.json().get(2)).doesNotContain(id);
    }

    @Test
    void badRowsAreReportedWithTheirLineAndReasonAndTheOthersAreRead() throws Exception {
        CollectingSink sink = read("""
                meterId,channel,start,end,kwh
                MTR-1,import,2026-11-28T10:00:00Z,2026-11-28T10:15:00Z,1
                MTR 2,import,2026-11-28T10:00:00Z,2026-11-28T10:15:00Z,1
                MTR-3,both,2026-11-28T10:00:00Z,2026-11-28T10:15:00Z,1
                MTR-4,import,2026-11-28 10:00,2026-11-28T10:15:00Z,1

                MTR-5,import,2026-11-28T10:15:00Z,2026-11-28T10:00:00Z,1
                MTR-6,import,2026-11-28T10:00:00Z,2026-11-28T10:15:00Z,-1
                MTR-7,import,2026-11-28T10:00:00Z,2026-11-28T10:15:00Z,0.0000001
                MTR-8,import,2026-11-28T10:00:00Z,2026-11-28T10:15:00Z,1e3
                MTR-9,import,2026-11-28T10:00:00Z,2026-11-28T10:15:00Z
                "MTR-10",import,2026-11-28T10:00:00Z,2026-11-28T10:15:00Z,"2.5"
                MTR-11,import,2026-11-28T10:00:00Z,2026-11-28T10:15:00Z,"unterminated
                """);

        assertThat(sink.badRows).containsExactly(
                "3: meterId 'MTR 2' must be 1-64 letters, digits or . _ : -",
                "4: channel must be import or export, got 'both'",
                "5: start '2026-11-28 10:00' is not a date-time with an offset, e.g. 2026-11-28T10:00:00Z",
                "7: end must be after start",
                "8: kwh is negative",
                "9: kwh has more than 6 decimals in kWh (finer than 1 milli-Wh)",
                "10: kwh '1e3' is not a decimal number",
                "11: has 4 fields, the header 5",
                "13: is not valid CSV: a quoted field is not closed, or a quote stands inside an unquoted field");
        assertThat(sink.readings).extracting(ImportedReading::meterId).containsExactly("MTR-1", "MTR-10");
        assertThat(sink.json().get(1)).contains("\"kwh\":2.5");
    }

    @Test
    void aHeaderWithAnUnknownColumnOrWithoutMeterIdRefusesTheFile() {
        assertThatThrownBy(() -> read("meter,start,end,kwh\n")).isInstanceOf(CsvReadings.BadHeader.class)
                .hasMessageStartingWith("line 1: unknown column 'meter'; the columns are");
        assertThatThrownBy(() -> read("start,end,kwh\n")).hasMessage("line 1: the header has no meterId column");
        assertThatThrownBy(() -> read("")).hasMessageStartingWith("the file is empty");
    }

    @Test
    void aLineLongerThanTheBoundIsReportedWithoutBeingKept() throws Exception {
        String longLine = "MTR-1,2026-11-28T10:00:00Z,2026-11-28T10:15:00Z," + "1".repeat(BoundedLines.MAX_LINE_CHARS);

        CollectingSink sink = read("meterId,start,end,kwh\n" + longLine + "\nMTR-2,2026-11-28T10:00:00Z,2026-11-28T10:15:00Z,1\r\n");

        assertThat(sink.badRows).containsExactly("2: longer than 1048576 characters");
        assertThat(sink.readings).extracting(ImportedReading::meterId, ImportedReading::line)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("MTR-2", 3L));
    }

    @Test
    void readingIdsAreEscapedAsJsonStrings() throws Exception {
        CollectingSink sink = read("readingId,meterId,start,end,kwh\n\"a\"\"b\\c\",MTR-1,2026-11-28T10:00:00Z,2026-11-28T10:15:00Z,1\n");

        assertThat(sink.json()).singleElement().asString().startsWith("{\"readingId\":\"a\\\"b\\\\c\",");
    }
}
