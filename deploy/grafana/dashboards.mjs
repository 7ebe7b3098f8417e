// Wattflow's Grafana dashboards, built as code with Grafana's foundation SDK. Writes deploy/grafana/dashboards/*.json,
// which Grafana provisions (provisioning/dashboards/wattflow.yml). After a change: npm run dashboards (in deploy/);
// ./mvnw verify fails when the committed JSON differs from what this file builds, and checks the JSON against
// @grafana/schema's types. LauncherIT checks that every metric a panel queries exists on the running stack.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DashboardBuilder, DatasourceVariableBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as Timeseries } from '@grafana/grafana-foundation-sdk/timeseries';
import { PanelBuilder as Stat } from '@grafana/grafana-foundation-sdk/stat';
import { DataqueryBuilder as PromQuery } from '@grafana/grafana-foundation-sdk/prometheus';
import { VizLegendOptionsBuilder, LegendDisplayMode, LegendPlacement } from '@grafana/grafana-foundation-sdk/common';

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
const JOB = 'job_name=~"wattflow.*"';
const OP = 'flink_taskmanager_job_task_operator_';

const query = (expr, legend) => {
  const q = new PromQuery().expr(expr).datasource(DATASOURCE);
  return legend ? q.legendFormat(legend) : q;
};

// Panels are laid out two per row, 12 columns wide and 8 high.
function layout(panels) {
  return panels.map((panel, i) => panel.gridPos({ x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 }));
}

function timeseries(title, unit, description, ...queries) {
  const panel = new Timeseries().title(title).unit(unit).description(description).datasource(DATASOURCE)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom));
  queries.forEach(([expr, legend]) => panel.withTarget(query(expr, legend)));
  return panel;
}

function stat(title, unit, description, expr) {
  return new Stat().title(title).unit(unit).description(description).datasource(DATASOURCE).withTarget(query(expr));
}

