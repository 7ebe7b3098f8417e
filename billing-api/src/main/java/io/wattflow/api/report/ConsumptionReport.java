package io.wattflow.api.report;

import io.wattflow.api.billing.Bill;
import io.wattflow.api.customer.CustomerService;
import io.wattflow.api.problem.ApiProblem;
import io.wattflow.api.run.Pages;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * Operators' consumption report of a month: kWh per customer (a page of customers, by id) or per tariff (every
 * customer's energy lines, by the tariff that priced them). The numbers are the bill previews' numbers.
 */
public final class ConsumptionReport {
    private final DataSource dataSource;
    private final CustomerService customers;

    public ConsumptionReport(DataSource dataSource, CustomerService customers) {
        this.dataSource = dataSource;
        this.customers = customers;
    }

    /** A row of the report: its JSON fields, and its CSV cells in the order of the page's columns. */
    public sealed interface Row permits CustomerRow, TariffRow {
        List<Object> cells();
    }

    public record CustomerRow(String customerId, BigDecimal kwh, BigDecimal total, String currency) implements Row {
        static final List<String> COLUMNS = List.of("customerId", "kwh", "total", "currency");

        @Override
        public List<Object> cells() {
            return List.of(customerId, kwh, total, currency);
        }
    }

    public record TariffRow(String tariffId, BigDecimal kwh) implements Row {
        static final List<String> COLUMNS = List.of("tariffId", "kwh");

        @Override
        public List<Object> cells() {
            return List.of(tariffId, kwh);
        }
    }

    /** One page: rows, and the offset of the next page (null on the last one). */
    public record Page(List<? extends Row> rows, Integer nextOffset, List<String> columns) {
    }

    public Page build(YearMonth period, String groupBy, String limitText, String offsetText) {
        int limit = Pages.limit(limitText);
        int offset = Pages.offset(offsetText);
        String grouping = groupBy == null ? "customer" : groupBy;
        return switch (grouping) {
            case "customer" -> byCustomer(period, limit, offset);
            case "tariff" -> byTariff(period, limit, offset);
            default -> throw ApiProblem.invalidParameter("groupBy must be customer or tariff; got '" + groupBy + "'");
        };
    }

    private Page byCustomer(YearMonth period, int limit, int offset) {
        List<String> ids = customerIds(limit + 1, offset);
        List<CustomerRow> rows = new ArrayList<>();
        for (String id : ids.subList(0, Math.min(limit, ids.size()))) {
            Bill bill = customers.billOf(id, period);
            rows.add(new CustomerRow(id, bill.totalKwh(), bill.total(), bill.currency()));
        }
        return new Page(rows, ids.size() > limit ? offset + limit : null, CustomerRow.COLUMNS);
    }

    private Page byTariff(YearMonth period, int limit, int offset) {
        Map<String, BigDecimal> kwh = new TreeMap<>();
        for (String id : customerIds(Integer.MAX_VALUE, 0)) {
            for (Bill.Line line : customers.billOf(id, period).lines()) {
                if (line.kind().equals("energy")) {
                    kwh.merge(line.tariffId(), line.quantity(), BigDecimal::add);
                }
            }
        }
        List<TariffRow> all = new ArrayList<>();
        kwh.forEach((tariff, total) -> all.add(new TariffRow(tariff, total)));
        int end = Math.min(all.size(), offset + limit);
        List<TariffRow> rows = offset >= all.size() ? List.of() : all.subList(offset, end);
        return new Page(rows, end < all.size() ? end : null, TariffRow.COLUMNS);
    }

    private List<String> customerIds(int limit, int offset) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement("SELECT id FROM customer ORDER BY id LIMIT ? OFFSET ?")) {
            statement.setLong(1, Math.min(limit, Integer.MAX_VALUE));
            statement.setInt(2, offset);
            List<String> ids = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    ids.add(rows.getString(1));
                }
            }
            return ids;
        } catch (SQLException e) {
            throw new IllegalStateException("customers query failed: " + e.getMessage(), e);
        }
    }

    /** RFC 4180 CSV of a page, with a header row. */
    public static String csv(Page page) {
        StringBuilder out = new StringBuilder(String.join(",", page.columns())).append("\r\n");
        for (Row row : page.rows()) {
            List<String> cells = new ArrayList<>();
            for (Object value : row.cells()) {
                String text = value instanceof BigDecimal decimal ? decimal.toPlainString() : String.valueOf(value);
                cells.add(text.matches("[^\",\\r\\n]*") ? text : "\"" + text.replace("\"", "\"\"") + "\"");
            }
            out.append(String.join(",", cells)).append("\r\n");
        }
        return out.toString();
    }
}
