#!/usr/bin/env node
// Static checks of deploy/docker/Dockerfile* where no Docker engine or hadolint is available:
//   - every `COPY --from=<stage>` names an earlier stage (or an image reference); stage names are unique;
//   - every target the compose files and workflows build (`target:`) exists in the Dockerfile they use;
//   - every SERVICE they pass has services/<SERVICE>/VideoQuality.<SERVICE>.csproj;
//   - the runtime stages run as user 10001, declare a HEALTHCHECK and the OCI labels version/revision/source;
//   - the .dockerignore beside the Dockerfile does not exclude what the build copies (services/, shared/,
//     protos/, models/, Directory.*.props, the solution).
// Usage: node deploy/docker/check-dockerfiles.mjs [REPO_ROOT]
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(new URL(import.meta.url).pathname), "../.."));
const dir = path.join(root, "deploy/docker");
let problems = 0;
const fail = (m) => {
  problems++;
  console.error(`FAIL ${m}`);
};

// Logical lines (backslash continuations joined, comments dropped).
function instructions(text) {
  const out = [];
  let cur = "";
  for (const raw of text.split("\n")) {
    if (/^\s*#/.test(raw) && !cur) continue;
    const line = raw.replace(/\s+$/, "");
    if (line.endsWith("\\")) {
      cur += line.slice(0, -1) + " ";
      continue;
    }
    cur += line;
    if (cur.trim()) out.push(cur.trim());
    cur = "";
  }
  return out;
}

const stagesByFile = {};
for (const name of fs.readdirSync(dir).filter((f) => /^Dockerfile(\.[a-z0-9-]+)?$/.test(f) && !f.endsWith(".dockerignore"))) {
  const file = path.join(dir, name);
  const ins = instructions(fs.readFileSync(file, "utf8"));
  const stages = [];
  let current = null;
  for (const i of ins) {
    const [op, ...rest] = i.split(/\s+/);
    const OP = op.toUpperCase();
    if (OP === "FROM") {
      const m = i.match(/^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i);
      if (!m) fail(`${name}: cannot parse "${i}"`);
      current = { name: m?.[2] ?? null, user: null, healthcheck: false, labels: "", vars: new Set() };
      if (current.name && stages.some((s) => s.name === current.name)) fail(`${name}: duplicate stage ${current.name}`);
      stages.push(current);
    } else if (!current) {
      if (OP !== "ARG") fail(`${name}: ${OP} before the first FROM`);
    } else if (OP === "COPY" || OP === "ADD") {
      const from = i.match(/--from=(\S+)/)?.[1];
      if (from && !from.includes("/") && !from.includes(":") && !stages.slice(0, -1).some((s) => s.name === from))
        fail(`${name}: ${OP} --from=${from} names no earlier stage`);
    } else if (OP === "ARG") {
      current.vars.add(rest[0].split("=")[0]);
    } else if (OP === "USER") {
      current.user = rest.join(" ");
    } else if (OP === "HEALTHCHECK") {
      current.healthcheck = true;
    } else if (OP === "LABEL") {
      current.labels += " " + rest.join(" ");
    }
    // ${VAR} in LABEL/ENV/EXPOSE/WORKDIR/USER is expanded by the builder: it must be an ARG of this stage or an
    // earlier ENV (a global ARG before FROM is not visible inside a stage unless re-declared).
    if (current && ["LABEL", "ENV", "EXPOSE", "WORKDIR", "USER"].includes(OP)) {
      for (const v of i.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g))
        if (!current.vars.has(v[1])) fail(`${name}: ${OP} uses \${${v[1]}}, not declared in stage ${current.name}`);
    }
    if (current && OP === "ENV") {
      for (const kv of i.slice(4).matchAll(/([A-Za-z_][A-Za-z0-9_]*)=/g)) current.vars.add(kv[1]);
    }
  }
  for (const s of stages.filter((st) => st.name?.startsWith("runtime"))) {
    if (!/^10001(:10001)?$/.test(s.user ?? "")) fail(`${name}: stage ${s.name} does not end as USER 10001 (${s.user})`);
    if (!s.healthcheck) fail(`${name}: stage ${s.name} has no HEALTHCHECK`);
    for (const l of ["version", "revision", "source", "title"])
      if (!s.labels.includes(`org.opencontainers.image.${l}=`)) fail(`${name}: stage ${s.name} lacks label org.opencontainers.image.${l}`);
  }
  stagesByFile[`deploy/docker/${name}`] = stages.map((s) => s.name).filter(Boolean);

  const ignore = path.join(dir, `${name}.dockerignore`);
  if (fs.existsSync(ignore)) {
    const patterns = fs.readFileSync(ignore, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    for (const needed of ["services/", "shared/", "protos/", "models/", "Directory.Build.props", "Directory.Packages.props", "VideoQuality.sln"]) {
      if (patterns.some((p) => p.replace(/\/$/, "") === needed.replace(/\/$/, "") || p === `${needed}**`))
        fail(`${name}.dockerignore excludes ${needed}, which the build needs`);
    }
  }
}

// Targets and SERVICE values used by compose files and workflows.
const users = [
  ...fs.readdirSync(path.join(root, "deploy/compose")).filter((f) => f.endsWith(".yml")).map((f) => `deploy/compose/${f}`),
  ...(fs.existsSync(path.join(root, ".github/workflows"))
    ? fs.readdirSync(path.join(root, ".github/workflows")).map((f) => `.github/workflows/${f}`)
    : []),
];
let targetsChecked = 0;
for (const rel of users) {
  const text = fs.readFileSync(path.join(root, rel), "utf8");
  const dockerfile = text.match(/(?:dockerfile|file):\s*(deploy\/docker\/Dockerfile[.\w-]*)/)?.[1] ?? "deploy/docker/Dockerfile";
  const stages = stagesByFile[dockerfile] ?? [];
  for (const m of text.matchAll(/^\s*target:\s*([^\s[]\S*)/gm)) {
    const t = m[1];
    if (t === "${{" || t.includes("${{")) {
      // runtime-${{ matrix.flavor }}: check every flavor in the matrix.
      const flavors = text.match(/flavor:\s*\[([^\]]*)\]/)?.[1]?.split(",").map((s) => s.trim()) ?? [];
      const prefix = t.split("${{")[0];
      for (const f of flavors) {
        targetsChecked++;
        if (!stages.includes(prefix + f)) fail(`${rel}: target ${prefix}${f} not in ${dockerfile}`);
      }
      const matrixTargets = text.match(/target:\s*\[([^\]]*)\]/)?.[1]?.split(",").map((s) => s.trim()) ?? [];
      for (const mt of matrixTargets) {
        targetsChecked++;
        if (!stages.includes(mt)) fail(`${rel}: matrix target ${mt} not in ${dockerfile}`);
      }
    } else {
      targetsChecked++;
      if (!stages.includes(t)) fail(`${rel}: target ${t} not in ${dockerfile}`);
    }
  }
  const services = new Set([...text.matchAll(/SERVICE[:=]\s*([A-Z][A-Za-z]+)\b/g)].map((m) => m[1]));
  for (const m of text.matchAll(/service:\s*\[([^\]]*)\]/g))
    for (const s of m[1].split(",").map((x) => x.trim())) if (/^[A-Z]/.test(s)) services.add(s);
  for (const s of services) {
    const csproj = `services/${s}/VideoQuality.${s}.csproj`;
    if (!fs.existsSync(path.join(root, csproj))) fail(`${rel}: SERVICE ${s} but ${csproj} does not exist`);
  }
}
if (targetsChecked === 0) fail("no build targets found in compose files or workflows");
if (problems) process.exit(1);
console.log(`dockerfiles ok: ${Object.entries(stagesByFile).map(([f, s]) => `${f} [${s.join(", ")}]`).join("; ")}; ${targetsChecked} targets referenced`);
