-- Customers, their tariffs over time and the meters they hold over time: what the billing API prices usage with.

CREATE TABLE tariff (
    id         text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._-]{1,64}$'),
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    currency   char(3)     NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A version applies from a local date (in the customer's time zone) until the next version.
CREATE TABLE tariff_version (
    tariff_id               text          NOT NULL REFERENCES tariff (id),
    valid_from              date          NOT NULL,
    standing_charge_per_day numeric(14,6) NOT NULL CHECK (standing_charge_per_day >= 0),
    tax_rate                numeric(7,6)  NOT NULL CHECK (tax_rate >= 0 AND tax_rate < 1),
    PRIMARY KEY (tariff_id, valid_from)
);

-- Time-of-use rates of a version, first match wins (position order); [from_time, to_time) wraps past midnight
-- when to_time <= from_time, and covers the whole day when they are equal.
CREATE TABLE tariff_rate (
    tariff_id     text          NOT NULL,
    valid_from    date          NOT NULL,
    position      int           NOT NULL,
    period        text          NOT NULL CHECK (length(period) BETWEEN 1 AND 64),
    day_type      text          NOT NULL CHECK (day_type IN ('all', 'weekday', 'weekend')),
    from_time     time          NOT NULL,
    to_time       time          NOT NULL,
    price_per_kwh numeric(14,6) NOT NULL CHECK (price_per_kwh >= 0),
    PRIMARY KEY (tariff_id, valid_from, position),
    FOREIGN KEY (tariff_id, valid_from) REFERENCES tariff_version (tariff_id, valid_from)
);

CREATE TABLE customer (
    id         text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._-]{1,64}$'),
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    timezone   text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The customer's tariff from a local date on.
CREATE TABLE customer_tariff (
    customer_id text NOT NULL REFERENCES customer (id),
    valid_from  date NOT NULL,
    tariff_id   text NOT NULL REFERENCES tariff (id),
    PRIMARY KEY (customer_id, valid_from)
);

-- Who holds a meter from an instant on (on a 15-minute boundary) until the meter's next row; customer_id NULL = nobody.
CREATE TABLE meter_assignment (
    meter_id    text        NOT NULL,
    valid_from  timestamptz NOT NULL CHECK (extract(epoch FROM valid_from)::bigint % 900 = 0),
    customer_id text        REFERENCES customer (id),
    PRIMARY KEY (meter_id, valid_from)
);
CREATE INDEX meter_assignment_by_customer ON meter_assignment (customer_id);

-- A fresh database can bill at once: a simple two-rate day/night tariff in EUR.
INSERT INTO tariff (id, name, currency) VALUES ('standard', 'Standard day/night', 'EUR');
INSERT INTO tariff_version (tariff_id, valid_from, standing_charge_per_day, tax_rate) VALUES ('standard', '2000-01-01', 0.45, 0.19);
INSERT INTO tariff_rate (tariff_id, valid_from, position, period, day_type, from_time, to_time, price_per_kwh) VALUES
    ('standard', '2000-01-01', 1, 'day', 'all', '07:00', '22:00', 0.32),
    ('standard', '2000-01-01', 2, 'night', 'all', '22:00', '07:00', 0.22);

GRANT SELECT, INSERT, UPDATE ON tariff, tariff_version, tariff_rate, customer, customer_tariff, meter_assignment TO wattflow_api;
