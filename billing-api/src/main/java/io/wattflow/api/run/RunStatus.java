package io.wattflow.api.run;

/** Where a billing run stands ({@code billing_run.status}). */
public enum RunStatus implements StoredName {
    /** Customers are being invoiced. */
    RUNNING,
    /** An operator cancelled it: its invoices are being credited. */
    CANCELLING,
    COMPLETED,
    CANCELLED
}