function dashboard(uid, title, description, panels) {
  const builder = new DashboardBuilder(title).uid(uid).description(description).tags(['wattflow']).refresh('30s')
    .time({ from: 'now-6h', to: 'now' }).timezone('utc').editable()
    .withVariable(new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'));
  layout(panels).forEach(panel => builder.withPanel(panel));
  const built = builder.build();
  // The SDK (0.0.21) gives every variable the interval variable's auto fields, which Grafana's schema does not allow
  // on a datasource variable.
  for (const variable of built.templating.list) {
    delete variable.auto; delete variable.auto_min; delete variable.auto_count;
  }
  return built;
}

export const dashboards = {
  'wattflow-pipeline': dashboard('wattflow-pipeline', 'Wattflow: pipeline health',
    'The metering job: readings in and out, lag, checkpoints, restarts, sinks. Runbooks: docs/operations.md.', [
      stat('Job uptime', 'ms', '0 or empty: the job is not running (alert WattflowJobNotRunning)',
        `max(flink_jobmanager_job_uptime{${JOB}})`),
      stat('Restarts', 'short', 'Restarts of the current job since it was submitted',
        `max(flink_jobmanager_job_numRestarts{${JOB}})`),
      timeseries('Readings per second', 'reqps', 'Read from Kafka, accepted into usage, duplicates dropped',
        [`sum(rate(${OP}readings_in_total{${JOB}}[1m]))`, 'in'],
        [`sum(rate(${OP}readings_accepted_total{${JOB}}[1m]))`, 'accepted'],
        [`sum(rate(${OP}readings_duplicate_total{${JOB}}[1m]))`, 'duplicate']),
      timeseries('Rejected per second, by reason', 'reqps', 'Sent to readings.dlq with the reason in a header',
        [`sum by (reason) (rate(${OP}reason_readings_rejected_total{${JOB}}[1m]))`, '{{reason}}'],
        [`sum(rate(${OP}readings_unprocessable_total{${JOB}}[1m]))`, 'unprocessable']),
      timeseries('Readings waiting in Kafka', 'short', 'Records behind the end of the readings topic (WattflowConsumerLagGrowing)',
        [`sum(${OP}pendingRecords{${JOB}})`, 'records']),
      timeseries('Input lag', 'ms', 'How old readings are when the job emits them (record time to now)',
        [`max(${OP}currentEmitEventTimeLag{${JOB}})`, 'emit lag']),
      timeseries('Checkpoint duration', 'ms', 'Usage reaches PostgreSQL when a checkpoint completes',
        [`max(flink_jobmanager_job_lastCheckpointDuration{${JOB}})`, 'last']),
      timeseries('Checkpoint size', 'bytes', 'Incremental size of the last checkpoint, and the full state',
        [`max(flink_jobmanager_job_lastCheckpointSize{${JOB}})`, 'incremental'],
        [`max(flink_jobmanager_job_lastCheckpointFullSize{${JOB}})`, 'full']),
      timeseries('Age of the last checkpoint', 's', 'Above 5 minutes: WattflowCheckpointTooOld',
        [`time() - max(flink_jobmanager_job_lastCheckpointCompletedTimestamp{${JOB}}) / 1000`, 'age']),
      timeseries('Failed checkpoints', 'short', 'Failures in the last 10 minutes (WattflowCheckpointsFailing)',
        [`max(increase(flink_jobmanager_job_numberOfFailedCheckpoints{${JOB}}[10m]))`, 'failed']),
      timeseries('Usage visible in PostgreSQL', 's', 'Age of the newest 15-minute bucket in the billing tables (WattflowUsageStale)',
        ['max(wattflow_usage_newest_bucket_age_seconds)', 'age']),
      timeseries('Time series sink', 'short', 'Points waiting for InfluxDB, and its breaker (0 closed, 1 half-open, 2 open)',
        [`sum(${OP}influx_points_pending{${JOB}})`, 'pending points'],
        [`max(${OP}influx_breaker_state{${JOB}})`, 'breaker']),
    ]),
  'wattflow-billing-api': dashboard('wattflow-billing-api', 'Wattflow: billing API',
    'Requests, errors and latency per route; PostgreSQL breaker and pool; billing runs and the outbox.', [
      timeseries('Requests per second, by route', 'reqps', 'Every instance together',
        ['sum by (route) (rate(http_server_requests_seconds_count{job="billing-api"}[1m]))', '{{route}}']),
      timeseries('5xx ratio', 'percentunit', 'Against the 99.9 % availability SLO (WattflowApiErrorBudgetBurn)',
        ['wattflow:api_request_errors:ratio_rate5m', '5 m'], ['wattflow:api_request_errors:ratio_rate1h', '1 h']),
      timeseries('p99 latency, by route', 's', 'Against the 1 s latency SLO (WattflowApiLatencyHigh)',
        ['histogram_quantile(0.99, sum by (le, route) (rate(http_server_requests_seconds_bucket{job="billing-api"}[5m])))', '{{route}}']),
      timeseries('Responses by status', 'reqps', '4xx are the callers\' mistakes; 5xx and 503 are ours',
        ['sum by (status) (rate(http_server_requests_seconds_count{job="billing-api"}[1m]))', '{{status}}']),
      timeseries('PostgreSQL breaker', 'short', '0 closed, 1 half-open, 2 open (WattflowDatabaseBreakerOpen)',
        ['max by (instance) (wattflow_database_breaker_state)', '{{instance}}']),
      timeseries('Connection pool', 'short', 'Connections in use and requests waiting for one',
        ['sum(hikaricp_connections_active{job="billing-api"})', 'active'],
        ['sum(hikaricp_connections_pending{job="billing-api"})', 'waiting']),
      timeseries('Billing runs', 'short', 'Live runs, and how long the oldest lease has been expired (WattflowBillingRunStuck)',
        ['sum by (status) (wattflow_billing_runs_runs)', '{{status}}'],
        ['max(wattflow_billing_runs_lease_expired_seconds)', 'lease expired (s)']),
      timeseries('Outbox', 'short', 'Billing events waiting to be relayed to Kafka (WattflowOutboxBacklogGrowing)',
        ['max(wattflow_outbox_unpublished_events)', 'waiting'],
        ['max(wattflow_outbox_oldest_unpublished_age_seconds)', 'oldest (s)']),
    ]),
  'wattflow-business': dashboard('wattflow-business', 'Wattflow: energy and billing',
    'What the business sees: energy metered, dead letters, invoices issued.', [
      timeseries('Energy metered per hour', 'kwatth', 'Accepted into usage, per channel (import, export)',
        [`sum by (channel) (increase(${OP}channel_energy_accepted_milliwatt_hours_total{${JOB}}[1h])) / 1e6`, '{{channel}}']),
      timeseries('Dead letters per hour, by reason', 'short', 'Readings refused, kept 30 days in readings.dlq',
        [`sum by (reason) (increase(${OP}reason_readings_rejected_total{${JOB}}[1h]))`, '{{reason}}']),
      timeseries('Invoices issued per day', 'short', 'Invoices, credit notes, and customers held for incomplete data',
        ['sum(increase(wattflow_billing_invoices_issued_total[1d]))', 'invoices'],
        ['sum(increase(wattflow_billing_credit_notes_issued_total[1d]))', 'credit notes'],
        ['sum(increase(wattflow_billing_customers_held_total[1d]))', 'customers held']),
      timeseries('Billing runs per day', 'short', 'Started, completed and cancelled',
        ['sum(increase(wattflow_billing_runs_started_total[1d]))', 'started'],
        ['sum by (status) (increase(wattflow_billing_runs_finished_total[1d]))', '{{status}}']),
    ]),
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'dashboards');
  mkdirSync(out, { recursive: true });
  for (const [name, json] of Object.entries(dashboards)) {
    writeFileSync(join(out, `${name}.json`), JSON.stringify(json, null, 2) + '\n');
  }
  console.log(`${Object.keys(dashboards).length} dashboards written to ${out}`);
}
