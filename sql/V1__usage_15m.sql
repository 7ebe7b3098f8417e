-- Billing truth: absolute energy per meter, channel and 15-minute UTC bucket, written by the pipeline
-- with keyed upserts (so a replay rewrites the same value) and read by the billing API.
-- Energy is an integer number of milli-Wh: exact, and equal to the InfluxDB field of the same point.
CREATE TABLE usage_15m (
    meter_id      text        NOT NULL,
    channel       text        NOT NULL CHECK (channel IN ('import', 'export')),
    bucket_start  timestamptz NOT NULL CHECK (extract(epoch FROM bucket_start)::bigint % 900 = 0),
    energy_mwh    bigint      NOT NULL CHECK (energy_mwh >= 0),
    reading_count int         NOT NULL CHECK (reading_count >= 0),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (meter_id, channel, bucket_start)
);

COMMENT ON TABLE usage_15m IS 'Energy per meter, channel and 15-minute UTC bucket, in integer milli-Wh (billing truth).';
