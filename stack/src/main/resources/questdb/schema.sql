-- Time series of the pipeline's buckets in QuestDB, the local stand-in for InfluxDB (see docs/local-stack.md).
-- DEDUP UPSERT KEYS on the timestamp and every tag keeps one row per point, last write wins, as in InfluxDB:
-- the pipeline rewrites a bucket's absolute value whenever it changes.
CREATE TABLE IF NOT EXISTS energy (meter_id SYMBOL, channel SYMBOL, energy_mwh LONG, ts TIMESTAMP) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, meter_id, channel);
CREATE TABLE IF NOT EXISTS fleet (channel SYMBOL, energy_mwh LONG, meters LONG, average_kw DOUBLE, ts TIMESTAMP) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, channel);
