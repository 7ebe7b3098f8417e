package io.wattflow.api.run;

/** Where one customer of a billing run stands ({@code billing_run_customer.state}). */
public enum CustomerState implements StoredName {
    PENDING,
    /** Not billable in this run, with the reason: an operator fixes the data and bills the customer in a later run. */
    HELD,
    INVOICED,
    /** Its invoice was cancelled by a credit note when the run was cancelled. */
    CREDITED
}
