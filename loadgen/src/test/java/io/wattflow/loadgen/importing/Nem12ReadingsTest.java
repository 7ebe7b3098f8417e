package io.wattflow.loadgen.importing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.math.BigDecimal;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class Nem12ReadingsTest {
    private static final Pattern KWH = Pattern.compile("\"kwh\":([0-9.]+)");

    private static String values(int count, String value) {
        return String.join(",", Collections.nCopies(count, value));
    }

    private static CollectingSink read(String file) throws Exception {
        CollectingSink sink = new CollectingSink();
        Nem12Readings.read(new StringReader(file), sink);
        return sink;
    }

    private static BigDecimal totalKwh(List<String> json, String channel) {
        BigDecimal total = BigDecimal.ZERO;
        for (String reading : json) {
            if (reading.contains("\"channel\":\"" + channel + "\"")) {
                Matcher kwh = KWH.matcher(reading);
                assertThat(kwh.find()).isTrue();
                total = total.add(new BigDecimal(kwh.group(1)));
            }
        }
        return total;
    }

    static final String FILE = String.join("\n",
            "100,NEM12,202611300000,MDA1,Ret1",
            "200,NMI0000001,E1B1,1,E1,N1,METSER1,kWh,30,",
            "300,20261128," + values(48, "0.125") + ",A,,,20261129000000,",
            "300,20261129," + values(48, "0.5") + ",V,,,20261130000000,",
            "400,1,10,A,,",
            "400,11,20,E52,79,estimated",
            "400,21,48,N,,",
            "500,O,S01,20261130000000,",
            "200,NMI0000001,E1B1,2,B1,N2,METSER1,Wh,30,",
            "300,20261128," + values(48, "250") + ",S53,,,20261129000000,",
            "200,NMI0000002,Q1,1,Q1,N1,METSER2,kVArh,30,",
            "300,20261128," + values(48, "1") + ",A,,,20261129000000,",
            "900");

    @Test
    void everyIntervalValueBecomesAnIntervalReadingInNemTimeWithItsQuality() throws Exception {
        CollectingSink sink = read(FILE);

        assertThat(sink.readings).hasSize(48 + 20 + 48);
        assertThat(sink.json().get(0)).isEqualTo("{\"readingId\":\"nem12:NMI0000001:E1:20261128:1\",\"meterId\":\"NMI0000001\","
                + "\"channel\":\"import\",\"kind\":\"interval\",\"start\":\"2026-11-27T14:00:00Z\",\"end\":\"2026-11-27T14:30:00Z\","
                + "\"kwh\":0.125,\"quality\":\"actual\"}");
        assertThat(sink.json().get(47)).contains("\"start\":\"2026-11-28T13:30:00Z\",\"end\":\"2026-11-28T14:00:00Z\"");
        // the V day: intervals 1-10 actual, 11-20 estimated (E52), 21-48 null: no value, counted
        assertThat(sink.json().get(48 + 9)).contains("nem12:NMI0000001:E1:20261129:10\"", "\"quality\":\"actual\"");
        assertThat(sink.json().get(48 + 10)).endsWith("\"kwh\":0.5,\"quality\":\"estimated\",\"qualityFlag\":\"E52\"}")
                .contains("nem12:NMI0000001:E1:20261129:11\"");
        assertThat(sink.noData).hasSize(28).containsOnly(4L);
        // generation in Wh is export in kWh, exactly; substituted (S53) is carried as estimated
        assertThat(sink.json().get(68)).isEqualTo("{\"readingId\":\"nem12:NMI0000001:B1:20261128:1\",\"meterId\":\"NMI0000001\","
                + "\"channel\":\"export\",\"kind\":\"interval\",\"start\":\"2026-11-27T14:00:00Z\",\"end\":\"2026-11-27T14:30:00Z\","
                + "\"kwh\":0.25,\"quality\":\"estimated\",\"qualityFlag\":\"S53\"}");
        assertThat(totalKwh(sink.json(), "import")).isEqualByComparingTo("16"); // 48 x 0.125 + 20 x 0.5
        assertThat(totalKwh(sink.json(), "export")).isEqualByComparingTo("12"); // 48 x 250 Wh
        // reactive energy is refused with its stream, every row of it reported
        assertThat(sink.badRows).containsExactly(
                "11: NMI suffix 'Q1' is not an energy channel Wattflow bills (E consumption, B generation)",
                "12: belongs to the 200 record on line 11, which was refused");
    }

    @Test
    void theSameFileGivesTheSameReadingIds() throws Exception {
        assertThat(read(FILE).json()).isEqualTo(read(FILE).json());
    }

    @Test
    void fiveAndFifteenMinuteStreamsAndMegawattHoursConvertExactly() throws Exception {
        CollectingSink sink = read(String.join("\r\n",
                "100,NEM12,202611300000,MDA1,Ret1",
                "200,NMI0000003,E1,1,E1,N1,M3,MWh,15,",
                "300,20261128," + values(96, "0.000001") + ",A,,,,",
                "200,NMI0000004,E1,1,E1,N1,M4,kWh,5,",
                "300,20261128," + values(288, "1.5") + ",F14,,,,",
                "900", ""));

        assertThat(sink.badRows).isEmpty();
        assertThat(sink.readings).hasSize(96 + 288);
        assertThat(sink.json().get(0)).contains("\"end\":\"2026-11-27T14:15:00Z\",\"kwh\":0.001,"); // 1 Wh
        assertThat(sink.json().get(96)).contains("\"end\":\"2026-11-27T14:05:00Z\",\"kwh\":1.5,\"quality\":\"estimated\",\"qualityFlag\":\"F14\"");
    }

    @Test
    void malformedRecordsAreReportedWithTheirLineAndTheRestIsRead() throws Exception {
        CollectingSink sink = read(String.join("\n",
                "100,NEM12,202611300000,MDA1,Ret1",
                "300,20261128," + values(48, "1") + ",A,,,,",
                "200,NMI0000001,E1,1,E1,N1,M1,kWh,30,",
                "300,20261128," + values(47, "1") + ",A,,,,",
                "300,2026-11-28," + values(48, "1") + ",A,,,,",
                "300,20261128," + values(48, "1") + ",X,,,,",
                "300,20261129," + values(47, "1") + ",0.0000001,A,,,,",
                "300,20261130," + values(48, "1") + ",V,,,,",
                "400,1,47,A,,",
                "400,40,49,A,,",
                "200,NMI0000001,E1,1,E1,N1,M1,kWh,60,",
                "200,NMI0000001,E1,1,E1,N1,M1,GJ,30,",
                "200,NMI0000001",
                "250,what",
                "200,NMI0000009,E1,1,E1,N1,M1,kWh,30,",
                "300,20261201," + values(48, "2") + ",A,,,,",
                "900",
                "300,20261202," + values(48, "1") + ",A,,,,"));

        assertThat(sink.badRows).containsExactly(
                "2: a 300 record before any 200 record",
                "4: a 300 record of 30-minute intervals has 55 fields (300, the date, 48 values, quality method, reason code and "
                        + "description, update and load times), this one 54",
                "5: interval date '2026-11-28' is not YYYYMMDD",
                "6: quality method 'X' is not A, E, F, N, S or V (with a method number)",
                "7: interval 48 has more than 6 decimals in kWh (finer than 1 milli-Wh)",
                "10: intervals 40 to 49 are not within 1 to 48",
                "8: interval 48 of a V (variable quality) day has no 400 record",
                "11: interval length '60' is not 5, 15 or 30 minutes",
                "12: unit 'GJ' is not energy in Wh, kWh or MWh",
                "13: a 200 record has at least 9 fields (NMI ... UOM, IntervalLength), this one 2",
                "14: unknown record type '250' (NEM12 has 100, 200, 300, 400, 500 and 900)",
                "18: a record after the 900 end record");
        // line 7's 47 good values, line 8's 47 intervals with a 400, line 16's 48
        assertThat(sink.readings).hasSize(47 + 47 + 48);
        assertThat(sink.readings.get(sink.readings.size() - 1).meterId()).isEqualTo("NMI0000009");
    }
}
