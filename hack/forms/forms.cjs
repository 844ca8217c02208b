// Backstage forms from the XRDs, generated and submitted with the real code.
//
// 1. TeraSky's kubernetes-ingestor (XRDTemplateEntityProvider, the code a
//    Backstage backend runs) turns every XRD under configuration/ into a Software
//    Template, written to OUT/templates/.
// 2. Every submission in submissions.yaml is filled in as the scaffolder's
//    form does it (react-jsonschema-form defaults per step, with the ui:*
//    keys taken out of the schema as Backstage's frontend does) and
//    validated twice: by @rjsf/validator-ajv8 (the browser) and by
//    jsonschema (the scaffolder backend, which validates the parameters
//    again before running a task).
// 3. The template's first step, terasky:claim-template, runs with the real
//    action code and writes the XR (or claim) to OUT/xrs/<scenario>.yaml.
//
// OUT/index.json lists what was written; the e2e applies each manifest to a
// real API server with the XRDs installed and requires it to compose (see
// test/e2e). Any refusal here (a form that cannot be submitted, a template
// expression this script does not know) exits non-zero.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const yaml = require('js-yaml');
const { ConfigReader } = require('@backstage/config');
const { XRDTemplateEntityProvider } = require('@terasky/backstage-plugin-kubernetes-ingestor/dist/providers/EntityProvider.cjs.js');
const { createCrossplaneClaimAction } = require('@terasky/backstage-plugin-scaffolder-backend-module-terasky-utils/dist/actions/claim-templating.cjs.js');
const { getDefaultFormState } = require('@rjsf/utils');
const validator = require('@rjsf/validator-ajv8').default;
const { Validator } = require('jsonschema');

const repo = path.resolve(__dirname, '../..');
const out = path.resolve(process.argv[2] || path.join(repo, '_output/forms'));

// The generator's configuration: templates that produce a YAML manifest
// (no pull-request step; example/backstage shows a template that opens one).
const config = new ConfigReader({
  kubernetesIngestor: { crossplane: { xrds: { publishPhase: { target: 'yaml' } } } },
});
const quiet = { error: (m) => console.error(m), warn: (m) => console.error(m), info() {}, debug() {} };

function readYAML(file) {
  return yaml.loadAll(fs.readFileSync(file, 'utf8')).filter(Boolean);
}

// templates generates the template of every XRD, keyed by the kind the form
// creates (the claim kind for a LegacyCluster XRD).
function templates() {
  const provider = new XRDTemplateEntityProvider(null, quiet, config, null, null);
  const byKind = {};
  for (const dir of fs.readdirSync(path.join(repo, 'configuration'))) {
    for (const file of ['definition.yaml', 'definition-legacy.yaml']) {
      const p = path.join(repo, 'configuration', dir, file);
      if (!fs.existsSync(p)) continue;
      const xrd = readYAML(p)[0];
      // What the ingestor's XRD data provider adds from the cluster.
      xrd.clusters = ['local'];
      xrd.clusterName = 'local';
      xrd.compositions = [];
      const made = provider.translateXRDVersionsToTemplates(xrd);
      if (made.length !== 1) throw new Error(`${p}: the generator made ${made.length} templates, want 1`);
      const t = made[0];
      const kind = t.spec.steps[0].input.kind;
      byKind[kind] = { template: t, xrd: file };
      fs.writeFileSync(path.join(out, 'templates', `${t.metadata.name}.yaml`), yaml.dump(t, { lineWidth: -1, noRefs: true }));
    }
  }
  return byKind;
}

// untitled lists the form fields a person would see without a title.
function untitled(schema, where, found) {
  for (const [k, v] of Object.entries(schema.properties || {})) {
    if (!v.title && !k.startsWith('ui:')) found.push(`${where}${k}`);
    untitled(v, `${where}${k}.`, found);
    if (v.items) untitled(v.items, `${where}${k}[].`, found);
  }
  for (const dep of Object.values(schema.dependencies || {})) {
    for (const branch of [dep.then, ...(dep.oneOf || [])]) {
      if (branch) untitled(branch, where, found);
    }
  }
  return found;
}

// outline says what a person sees on each page of a form: the fields in
// order, the ones behind "Show Advanced Settings" in brackets.
function outline(template) {
  const lines = [`${template.metadata.title} (${template.metadata.name})`];
  const fields = (schema) => {
    const order = schema['ui:order'] || Object.keys(schema.properties || {});
    const keys = order.filter((k) => k !== '*' && schema.properties && schema.properties[k]);
    for (const k of Object.keys(schema.properties || {})) if (!keys.includes(k)) keys.push(k);
    const shown = keys.filter((k) => k !== 'showAdvancedSettings').map((k) => {
      const p = schema.properties[k];
      const inner = p.type === 'object' && p.properties ? ` {${fields(p)}}` : '';
      return `${p.title || k}${inner}`;
    });
    const adv = schema.dependencies && schema.dependencies.showAdvancedSettings;
    if (adv) {
      shown.push(`[${Object.values(adv.then.properties).map((p) => p.title).join(', ')}]`);
    }
    const on = schema.dependencies && schema.dependencies.enabled;
    if (on) {
      shown.push(`when on: ${Object.values(on.then.properties).map((p) => p.title).join(', ')}`);
    }
    return shown.join(', ');
  };
  template.spec.parameters.forEach((step, i) => lines.push(`  page ${i + 1}, ${step.title}: ${fields(step)}`));
  return lines.join('\n');
}

