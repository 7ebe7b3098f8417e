-- Roles of the billing API: admin (everything), operator (reports, billing runs, every customer's data), customer
-- (bound to one customer: only its own usage, bills and invoices). Tokens get an id (to revoke them by) and,
-- for customers, the customer they belong to.
ALTER TABLE api_token DROP CONSTRAINT api_token_role_check;
UPDATE api_token SET role = 'operator' WHERE role = 'reader';
ALTER TABLE api_token ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE;
ALTER TABLE api_token ADD COLUMN customer_id text REFERENCES customer (id);
ALTER TABLE api_token ADD CONSTRAINT api_token_role_check CHECK (role IN ('admin', 'operator', 'customer'));
ALTER TABLE api_token ADD CONSTRAINT api_token_customer_scope CHECK ((role = 'customer') = (customer_id IS NOT NULL));

GRANT INSERT, UPDATE ON api_token TO wattflow_api;
