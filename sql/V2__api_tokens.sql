-- Bearer tokens of the billing API. Only the SHA-256 of a token is stored: a leaked table grants nothing.
CREATE TABLE api_token (
    token_sha256 bytea       PRIMARY KEY CHECK (length(token_sha256) = 32),
    name         text        NOT NULL UNIQUE,
    role         text        NOT NULL CHECK (role IN ('admin', 'reader')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);
