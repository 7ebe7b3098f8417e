package io.wattflow.api.tariff;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;

/**
 * The prices of a tariff from a local date on (in the customer's time zone): time-of-use rates, a standing charge per
 * local day, and the tax rate applied to the invoice subtotal of what is priced under this version.
 */
public record TariffVersion(LocalDate validFrom, BigDecimal standingChargePerDay, BigDecimal taxRate, List<TimeOfUseRate> rates) {

    /** The rate of a local instant; the first matching rate wins. Tariffs are validated to cover every minute of every day. */
    public TimeOfUseRate rateAt(LocalDateTime local) {
        for (TimeOfUseRate rate : rates) {
            if (rate.applies(local.toLocalDate(), local.toLocalTime())) {
                return rate;
            }
        }
        throw new IllegalStateException("tariff version from " + validFrom + " has no rate for " + local);
    }
}
