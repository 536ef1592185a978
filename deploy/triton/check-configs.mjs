#!/usr/bin/env node
// Checks the Triton model repository against the model contract (docs/MODEL_CONTRACT.md) and, where the
// registry has models, against their manifest.json: model names, input/output tensor names and ranks, dynamic
// batching, GPU instance groups and the TensorRT FP16 accelerator. Also fails if an ONNX file is tracked by git.
// Usage: node deploy/triton/check-configs.mjs [REPO_ROOT]
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(new URL(import.meta.url).pathname), "../.."));
const repo = path.join(root, "deploy/triton/models");
const CONTRACT = {
  "vq-detector": {
    kind: "detector",
    inputs: { luma: 3, prev_luma: 3, state: 3 },
    outputs: { severity: 1, block_probs: 3, next_state: 3 },
  },
  "vq-enhancer": { kind: "enhancer", inputs: { luma: 3, grid: 3 }, outputs: { restored: 3 } },
};
let problems = 0;
const fail = (m) => {
  problems++;
  console.error(`FAIL ${m}`);
};

// Tensors of an `input [...]` or `output [...]` list: name -> dims length.
function tensors(text, section) {
  const m = text.match(new RegExp(`^${section}\\s*\\[([\\s\\S]*?)^\\]`, "m"));
  if (!m) return null;
  const out = {};
  for (const block of m[1].split(/\}\s*,?/)) {
    const name = block.match(/name:\s*"([^"]+)"/)?.[1];
    const dims = block.match(/dims:\s*\[([^\]]*)\]/)?.[1];
    if (name) out[name] = dims ? dims.split(",").filter((s) => s.trim()).length : -1;
  }
  return out;
}

function highestManifest(kind) {
  const dir = path.join(root, "models", kind);
  if (!fs.existsSync(dir)) return null;
  const versions = fs
    .readdirSync(dir)
    .filter((v) => /^\d+\.\d+\.\d+$/.test(v) && fs.existsSync(path.join(dir, v, "manifest.json")))
    .sort((a, b) => {
      const [x, y] = [a, b].map((v) => v.split(".").map(Number));
      return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
    });
  if (!versions.length) return null;
  const file = path.join(dir, versions.at(-1), "manifest.json");
  return { file, manifest: JSON.parse(fs.readFileSync(file, "utf8")) };
}

for (const [model, c] of Object.entries(CONTRACT)) {
  const cfgPath = path.join(repo, model, "config.pbtxt");
  if (!fs.existsSync(cfgPath)) {
    fail(`${cfgPath} missing`);
    continue;
  }
  const text = fs.readFileSync(cfgPath, "utf8").replace(/#.*$/gm, "");
  const name = text.match(/^name:\s*"([^"]+)"/m)?.[1];
  if (name !== model) fail(`${model}: name is ${name}, expected ${model} (the directory name)`);
  if (!/^backend:\s*"onnxruntime"/m.test(text)) fail(`${model}: backend must be onnxruntime`);
  const mbs = Number(text.match(/^max_batch_size:\s*(\d+)/m)?.[1] ?? 0);
  if (!(mbs > 0)) fail(`${model}: max_batch_size must be > 0 for dynamic batching`);
  if (!/^dynamic_batching\s*\{/m.test(text)) fail(`${model}: no dynamic_batching`);
  if (!/kind:\s*KIND_GPU/.test(text)) fail(`${model}: no KIND_GPU instance group`);
  if (!/name:\s*"tensorrt"/.test(text) || !/key:\s*"precision_mode"\s*value:\s*"FP16"/.test(text))
    fail(`${model}: no TensorRT accelerator with precision_mode FP16`);
  for (const section of ["input", "output"]) {
    const got = tensors(text, section);
    const want = c[`${section}s`];
    if (!got) {
      fail(`${model}: no ${section} list`);
      continue;
    }
    for (const [t, rank] of Object.entries(want)) {
      if (!(t in got)) fail(`${model}: ${section} ${t} missing`);
      else if (got[t] !== rank) fail(`${model}: ${section} ${t} has ${got[t]} dims, expected ${rank} (batch excluded)`);
    }
    for (const t of Object.keys(got)) if (!(t in want)) fail(`${model}: unexpected ${section} ${t}`);
  }
  const m = highestManifest(c.kind);
  if (m) {
    for (const section of ["inputs", "outputs"]) {
      // Triton serves the whole graph: a detector manifest's full_graph (its model.onnx takes precomputed features).
      const graph = section === "inputs" && m.manifest.full_graph ? m.manifest.full_graph : m.manifest;
      const names = (graph[section] ?? []).map((t) => t.name).sort();
      const want = Object.keys(c[section]).sort();
      if (JSON.stringify(names) !== JSON.stringify(want))
        fail(`${model}: ${m.file} ${section} ${names} differ from the config's ${want}`);
    }
    console.log(`${model}: checked against ${path.relative(root, m.file)}`);
  } else {
    console.log(`${model}: no models/${c.kind}/<version>/manifest.json yet; checked against the contract only`);
  }
}

try {
  const tracked = execFileSync("git", ["-C", root, "ls-files", "deploy/triton"], { encoding: "utf8" })
    .split("\n")
    .filter((f) => f.endsWith(".onnx"));
  for (const f of tracked) fail(`${f} is tracked by git (ONNX files are linked or copied by prepare.sh, never committed)`);
} catch {
  // not a git checkout: nothing to check
}

if (problems) process.exit(1);
console.log("triton configs ok");
