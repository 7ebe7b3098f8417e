package io.wattflow.api.tariff;

import java.time.DayOfWeek;
import java.time.LocalDate;

/** Which local days a time-of-use rate applies to. */
public enum DayType {
    ALL, WEEKDAY, WEEKEND;

    public boolean includes(LocalDate date) {
        boolean weekend = date.getDayOfWeek() == DayOfWeek.SATURDAY || date.getDayOfWeek() == DayOfWeek.SUNDAY;
        return this == ALL || (this == WEEKEND) == weekend;
    }
}
