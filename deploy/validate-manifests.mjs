#!/usr/bin/env node
// Validates rendered Kubernetes manifests object by object, offline:
//   1. YAML parse of every document (duplicate keys are errors);
//   2. each object's apiVersion/kind must map to a model class in kubernetes-models, @kubernetes-models/istio,
//      @kubernetes-models/prometheus-operator or @kubernetes-models/cert-manager: an unknown kind FAILS;
//   3. the model's JSON-schema validation (types, required fields, enums, formats);
//   4. unknown fields: the models' JSON schemas accept extra properties, so every object is also type-checked
//      against the packages' TypeScript interfaces with the TypeScript compiler (excess property checks catch a
//      misspelt or misindented key anywhere in the tree).
// Usage: node validate-manifests.mjs FILE.yaml...   (run with NODE_PATH-free resolution from deploy/.tools;
// deploy/check.sh passes --tools DIR). Exit code 1 on any problem.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
let tools = path.join(path.dirname(new URL(import.meta.url).pathname), ".tools");
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--tools") tools = path.resolve(args[++i]);
  else files.push(args[i]);
}
if (files.length === 0) {
  console.error("usage: validate-manifests.mjs [--tools DIR] FILE.yaml...");
  process.exit(2);
}
const nm = path.join(tools, "node_modules");
const require = createRequire(path.join(nm, "noop.js"));
const YAML = require("yaml");
const ts = require("typescript");

// apiVersion group -> package holding its models.
const PACKAGES = [
  { pkg: "@kubernetes-models/istio", groups: /\.istio\.io$/ },
  { pkg: "@kubernetes-models/prometheus-operator", groups: /^monitoring\.coreos\.com$/ },
  { pkg: "@kubernetes-models/cert-manager", groups: /(^|\.)cert-manager\.io$/ },
  { pkg: "kubernetes-models", groups: /.*/ },
];

function modulePath(apiVersion) {
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  const { pkg } = PACKAGES.find((p) => p.groups.test(group));
  return `${pkg}/${apiVersion}`; // core: kubernetes-models/v1
}

async function importModel(spec) {
  // Resolve through the package's exports map from the tools folder.
  const file = resolveExport(spec);
  return file ? import(pathToFileURL(file).href) : null;
}

function resolveExport(spec) {
  const parts = spec.split("/");
  const pkgName = spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
  const sub = "./" + parts.slice(spec.startsWith("@") ? 2 : 1).join("/");
  const pkgDir = path.join(nm, pkgName);
  let pj;
  try {
    pj = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
  } catch {
    return null;
  }
  const entry = pj.exports?.[sub];
  const target = entry?.import ?? (typeof entry === "string" ? entry : null);
  return target ? path.join(pkgDir, target) : null;
}

let problems = 0;
const fail = (where, msg) => {
  problems++;
  console.error(`FAIL ${where}: ${msg}`);
};

const objects = []; // { where, doc, spec, kind }
for (const file of files) {
  const text = fs.readFileSync(file, "utf8");
  const docs = YAML.parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true });
  docs.forEach((d, n) => {
    const where0 = `${file}#${n}`;
    for (const e of d.errors) fail(where0, `YAML: ${e.message}`);
    if (d.errors.length) return;
    const doc = d.toJS({ maxAliasCount: 100 });
    if (doc === null || doc === undefined) return; // empty document between ---
    const name = doc?.metadata?.name ?? "?";
    const where = `${file}#${n} ${doc?.kind ?? "?"}/${name}`;
    if (typeof doc !== "object" || Array.isArray(doc)) return fail(where, "document is not a mapping");
    if (typeof doc.apiVersion !== "string" || typeof doc.kind !== "string")
      return fail(where, "apiVersion and kind are required");
    if (!doc.metadata?.name) return fail(where, "metadata.name is required");
    objects.push({ where, doc, spec: modulePath(doc.apiVersion), kind: doc.kind });
  });
}

// 2 + 3: model lookup and schema validation.
const counts = new Map();
for (const o of objects) {
  const mod = await importModel(o.spec);
  const cls = mod?.[o.kind];
  if (!mod || typeof cls !== "function" || cls.kind !== o.kind || cls.apiVersion !== o.doc.apiVersion) {
    fail(o.where, `unknown kind ${o.doc.apiVersion}/${o.kind} (no model in ${o.spec})`);
    o.unknown = true;
    continue;
  }
  try {
    new cls(o.doc).validate();
  } catch (e) {
    fail(o.where, `schema: ${String(e.message ?? e).split("\n").slice(0, 6).join("; ")}`);
  }
  counts.set(`${o.doc.apiVersion}/${o.kind}`, (counts.get(`${o.doc.apiVersion}/${o.kind}`) ?? 0) + 1);
}

// 4: unknown fields, via TypeScript excess-property checks against the models' interfaces.
const known = objects.filter((o) => !o.unknown);
if (known.length) {
  const dir = fs.mkdtempSync(path.join(tools, "tscheck-"));
  try {
    const lines = [];
    const spans = []; // [startLine, endLine, where]
    const imports = new Map();
    known.forEach((o, i) => {
      const alias = `T${i}`;
      imports.set(alias, `import type { I${o.kind} as ${alias} } from "${o.spec}/${o.kind}";`);
    });
    lines.push(...imports.values());
    known.forEach((o, i) => {
      const body = JSON.stringify(o.doc, null, 2).split("\n");
      const start = lines.length + 1;
      lines.push(`export const o${i}: T${i} = ${body[0]}`, ...body.slice(1));
      lines[lines.length - 1] += ";";
      spans.push([start, lines.length, o.where]);
    });
    const file = path.join(dir, "manifests.mts");
    fs.writeFileSync(file, lines.join("\n") + "\n");
    const program = ts.createProgram([file], {
      noEmit: true,
      strict: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: [],
      typeRoots: [],
    });
    const diags = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file || !d.file);
    for (const d of diags) {
      const msg = ts.flattenDiagnosticMessageText(d.messageText, "\n").split("\n").slice(0, 3).join(" | ");
      if (!d.file) {
        fail("typescript", msg);
        continue;
      }
      const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
      const ln = line + 1;
      const span = spans.find(([a, b]) => ln >= a && ln <= b);
      const src = lines[ln - 1]?.trim() ?? "";
      fail(span ? span[2] : `line ${ln}`, `fields: ${msg} (at ${src.slice(0, 80)})`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const summary = [...counts.entries()].map(([k, v]) => `${v} ${k}`).join(", ");
console.log(`validated ${objects.length} objects from ${files.length} file(s): ${summary}`);
if (problems) {
  console.error(`${problems} problem(s)`);
  process.exit(1);
}
