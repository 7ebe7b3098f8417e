-- Idempotency keys of mutating requests, scoped to the caller's token (its SHA-256), kept 24 hours.
CREATE TABLE idempotency_key (
    token_sha256    bytea       NOT NULL,
    idempotency_key text        NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    request_sha256  bytea       NOT NULL,
    state           text        NOT NULL CHECK (state IN ('in_progress', 'done')),
    response_status int,
    response_body   text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (token_sha256, idempotency_key)
);
CREATE INDEX idempotency_key_expiry ON idempotency_key (expires_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_key TO wattflow_api;
