-- Tokens expire: customer tokens by default, other roles when the admin says so (NULL: never).
ALTER TABLE api_token ADD COLUMN expires_at timestamptz;
CREATE INDEX idempotency_key_purge ON idempotency_key (expires_at) WHERE state = 'done';
