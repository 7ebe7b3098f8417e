package io.wattflow.api.billing;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

class AdjustmentsTest {
    private static Bill.Line energy(String period, String kwh, String price) {
        return new Bill.Line("energy", null, "standard", "2000-01-01", period, new BigDecimal(kwh), "kWh", new BigDecimal(price),
                BigDecimal.ZERO, new BigDecimal("0.19"));
    }

    private static Bill bill(Bill.Line... lines) {
        return new Bill("C-1", "2026-10", "UTC", "EUR", List.of(lines), BigDecimal.ZERO, List.of(), BigDecimal.ZERO, BigDecimal.ZERO, Map.of());
    }

    @Test
    void lateKwhAreBilledOnceAtTheOriginalPrice() {
        List<Bill.Line> invoiced = List.of(energy("day", "10.000000", "0.32"), energy("night", "4.000000", "0.22"));
        Bill now = bill(energy("day", "10.000000", "0.32"), energy("night", "9.000000", "0.22"));

        List<Bill.Line> adjustments = Adjustments.forPeriod("2026-10", now, invoiced);

        assertThat(adjustments).singleElement().satisfies(line -> {
            assertThat(line.kind()).isEqualTo("adjustment");
            assertThat(line.originalPeriod()).isEqualTo("2026-10");
            assertThat(line.period()).isEqualTo("night");
            assertThat(line.quantity()).isEqualByComparingTo("5");
            assertThat(line.amount()).isEqualByComparingTo("1.10");
        });

        // Once adjusted, the same late kWh are not billed again.
        List<Bill.Line> afterAdjustment = List.of(invoiced.get(0), invoiced.get(1), adjustments.get(0));
        assertThat(Adjustments.forPeriod("2026-10", now, afterAdjustment)).isEmpty();
    }

    @Test
    void kWhThatDisappearedAreCreditedAndNewTariffPeriodsAdded() {
        List<Bill.Line> invoiced = List.of(energy("day", "3.000000", "0.32"));
        Bill now = bill(energy("night", "1.000000", "0.22"));

        assertThat(Adjustments.forPeriod("2026-10", now, invoiced)).extracting(Bill.Line::period, Bill.Line::amount)
                .containsExactly(Tuple.tuple("day", new BigDecimal("-0.96")),
                        Tuple.tuple("night", new BigDecimal("0.22")));
    }
}
