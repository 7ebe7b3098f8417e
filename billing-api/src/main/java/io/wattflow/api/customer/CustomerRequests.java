package io.wattflow.api.customer;

/** Request bodies of the customer routes. */
public final class CustomerRequests {
    private CustomerRequests() {
    }

    /**
     * {@code POST /api/v1/customers}. The tariff applies from {@code tariffFrom} (a local date in the customer's time
     * zone), by default from the day of creation.
     */
    public record CreateCustomer(String id, String name, String timezone, String tariffId, String tariffFrom) {
    }

    /** {@code POST /api/v1/customers/{id}/tariffs}: the customer's tariff from a local date on. */
    public record TariffLink(String tariffId, String validFrom) {
    }

    /** {@code PUT /api/v1/meters/{meterId}/assignment}: the meter is the customer's from that instant on (null: nobody's). */
    public record Assignment(String customerId, String validFrom) {
    }
}
