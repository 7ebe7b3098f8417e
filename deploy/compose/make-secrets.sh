#!/bin/sh
# Generates the secrets docker-compose.yml reads, once, into deploy/compose/secrets/ (ignored by git, mode 600):
# random passwords and tokens, never committed. Run from the repository's top folder before 'docker compose up'.
set -eu
dir="${WATTFLOW_SECRETS_DIR:-$(dirname "$0")/secrets}"
mkdir -p "$dir"
chmod 700 "$dir"
for name in postgres-password pipeline-db-password api-db-password monitor-db-password influxdb-admin-password \
            influxdb-token grafana-admin-password admin-token; do
  if [ ! -s "$dir/$name" ]; then
    (umask 077; head -c 32 /dev/urandom | base64 | tr -d '/+=\n' > "$dir/$name")
  fi
done
echo "secrets in $dir"
