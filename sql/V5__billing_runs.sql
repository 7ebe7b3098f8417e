-- Billing runs: a saga persisted here. One local transaction per customer writes the invoice (numbered from the
-- series' counter row), the outbox event and the customer's progress, so the event exists exactly when the invoice
-- exists and a crash between customers loses or repeats nothing.

CREATE TABLE billing_run (
    id                     uuid         PRIMARY KEY,
    period                 text         NOT NULL CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
    status                 text         NOT NULL CHECK (status IN ('running', 'completed', 'cancelling', 'cancelled')),
    completeness_threshold numeric(5,4) NOT NULL,
    lease_owner            text,
    lease_until            timestamptz,
    created_at             timestamptz  NOT NULL DEFAULT now(),
    finished_at            timestamptz
);
-- Two runs for the same period can never both issue: at most one run per period that is not cancelled.
CREATE UNIQUE INDEX billing_run_one_live_per_period ON billing_run (period) WHERE status <> 'cancelled';

CREATE TABLE invoice_counter (
    series      text   PRIMARY KEY,
    next_number bigint NOT NULL CHECK (next_number > 0)
);

CREATE TABLE invoice (
    id                 uuid          PRIMARY KEY,
    series             text          NOT NULL,
    number             bigint        NOT NULL,
    kind               text          NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    customer_id        text          NOT NULL REFERENCES customer (id),
    period             text          NOT NULL,
    run_id             uuid          NOT NULL REFERENCES billing_run (id),
    credits_invoice_id uuid          REFERENCES invoice (id),
    currency           char(3)       NOT NULL,
    subtotal           numeric(16,2) NOT NULL,
    tax                numeric(16,2) NOT NULL,
    total              numeric(16,2) NOT NULL,
    document           jsonb         NOT NULL,
    issued_at          timestamptz   NOT NULL DEFAULT now(),
    UNIQUE (series, number)
);
-- Published invoices are immutable: corrections are credit notes.
CREATE FUNCTION invoice_is_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'invoices are immutable; issue a credit note instead';
END
$$;
CREATE TRIGGER invoice_immutable BEFORE UPDATE OR DELETE ON invoice FOR EACH ROW EXECUTE FUNCTION invoice_is_immutable();

CREATE TABLE billing_run_customer (
    run_id      uuid NOT NULL REFERENCES billing_run (id),
    customer_id text NOT NULL REFERENCES customer (id),
    state       text NOT NULL CHECK (state IN ('pending', 'invoiced', 'held', 'credited')),
    invoice_id  uuid REFERENCES invoice (id),
    detail      text,
    PRIMARY KEY (run_id, customer_id)
);

-- Transactional outbox: written in the same transaction as the invoice, relayed to Kafka (billing.events) after.
CREATE TABLE outbox (
    id           uuid        PRIMARY KEY,
    topic        text        NOT NULL,
    event_key    text        NOT NULL,
    payload      jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (created_at) WHERE published_at IS NULL;

INSERT INTO invoice_counter (series, next_number) VALUES ('INV', 1), ('CRN', 1);

GRANT SELECT, INSERT, UPDATE ON billing_run, billing_run_customer, invoice_counter, outbox TO wattflow_api;
GRANT SELECT, INSERT ON invoice TO wattflow_api;
