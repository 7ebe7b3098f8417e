#!/bin/sh
# PostgreSQL's first start (docker-entrypoint-initdb.d): the least-privilege login roles with their passwords from
# the secrets. The migrations (service migrate) create the tables and grant these roles what each may do; they find
# the roles already there. psql reads each password with \set and a backtick command, so it is never on a command line.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
\set pipeline_password `cat /run/secrets/pipeline-db-password`
\set api_password `cat /run/secrets/api-db-password`
\set monitor_password `cat /run/secrets/monitor-db-password`
CREATE ROLE wattflow_pipeline LOGIN PASSWORD :'pipeline_password';
CREATE ROLE wattflow_api LOGIN PASSWORD :'api_password';
CREATE ROLE wattflow_monitor LOGIN PASSWORD :'monitor_password';
SQL
