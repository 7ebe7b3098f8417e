package io.wattflow.api.customer;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.wattflow.api.billing.Bill;
import io.wattflow.api.billing.BillCalculator;
import io.wattflow.api.problem.ApiProblem;
import io.wattflow.api.problem.SupportedTimes;
import io.wattflow.api.tariff.Tariff;
import io.wattflow.api.tariff.TariffRepository;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;

/** Customers, their meters and the live pricing of a period: validation here, SQL in the repositories. */
public final class CustomerService {
    private static final String ID = "[A-Za-z0-9._-]{1,64}";

    private final CustomerRepository customers;
    private final TariffRepository tariffs;
    /**
     * The rate runs of a month, the same for every customer in one time zone whose tariffs change rates at the same
     * times of day: a billing run computes them once instead of once per customer. Bounded; a month's are a few
     * kilobytes.
     */
    private final Cache<RunsKey, List<Instant>> rateRuns = Caffeine.newBuilder().maximumSize(1_000).build();

    private record RunsKey(ZoneId zone, YearMonth month, SortedSet<LocalTime> boundaries) {
    }

    public CustomerService(CustomerRepository customers, TariffRepository tariffs) {
        this.customers = customers;
        this.tariffs = tariffs;
    }

    public CustomerView create(CustomerRequests.CreateCustomer request) {
        if (request.id() == null || !request.id().matches(ID)) {
            throw ApiProblem.invalidParameter("id must be 1-64 letters, digits, '.', '_' or '-'");
        }
        if (request.name() == null || request.name().isBlank() || request.name().length() > 200) {
            throw ApiProblem.invalidParameter("name must have 1 to 200 characters");
        }
        ZoneId zone = zone(request.timezone());
        if (request.tariffId() == null || request.tariffId().isBlank()) {
            throw ApiProblem.invalidParameter("tariffId is required; a fresh database has the tariff 'standard'");
        }
        if (!tariffs.exists(request.tariffId())) {
            throw ApiProblem.invalidParameter("tariffId '" + request.tariffId() + "' is not a known tariff");
        }
        LocalDate tariffFrom = request.tariffFrom() == null ? LocalDate.now(zone) : date("tariffFrom", request.tariffFrom());
        CustomerRepository.Customer customer = new CustomerRepository.Customer(request.id(), request.name().strip(), zone.getId());
        if (!customers.create(customer, request.tariffId(), tariffFrom)) {
            throw ApiProblem.conflict("customer '" + request.id() + "' exists already");
        }
        return view(customer);
    }

    public CustomerView get(String customerId) {
        return view(customer(customerId));
    }

    /** {@code Customer} in the OpenAPI document. */
    public record CustomerView(String id, String name, String timezone, List<TariffLinkView> tariffs, List<MeterSpanView> meters) {
    }

    public record TariffLinkView(String validFrom, String tariffId) {
    }

    public record MeterSpanView(String meterId, String validFrom, String validTo) {
    }

    /** {@code AssignmentResult} in the OpenAPI document; customerId null: the meter was unassigned. */
    public record AssignmentView(String meterId, String customerId, String validFrom) {
    }

    private CustomerView view(CustomerRepository.Customer customer) {
        List<TariffLinkView> links = customers.tariffLinks(customer.id()).stream()
                .map(link -> new TariffLinkView(link.validFrom().toString(), link.tariffId())).toList();
        List<MeterSpanView> meters = customers.assignments(customer.id()).stream()
                .map(span -> new MeterSpanView(span.meterId(), span.from().toString(), span.to() == null ? null : span.to().toString()))
                .toList();
        return new CustomerView(customer.id(), customer.name(), customer.timezone(), links, meters);
    }

    public CustomerView linkTariff(String customerId, CustomerRequests.TariffLink request) {
        customer(customerId);
        if (request.tariffId() == null || !tariffs.exists(request.tariffId())) {
            throw ApiProblem.invalidParameter("tariffId '" + request.tariffId() + "' is not a known tariff");
        }
        LocalDate validFrom = date("validFrom", String.valueOf(request.validFrom()));
        customers.linkTariff(customerId, request.tariffId(), validFrom);
        return get(customerId);
    }

