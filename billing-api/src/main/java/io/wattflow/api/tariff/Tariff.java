package io.wattflow.api.tariff;

import java.time.LocalDate;
import java.util.Comparator;
import java.util.Currency;
import java.util.List;
import java.util.Optional;

/** A tariff with its dated versions, oldest first. */
public record Tariff(String id, String name, Currency currency, List<TariffVersion> versions) {

    public Tariff {
        versions = versions.stream().sorted(Comparator.comparing(TariffVersion::validFrom)).toList();
    }

    /** The version valid on a local date, if the tariff had started by then. */
    public Optional<TariffVersion> versionOn(LocalDate date) {
        TariffVersion valid = null;
        for (TariffVersion version : versions) {
            if (!version.validFrom().isAfter(date)) {
                valid = version;
            }
        }
        return Optional.ofNullable(valid);
    }
}
