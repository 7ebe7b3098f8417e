package io.wattflow.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReadingGeneratorTest {
    private static final GeneratorSettings SETTINGS =
            new GeneratorSettings(7, 40, 15, 99, Instant.parse("2026-11-01T00:00:00Z"), 0, 0, 0, 0);

    @Test
    void sameSettingsGiveTheSameRecordsInTheSameOrder() {
        GeneratorSettings faulty = SETTINGS.withFaults(0.1, 0.1, 0.05, 0.05);
        assertThat(records(faulty)).containsExactlyElementsOf(records(faulty));
    }

    @Test
    void meterNumbersFromAnOffsetNameOtherMetersWithTheSameReadings() {
        GeneratorSettings both = SETTINGS.withRegisterMeters(2, 0);
        List<String> meters = new ArrayList<>();
        List<Long> energies = new ArrayList<>();
        List<Long> shiftedEnergies = new ArrayList<>();
        ReadingGenerator.validReadings(both).forEach(reading -> energies.add(reading.energyMilliWattHours()));
        ReadingGenerator.validReadings(both.withMeterNumbersFrom(100)).forEach(reading -> {
            meters.add(reading.meterId());
            shiftedEnergies.add(reading.energyMilliWattHours());
        });
        assertThat(new HashSet<>(meters)).containsExactlyInAnyOrder("MTR-0101", "MTR-0102", "MTR-0103", "MTR-0104", "MTR-0105", "MTR-0106",
                "MTR-0107", "REG-0101", "REG-0102");
        assertThat(shiftedEnergies).containsExactlyElementsOf(energies);
        assertThatThrownBy(() -> SETTINGS.withMeterNumbersFrom(9_999_995)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("meter numbers");
    }

    @Test
    void withoutFaultsEveryValidReadingIsSentOnceInOrder() {
        List<String> expected = new ArrayList<>();
        ReadingGenerator.validReadings(SETTINGS).forEach(reading -> expected.add(ReadingGenerator.toJson(reading)));
        assertThat(records(SETTINGS)).hasSize(7 * 40).containsExactlyElementsOf(expected);
    }

    @Test
    void faultsAddDuplicatesAndMalformedRecordsButLoseNoValidReading() {
        GeneratorSettings faulty = SETTINGS.withFaults(0.2, 0.2, 0.1, 0.1);
        ReadingGenerator generator = new ReadingGenerator(faulty);
        List<String> values = new ArrayList<>();
        generator.forEachRemaining(record -> values.add(record.value()));
        Set<String> valid = new HashSet<>();
        ReadingGenerator.validReadings(faulty).forEach(reading -> valid.add(ReadingGenerator.toJson(reading)));

        long malformed = values.stream().filter(value -> !valid.contains(value)).count();
        assertThat(malformed).isEqualTo(generator.malformedCount()).isPositive();
        assertThat(new HashSet<>(values)).containsAll(valid);
        long duplicates = values.size() - malformed - valid.size();
        assertThat(duplicates).isPositive();
        assertThat(values).isNotEqualTo(records(SETTINGS)); // reordered as well
    }

    @Test
    void aReadingDependsOnlyOnSeedMeterAndInterval() {
        GeneratorSettings later = new GeneratorSettings(7, 40, 15, 99, Instant.parse("2026-11-01T05:00:00Z"), 0, 0, 0, 0);
        // interval 20 of the first run is interval 0 of the second (5 h later = 20 quarter hours)
        assertThat(ReadingGenerator.reading(later, 3)).isEqualTo(ReadingGenerator.reading(SETTINGS, 20 * 7 + 3));
    }

    @Test
    void energyHasExactlyRepresentableKilowattHours() {
        ReadingGenerator.IntervalReading reading = new ReadingGenerator.IntervalReading("r-1", "MTR-0001",
                Instant.parse("2026-11-01T00:00:00Z"), Instant.parse("2026-11-01T00:15:00Z"), 1_234_500);
        assertThat(ReadingGenerator.toJson(reading)).isEqualTo("{\"readingId\":\"r-1\",\"meterId\":\"MTR-0001\",\"channel\":\"import\","
                + "\"kind\":\"interval\",\"start\":\"2026-11-01T00:00:00Z\",\"end\":\"2026-11-01T00:15:00Z\",\"kwh\":1.2345}");
    }

    @Test
    void settingsEndingBeforeNowNeverReachTheFuture() {
        Instant now = Instant.parse("2026-11-28T10:07:13Z");
        GeneratorSettings settings = GeneratorSettings.endingBefore(now, 3, 96, 15, 1);
        assertThat(settings.end()).isBeforeOrEqualTo(now);
        assertThat(settings.start()).isEqualTo(Instant.parse("2026-11-27T10:00:00Z"));
    }

    @Test
    void commandLineErrorsSayWhatToFix() {
        Instant now = Instant.parse("2026-11-28T10:00:00Z");
        assertThatThrownBy(() -> LoadGenerator.parse(new String[] {"--meterz", "3"}, now)).hasMessage("unknown option --meterz");
        assertThatThrownBy(() -> LoadGenerator.parse(new String[] {"--duration", "soon"}, now))
                .hasMessageContaining("--duration must look like 30s, 5m or 1h");
        assertThatThrownBy(() -> LoadGenerator.parse(new String[] {"--start", "2026-11-28T10:07:00Z"}, now))
                .hasMessageContaining("--start must be aligned to 15 minutes");
        LoadGenerator.Options options = LoadGenerator.parse(new String[] {"--meters", "10", "--rate", "100", "--duration", "30s"}, now);
        assertThat(options.settings().readingsPerMeter()).isEqualTo(300);
    }

    private static List<String> records(GeneratorSettings settings) {
        List<String> values = new ArrayList<>();
        new ReadingGenerator(settings).forEachRemaining(record -> values.add(record.value()));
        return values;
    }

    @Test
    void registerMetersSendRunningValuesWhoseDifferencesAreTheBilledIntervals() {
        GeneratorSettings settings = new GeneratorSettings(1, 6, 15, 5, Instant.parse("2026-11-01T00:00:00Z"), 0, 0, 0, 0)
                .withRegisterMeters(2, 0.3);
        List<String> registerValues = new ArrayList<>();
        new ReadingGenerator(settings).forEachRemaining(record -> {
            if (record.key().equals("REG-0001")) {
                registerValues.add(record.value().replaceAll(".*\"registerKwh\":([0-9.]+)}", "$1"));
            }
        });
        List<Long> billed = new ArrayList<>();
        ReadingGenerator.validReadings(settings).forEach(reading -> {
            if (reading.meterId().equals("REG-0001")) {
                billed.add(reading.energyMilliWattHours());
            }
        });

        assertThat(registerValues).hasSize(6);
        assertThat(billed).hasSize(5); // the first value is the baseline
        for (int k = 1; k < 6; k++) {
            long before = new BigDecimal(registerValues.get(k - 1)).movePointRight(6).longValueExact();
            long after = new BigDecimal(registerValues.get(k)).movePointRight(6).longValueExact();
            // a reset bills zero and restarts the register at zero; otherwise the difference is billed
            assertThat(billed.get(k - 1)).isEqualTo(after == 0 ? 0 : after - before);
        }
        assertThat(registerValues).contains("0"); // 30 % resets: at least one in five with this seed
    }
}
