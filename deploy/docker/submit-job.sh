#!/bin/sh
# The job submitter's entry point: submits the metering job unless it runs already, so 'docker compose up' may be
# repeated. Arguments are the job's options (docs/pipeline.md).
set -eu
jobmanager="${FLINK_JOBMANAGER:-flink-jobmanager:8081}"
if /opt/flink/bin/flink list -r -m "$jobmanager" 2>/dev/null | grep -q "wattflow-metering (RUNNING)"; then
  echo "wattflow-metering is already running"
  exit 0
fi
exec /opt/flink/bin/flink run -d -m "$jobmanager" /opt/wattflow/wattflow-job.jar "$@"
