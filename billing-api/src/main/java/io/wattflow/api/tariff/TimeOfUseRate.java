package io.wattflow.api.tariff;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalTime;

/**
 * A price per kWh for a named tariff period (peak, off-peak, night, ...) on some local days, over the local
 * time-of-day range [from, to). A range whose end is not after its start wraps past midnight (22:00-07:00);
 * equal ends cover the whole day.
 */
public record TimeOfUseRate(String period, DayType days, LocalTime from, LocalTime to, BigDecimal pricePerKwh) {

    public boolean applies(LocalDate date, LocalTime time) {
        if (!days.includes(date)) {
            return false;
        }
        if (from.equals(to)) {
            return true;
        }
        if (from.isBefore(to)) {
            return !time.isBefore(from) && time.isBefore(to);
        }
        return !time.isBefore(from) || time.isBefore(to);
    }
}