// withoutUI returns the schema without ui:* keys, as Backstage's frontend
// hands it to react-jsonschema-form (the keys go to the uiSchema).
function withoutUI(s) {
  if (Array.isArray(s)) return s.map(withoutUI);
  if (!s || typeof s !== 'object') return s;
  const o = {};
  for (const [k, v] of Object.entries(s)) {
    if (!k.startsWith('ui:')) o[k] = withoutUI(v);
  }
  return o;
}

// fill fills in the form page by page from what the person typed, and
// validates each page the way the browser and then the backend do.
function fill(template, typed) {
  let values = { ...typed };
  const errors = [];
  template.spec.parameters.forEach((step, i) => {
    const schema = withoutUI(step);
    values = { ...values, ...getDefaultFormState(validator, schema, values, schema) };
    const browser = validator.validateFormData(values, schema);
    for (const e of browser.errors) errors.push(`form page ${i + 1} (${step.title}): ${e.stack}`);
    const backend = new Validator().validate(values, step);
    for (const e of backend.errors) errors.push(`scaffolder backend, page ${i + 1} (${step.title}): ${e.stack}`);
  });
  return { values, errors };
}

// render evaluates the template expressions of the claim-template step's
// input. The generated template uses exactly two; any other is refused.
function render(input, values) {
  const rendered = {};
  for (const [k, v] of Object.entries(input)) {
    if (typeof v !== 'string' || !v.includes('${{')) {
      rendered[k] = v;
      continue;
    }
    const expr = v.trim();
    if (expr === '${{ parameters }}') {
      rendered[k] = JSON.parse(JSON.stringify(values));
    } else if (expr === "${{ parameters.clusters if parameters.manifestLayout === 'cluster-scoped' and parameters.pushToGit else ['temp'] }}") {
      rendered[k] = values.manifestLayout === 'cluster-scoped' && values.pushToGit ? values.clusters : ['temp'];
    } else {
      throw new Error(`input.${k}: template expression ${v} is not known to this script`);
    }
  }
  return rendered;
}

async function claim(template, values) {
  const step = template.spec.steps[0];
  if (step.action !== 'terasky:claim-template') throw new Error(`first step is ${step.action}, want terasky:claim-template`);
  const action = createCrossplaneClaimAction({ config });
  const workspacePath = fs.mkdtempSync(path.join(os.tmpdir(), 'forms-'));
  const outputs = {};
  await action.handler({
    input: render(step.input, values),
    logger: quiet,
    workspacePath,
    output: (name, value) => { outputs[name] = value; },
  });
  fs.rmSync(workspacePath, { recursive: true, force: true });
  return outputs.manifest;
}

async function main() {
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(path.join(out, 'templates'), { recursive: true });
  fs.mkdirSync(path.join(out, 'xrs'), { recursive: true });
  const byKind = templates();
  let failed = false;
  for (const [kind, { template }] of Object.entries(byKind)) {
    // The spec page is the XRD's; the other pages are the generator's own.
    const missing = template.spec.parameters.filter((s) => s.title === 'Resource Spec').flatMap((s) => untitled(s, '', []));
    if (missing.length > 0) {
      console.error(`forms: ${kind}: fields without a title: ${missing.join(', ')}`);
      failed = true;
    }
  }
  // Hand-written templates (example/backstage) are filled the same way.
  const handWritten = {};
  for (const doc of readYAML(path.join(repo, 'example/backstage/template.yaml'))) {
    if (doc.kind === 'Template') handWritten[doc.metadata.name] = { template: doc };
  }
  const outlines = [...Object.values(byKind), ...Object.values(handWritten)].map((t) => outline(t.template));
  fs.writeFileSync(path.join(out, 'outline.txt'), outlines.join('\n') + '\n');
  const submissions = readYAML(path.join(__dirname, 'submissions.yaml'))[0];
  const index = [];
  for (const s of submissions) {
    const t = s.template ? handWritten[s.template] : byKind[s.kind];
    if (!t) throw new Error(`${s.name}: no template ${s.template || `creates a ${s.kind}`}`);
    const { values, errors } = fill(t.template, s.typed);
    if (errors.length > 0) {
      console.error(`forms: ${s.name}: the form refuses the submission:\n  ${errors.join('\n  ')}`);
      failed = true;
      continue;
    }
    const manifest = await claim(t.template, values);
    const file = path.join(out, 'xrs', `${s.name}.yaml`);
    fs.writeFileSync(file, manifest);
    const kind = t.template.spec.steps[0].input.kind;
    index.push({ name: s.name, kind, template: t.template.metadata.name, file, expect: s.expect || {} });
    console.log(`forms: ${s.name}: ${kind} written by terasky:claim-template (template ${t.template.metadata.name})`);
  }
  fs.writeFileSync(path.join(out, 'index.json'), JSON.stringify(index, null, 2));
  console.log(`forms: ${Object.keys(byKind).length} templates, ${index.length} of ${submissions.length} submissions written to ${out}`);
  if (failed || index.length !== submissions.length) process.exit(1);
}

main().catch((e) => {
  console.error(`forms: ${e.stack || e}`);
  process.exit(1);
});