    public AssignmentView assign(MeterId meterId, CustomerRequests.Assignment request) {
        if (request.validFrom() == null) {
            throw ApiProblem.invalidParameter("validFrom is required, e.g. 2026-01-01T00:00:00Z");
        }
        Instant validFrom;
        try {
            validFrom = SupportedTimes.check("validFrom", Instant.parse(request.validFrom()));
        } catch (DateTimeParseException e) {
            throw ApiProblem.invalidParameter("validFrom must be an ISO-8601 instant such as 2026-01-01T00:00:00Z");
        }
        if (validFrom.getEpochSecond() % 900 != 0 || validFrom.getNano() != 0) {
            throw ApiProblem.invalidParameter("validFrom must lie on a 15-minute boundary, e.g. "
                    + Instant.ofEpochSecond(Math.floorDiv(validFrom.getEpochSecond(), 900) * 900));
        }
        if (request.customerId() != null) {
            customer(request.customerId());
        }
        customers.assign(meterId.value(), request.customerId(), validFrom);
        return new AssignmentView(meterId.value(), request.customerId(), validFrom.toString());
    }

    /**
     * The customer's bill of a period, priced live from usage_15m: what the bill preview shows, what a billing run
     * invoices, and what adjustments of earlier periods compare against.
     */
    public Bill billOf(String customerId, YearMonth month) {
        CustomerRepository.Customer customer = customer(customerId);
        ZoneId zone = ZoneId.of(customer.timezone());
        List<BillCalculator.TariffLink> links = new ArrayList<>();
        for (CustomerRepository.TariffLink link : customers.tariffLinks(customerId)) {
            Tariff tariff = tariffs.find(link.tariffId()).orElseThrow(() ->
                    new IllegalStateException("customer " + customerId + " links the missing tariff " + link.tariffId()));
            links.add(new BillCalculator.TariffLink(link.validFrom(), tariff));
        }
        List<BillCalculator.Assignment> assignments = customers.assignments(customerId);
        Instant from = month.atDay(1).atStartOfDay(zone).toInstant();
        Instant to = month.plusMonths(1).atDay(1).atStartOfDay(zone).toInstant();
        List<BillCalculator.Assignment> held = BillCalculator.heldWithin(assignments, from, to);
        List<BillCalculator.UsageSum> usage = held.isEmpty() ? List.of()
                : customers.usageSums(held, rateRuns.get(new RunsKey(zone, month, BillCalculator.rateBoundaries(links)),
                        key -> BillCalculator.rateRuns(key.zone(), key.month(), key.boundaries())));
        return BillCalculator.priceSums(customerId, zone, month, links, assignments, usage);
    }

    /** Every span during which the customer held a meter; "not found" for an unknown customer. */
    public List<BillCalculator.Assignment> spansOfCustomer(String customerId) {
        customer(customerId);
        return customers.assignments(customerId);
    }

    /** The spans during which the meter was the customer's; "not found" when it never was. */
    public List<BillCalculator.Assignment> spansOf(String customerId, MeterId meterId) {
        List<BillCalculator.Assignment> spans = customers.assignments(customerId).stream()
                .filter(span -> span.meterId().equals(meterId.value())).toList();
        if (spans.isEmpty()) {
            throw ApiProblem.notFound("no meter '" + meterId + "'");
        }
        return spans;
    }

    private CustomerRepository.Customer customer(String customerId) {
        return customers.find(customerId).orElseThrow(() -> ApiProblem.notFound("no customer '" + customerId + "'"));
    }

    private static ZoneId zone(String timezone) {
        if (timezone == null || timezone.isBlank()) {
            throw ApiProblem.invalidParameter("timezone is required: an IANA time zone such as Europe/Berlin");
        }
        try {
            return ZoneId.of(timezone);
        } catch (DateTimeException e) {
            throw ApiProblem.invalidParameter("timezone must be an IANA time zone such as Europe/Berlin; got '" + timezone + "'");
        }
    }

    private static LocalDate date(String field, String value) {
        try {
            return SupportedTimes.check(field, LocalDate.parse(value));
        } catch (DateTimeParseException e) {
            throw ApiProblem.invalidParameter(field + " must be a date such as 2026-11-01; got '" + value + "'");
        }
    }

    /** A billing period named by a request, e.g. {@code period=2026-11}: parsed at the edge, refused with what to send. */
    public static YearMonth period(String period) {
        if (period == null) {
            throw ApiProblem.invalidParameter("period is required, e.g. period=2026-11");
        }
        try {
            return SupportedTimes.check("period", YearMonth.parse(period));
        } catch (DateTimeParseException e) {
            throw ApiProblem.invalidParameter("period must be a month such as 2026-11; got '" + period + "'");
        }
    }
}
