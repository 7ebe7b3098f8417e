package io.wattflow.api.billing;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * A priced period of one customer. Amounts in the currency with its minor unit; energy in kWh with 6 decimals.
 *
 * @param completeness per meter: the share of the period's 15-minute slots (while the meter was the customer's)
 *                     that have data, from 0 to 1 with 4 decimals
 */
public record Bill(String customerId, String period, String timezone, String currency, List<Line> lines, BigDecimal subtotal,
                   List<Tax> taxes, BigDecimal total, BigDecimal totalKwh, Map<String, BigDecimal> completeness) {

    /**
     * An energy line (a tariff period at one price), a standing-charge line, or an adjustment: the difference between
     * the kWh now known for an earlier, already invoiced period ({@code originalPeriod}) and the kWh invoiced for it.
     */
    /** About the heap this bill takes: its fields, and per line a dozen strings and decimals. */
    public int approximateBytes() {
        return 1024 + 600 * lines.size();
    }

    public record Line(String kind, String originalPeriod, String tariffId, String validFrom, String period, BigDecimal quantity,
                       String unit, BigDecimal unitPrice, BigDecimal amount, BigDecimal taxRate) {

        /** The same tariff period at the same price: what an adjustment is matched on. */
        public String priceKey() {
            return tariffId + "|" + validFrom + "|" + period + "|" + unitPrice.stripTrailingZeros().toPlainString();
        }
    }

    /** Tax at one rate on the subtotal of the lines priced under it. */
    public record Tax(BigDecimal rate, BigDecimal base, BigDecimal amount) {
    }
}
