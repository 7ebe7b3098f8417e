-- Monitoring: the PostgreSQL exporter logs in as wattflow_monitor. It reads the server's statistics (pg_monitor) and,
-- through the functions below, a few aggregates of the billing tables that alerts need; never one of their rows.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wattflow_monitor') THEN
        CREATE ROLE wattflow_monitor NOLOGIN;
    END IF;
END
$$;
GRANT pg_monitor TO wattflow_monitor;

-- Usage arrives roughly in time order and rows are appended, so a BRIN index (a few pages, nearly free to keep up to
-- date) lets the freshness query read only the newest block ranges instead of the whole table.
CREATE INDEX usage_15m_bucket_start_brin ON usage_15m USING brin (bucket_start) WITH (autosummarize = on);

CREATE SCHEMA monitoring;
REVOKE ALL ON SCHEMA monitoring FROM PUBLIC;
GRANT USAGE ON SCHEMA monitoring TO wattflow_monitor;

-- How far billing usage reaches: the end of the newest 15-minute bucket, in Unix seconds. Looks back two days at most,
-- so a stalled pipeline answers "two days old or older" in constant time.
CREATE FUNCTION monitoring.usage_freshness(OUT newest_bucket_end_seconds double precision,
                                           OUT newest_bucket_age_seconds double precision)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT extract(epoch FROM coalesce(newest, now() - interval '2 days')),
           extract(epoch FROM now() - coalesce(newest, now() - interval '2 days'))
    FROM (SELECT max(bucket_start) + interval '15 minutes' AS newest
          FROM public.usage_15m
          WHERE bucket_start >= now() - interval '2 days' AND bucket_start < now() + interval '1 day') recent
$$;

-- The outbox relay's backlog: events written with their invoice but not yet on Kafka, and the oldest one's age.
CREATE FUNCTION monitoring.outbox_backlog(OUT unpublished_events double precision,
                                          OUT oldest_unpublished_age_seconds double precision)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT count(*)::double precision, coalesce(extract(epoch FROM now() - min(created_at)), 0)
    FROM public.outbox WHERE published_at IS NULL
$$;

-- Billing runs by status, with the oldest live run's age and how long ago its worker's lease ran out (0 while held).
CREATE FUNCTION monitoring.billing_runs(OUT status text, OUT runs double precision, OUT oldest_age_seconds double precision,
                                        OUT lease_expired_seconds double precision)
    RETURNS SETOF record LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT s.status, count(r.id)::double precision,
           coalesce(extract(epoch FROM now() - min(r.created_at)), 0),
           coalesce(extract(epoch FROM greatest(now() - min(r.lease_until), interval '0')), 0)
    FROM (VALUES ('running'), ('cancelling')) AS s (status)
    LEFT JOIN public.billing_run r ON r.status = s.status
    GROUP BY s.status
$$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA monitoring FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA monitoring TO wattflow_monitor;
