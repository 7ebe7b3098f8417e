// ./mvnw verify (deploy module): every manifest of deploy/k8s/ against its schema, without a cluster. Built-in kinds
// through kubernetes-models (the API's OpenAPI schemas); the FlinkDeployment through the Flink Kubernetes Operator's own
// CRD (from Maven Central: flink-kubernetes-operator-api, unpacked by the pom), with unknown fields refused where the
// CRD does not preserve them. The newest CRD Maven Central serves here (operator 1.10) lists Flink versions up to v1_20;
// our job runs on Flink 2.2, which the operator supports from 1.13 as v2_2, so v2_2 is accepted for that one field and
// everything else is checked as is.
//   node checks/check-k8s.mjs <crd.yml,...> <manifest.yaml>...
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as yaml from 'js-yaml';
import Ajv from 'ajv';

const FLINK_VERSIONS_NEWER_THAN_THE_CRD = ['v2_2'];
const crdFiles = process.argv[2].split(',').filter(Boolean);
const manifests = process.argv.slice(3);
const ajv = new Ajv({ strict: false, allErrors: true });
const validators = new Map();

// Refuse unknown fields under spec, as the API server does for a structural schema, except where the CRD says so.
function closeObjects(schema) {
  if (schema && typeof schema === 'object') {
    if (schema.type === 'object' && schema.properties && schema.additionalProperties === undefined
        && !schema['x-kubernetes-preserve-unknown-fields']) {
      schema.additionalProperties = false;
    }
    Object.values(schema).forEach(closeObjects);
  }
}

for (const file of crdFiles) {
  for (const crd of yaml.loadAll(readFileSync(file, 'utf8'))) {
    if (crd?.kind !== 'CustomResourceDefinition') continue;
    for (const version of crd.spec.versions) {
      const schema = structuredClone(version.schema.openAPIV3Schema);
      closeObjects(schema.properties?.spec);
      const flinkVersion = schema.properties?.spec?.properties?.flinkVersion;
      if (flinkVersion?.enum) flinkVersion.enum.push(...FLINK_VERSIONS_NEWER_THAN_THE_CRD);
      validators.set(`${crd.spec.group}/${version.name}:${crd.spec.names.kind}`, ajv.compile(schema));
    }
  }
}
if (validators.size === 0) {
  console.error(`no CustomResourceDefinition in ${crdFiles}`);
  process.exit(1);
}

let failures = 0;
let checked = 0;
for (const file of manifests) {
  for (const doc of yaml.loadAll(readFileSync(file, 'utf8'))) {
    if (!doc) continue;
    const id = `${file} ${doc.kind}/${doc.metadata?.name}`;
    try {
      if (doc.apiVersion?.startsWith('kustomize.config.k8s.io/')) {
        for (const resource of doc.resources ?? []) readFileSync(join(dirname(file), resource), 'utf8');
        checked++;
        console.log(`ok    ${file} Kustomization (its resources exist)`);
        continue;
      }
      const validate = validators.get(`${doc.apiVersion}:${doc.kind}`);
      if (validate) {
        if (!validate(doc)) throw new Error(ajv.errorsText(validate.errors));
      } else {
        const [group, version] = doc.apiVersion.includes('/') ? doc.apiVersion.split('/') : [null, doc.apiVersion];
        const module = await import(`kubernetes-models/${group ? group + '/' : ''}${version}/${doc.kind}`)
          .catch(() => { throw new Error(`no schema for ${doc.apiVersion} ${doc.kind}`); });
        new module[doc.kind](doc).validate();
      }
      checked++;
      console.log(`ok    ${id}`);
    } catch (e) {
      failures++;
      console.log(`FAIL  ${id}: ${String(e.message).slice(0, 600)}`);
    }
  }
}
if (failures) process.exit(1);
console.log(`${checked} Kubernetes objects valid`);
