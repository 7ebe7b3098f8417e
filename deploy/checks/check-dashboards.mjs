// ./mvnw verify (deploy module): the dashboards in deploy/grafana/dashboards/ are what dashboards.mjs builds, and each
// type-checks against @grafana/schema's Dashboard type. The schema ships TypeScript types only (no JSON Schema), with
// string enums, so each dashboard becomes a .ts file whose value must satisfy Dashboard with enums loosened to their
// literal values. Not checked here: PromQL inside targets (LauncherIT asks the live Prometheus for every metric).
import { readFileSync, writeFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dashboards } from '../grafana/dashboards.mjs';

const deploy = join(dirname(fileURLToPath(import.meta.url)), '..');
const committedDir = join(deploy, 'grafana', 'dashboards');
let failed = false;

const committed = readdirSync(committedDir).filter(f => f.endsWith('.json')).map(f => f.replace(/\.json$/, '')).sort();
const built = Object.keys(dashboards).sort();
if (JSON.stringify(committed) !== JSON.stringify(built)) {
  console.error(`deploy/grafana/dashboards/ holds [${committed}] but dashboards.mjs builds [${built}]: run 'npm run dashboards' in deploy/`);
  failed = true;
}
for (const name of built) {
  const expected = JSON.stringify(dashboards[name], null, 2) + '\n';
  let actual = null;
  try { actual = readFileSync(join(committedDir, `${name}.json`), 'utf8'); } catch { /* reported above */ }
  if (actual !== null && actual !== expected) {
    console.error(`deploy/grafana/dashboards/${name}.json differs from what dashboards.mjs builds: run 'npm run dashboards' in deploy/`);
    failed = true;
  }
}

// under deploy/, so that '@grafana/schema' resolves to deploy/node_modules
const work = join(deploy, 'target', 'dashboard-types');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const files = [];
for (const name of committed) {
  const json = readFileSync(join(committedDir, `${name}.json`), 'utf8');
  writeFileSync(join(work, `${name}.ts`), `import type { Dashboard } from '@grafana/schema';
type Loose<T> = T extends string ? T | \`\${T}\` : T extends (infer U)[] ? Loose<U>[] : T extends object ? { [K in keyof T]: Loose<T[K]> } : T;
export const dashboard = ${json.trim()} satisfies Loose<Dashboard>;
`);
  files.push(`${name}.ts`);
}
writeFileSync(join(work, 'tsconfig.json'), JSON.stringify({
  compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022',
    skipLibCheck: true, types: [] },
  files }));
try {
  execFileSync(join(deploy, 'node_modules', '.bin', 'tsc'), ['-p', join(work, 'tsconfig.json')], { stdio: 'inherit' });
} catch {
  console.error('a dashboard does not match @grafana/schema (errors above)');
  failed = true;
}
if (failed) process.exit(1);
console.log(`${committed.length} dashboards: up to date and valid against @grafana/schema`);
