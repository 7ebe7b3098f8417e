package io.wattflow.api.run;

import java.util.Locale;

/** Where one customer of a billing run stands ({@code billing_run_customer.state}). */
public enum CustomerState {
    PENDING,
    /** Not billable in this run, with the reason: an operator fixes the data and bills the customer in a later run. */
    HELD,
    INVOICED,
    /** Its invoice was cancelled by a credit note when the run was cancelled. */
    CREDITED;

    /** The value in the database and in answers. */
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    static CustomerState of(String code) {
        return valueOf(code.toUpperCase(Locale.ROOT));
    }
}
