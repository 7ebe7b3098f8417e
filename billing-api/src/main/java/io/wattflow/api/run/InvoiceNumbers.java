package io.wattflow.api.run;

/** Invoice numbers: the series and a gap-free counter, e.g. INV-000042 and CRN-000007. */
final class InvoiceNumbers {
    private InvoiceNumbers() {
    }

    static String format(String series, long number) {
        return String.format("%s-%06d", series, number);
    }
}
