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
import java.util.ArrayList;
import java.util.LinkedHashMap;
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

    /** One page: rows, and the offset of the next page (null on the last one). */
    public record Page(List<Map<String, Object>> rows, Integer nextOffset, List<String> columns) {
    }

    public Page build(String period, String groupBy, String limitText, String offsetText) {
        if (period == null) {
            throw ApiProblem.invalidParameter("period is required, e.g. period=2026-11");
        }
        int limit = Pages.limit(limitText);
        int offset = Pages.offset(offsetText);
        String grouping = groupBy == null ? "customer" : groupBy;
        return switch (grouping) {
            case "customer" -> byCustomer(period, limit, offset);
            case "tariff" -> byTariff(period, limit, offset);
            default -> throw ApiProblem.invalidParameter("groupBy must be customer or tariff; got '" + groupBy + "'");
        };
    }

    private Page byCustomer(String period, int limit, int offset) {
        List<String> ids = customerIds(limit + 1, offset);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String id : ids.subList(0, Math.min(limit, ids.size()))) {
            Bill bill = customers.billOf(id, period);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("customerId", id);
            row.put("kwh", bill.totalKwh());
            row.put("total", bill.total());
            row.put("currency", bill.currency());
            rows.add(row);
        }
        return new Page(rows, ids.size() > limit ? offset + limit : null, List.of("customerId", "kwh", "total", "currency"));
    }

    private Page byTariff(String period, int limit, int offset) {
        Map<String, BigDecimal> kwh = new TreeMap<>();
        for (String id : customerIds(Integer.MAX_VALUE, 0)) {
            for (Bill.Line line : customers.billOf(id, period).lines()) {
                if (line.kind().equals("energy")) {
                    kwh.merge(line.tariffId(), line.quantity(), BigDecimal::add);
                }
            }
        }
        List<Map<String, Object>> all = new ArrayList<>();
        kwh.forEach((tariff, total) -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("tariffId", tariff);
            row.put("kwh", total);
            all.add(row);
        });
        int end = Math.min(all.size(), offset + limit);
        List<Map<String, Object>> rows = offset >= all.size() ? List.of() : all.subList(offset, end);
        return new Page(rows, end < all.size() ? end : null, List.of("tariffId", "kwh"));
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
        for (Map<String, Object> row : page.rows()) {
            List<String> cells = new ArrayList<>();
            for (String column : page.columns()) {
                Object value = row.get(column);
                String text = value instanceof BigDecimal decimal ? decimal.toPlainString() : String.valueOf(value);
                cells.add(text.matches("[^\",\\r\\n]*") ? text : "\"" + text.replace("\"", "\"\"") + "\"");
            }
            out.append(String.join(",", cells)).append("\r\n");
        }
        return out.toString();
    }
}
