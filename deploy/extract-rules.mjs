#!/usr/bin/env node
// Writes the spec.groups of every PrometheusRule in the given rendered manifests as one Prometheus rule file
// (the format `promtool check rules` reads). Usage: node extract-rules.mjs --tools DIR OUT.yaml IN.yaml...
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const args = process.argv.slice(2);
let tools = path.join(path.dirname(new URL(import.meta.url).pathname), ".tools");
if (args[0] === "--tools") {
  tools = path.resolve(args[1]);
  args.splice(0, 2);
}
const [out, ...inputs] = args;
if (!out || inputs.length === 0) {
  console.error("usage: extract-rules.mjs [--tools DIR] OUT.yaml IN.yaml...");
  process.exit(2);
}
const YAML = createRequire(path.join(tools, "node_modules", "noop.js"))("yaml");
const groups = [];
for (const file of inputs) {
  for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))) {
    const o = doc.toJS();
    if (o?.kind === "PrometheusRule") groups.push(...(o.spec?.groups ?? []));
  }
}
if (groups.length === 0) {
  console.error("extract-rules: no PrometheusRule groups found");
  process.exit(1);
}
fs.writeFileSync(out, YAML.stringify({ groups }));
console.log(`extract-rules: ${groups.length} group(s), ${groups.reduce((n, g) => n + g.rules.length, 0)} rule(s) -> ${out}`);
