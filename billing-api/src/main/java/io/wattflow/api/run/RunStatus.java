package io.wattflow.api.run;

import java.util.Locale;

/** Where a billing run stands ({@code billing_run.status}). */
public enum RunStatus {
    /** Customers are being invoiced. */
    RUNNING,
    /** An operator cancelled it: its invoices are being credited. */
    CANCELLING,
    COMPLETED,
    CANCELLED;

    /** The value in the database and in answers. */
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    static RunStatus of(String code) {
        return valueOf(code.toUpperCase(Locale.ROOT));
    }
}
