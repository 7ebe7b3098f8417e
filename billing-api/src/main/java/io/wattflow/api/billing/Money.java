package io.wattflow.api.billing;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Currency;

/**
 * The one rounding rule of Wattflow: every invoice line is rounded half-even to the currency's minor unit (cents
 * for EUR), the subtotal is the sum of the rounded lines, and tax is computed on that rounded subtotal and rounded
 * the same way. So the lines of a bill always add up to its total.
 */
public final class Money {
    private Money() {
    }

    public static BigDecimal round(BigDecimal amount, Currency currency) {
        return amount.setScale(currency.getDefaultFractionDigits(), RoundingMode.HALF_EVEN);
    }
}
