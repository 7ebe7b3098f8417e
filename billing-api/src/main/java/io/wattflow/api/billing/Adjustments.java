package io.wattflow.api.billing;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Currency;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Late usage: when the kWh now known for an already invoiced period differ from what was invoiced for it (its energy
 * lines plus every adjustment for it since), the difference is billed on the next invoice, line by line at the
 * original price. So nothing late is lost, and nothing is billed twice.
 */
public final class Adjustments {
    private Adjustments() {
    }

    /**
     * @param originalPeriod the invoiced period
     * @param recomputed     the period priced again now
     * @param invoiced       what was invoiced for it: the energy lines of its invoice and the adjustment lines for it
     */
    public static List<Bill.Line> forPeriod(String originalPeriod, Bill recomputed, List<Bill.Line> invoiced) {
        Currency currency = Currency.getInstance(recomputed.currency());
        Map<String, BigDecimal> billed = new LinkedHashMap<>();
        Map<String, Bill.Line> lineOf = new LinkedHashMap<>();
        for (Bill.Line line : invoiced) {
            if (line.kind().equals("energy") || line.kind().equals("adjustment")) {
                billed.merge(line.priceKey(), line.quantity(), BigDecimal::add);
                lineOf.putIfAbsent(line.priceKey(), line);
            }
        }
        Map<String, BigDecimal> now = new LinkedHashMap<>();
        for (Bill.Line line : recomputed.lines()) {
            if (line.kind().equals("energy")) {
                now.merge(line.priceKey(), line.quantity(), BigDecimal::add);
                lineOf.put(line.priceKey(), line);
            }
        }
        List<Bill.Line> adjustments = new ArrayList<>();
        for (Map.Entry<String, Bill.Line> entry : lineOf.entrySet()) {
            BigDecimal delta = now.getOrDefault(entry.getKey(), BigDecimal.ZERO).subtract(billed.getOrDefault(entry.getKey(), BigDecimal.ZERO));
            if (delta.signum() != 0) {
                Bill.Line line = entry.getValue();
                adjustments.add(new Bill.Line("adjustment", originalPeriod, line.tariffId(), line.validFrom(), line.period(),
                        delta.setScale(6), "kWh", line.unitPrice(), Money.round(delta.multiply(line.unitPrice()), currency), line.taxRate()));
            }
        }
        return adjustments;
    }
}
