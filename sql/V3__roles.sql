-- Least privilege: the pipeline may only upsert usage; the API may only read usage and tokens.
-- The roles are created without login here; the stack (or the operator) grants LOGIN and a password.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wattflow_pipeline') THEN
        CREATE ROLE wattflow_pipeline NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wattflow_api') THEN
        CREATE ROLE wattflow_api NOLOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO wattflow_pipeline, wattflow_api;
GRANT SELECT, INSERT, UPDATE ON usage_15m TO wattflow_pipeline;
GRANT SELECT ON usage_15m TO wattflow_api;
GRANT SELECT ON api_token TO wattflow_api;
