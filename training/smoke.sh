#!/usr/bin/env bash
# Training smoke run for CI: installs the Debian packages the pipeline needs when missing, then runs every stage
# (data with every source kind's generator -> recurrent detector training -> calibration -> evaluation with vqbench ->
# export with golden vectors -> model card, and the enhancer) on tiny data with a few steps, into a temporary folder.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
need=()
/usr/bin/python3 -c 'import torch, onnx, numpy' 2>/dev/null || need+=(python3-torch python3-onnx python3-numpy)
command -v ffmpeg >/dev/null || need+=(ffmpeg)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
work=$(mktemp -d /tmp/vqsmoke.XXXXXX)
trap 'rm -rf "$work"' EXIT
start=$SECONDS
/usr/bin/python3 -m unittest discover -s tests
/usr/bin/python3 -m vqtrain.pipeline --smoke --work "$work"
for m in "$work/models/detector/2.0.0" "$work/models/enhancer/1.0.0"; do
  for f in model.onnx manifest.json MODEL_CARD.md golden/cases.json; do
    [ -s "$m/$f" ] || { echo "smoke: missing $m/$f" >&2; exit 1; }
  done
  /usr/bin/python3 - "$m" <<'PY'
import hashlib, json, sys, pathlib
d = pathlib.Path(sys.argv[1]); m = json.loads((d / "manifest.json").read_text())
assert m["sha256"] == hashlib.sha256((d / m["file"]).read_bytes()).hexdigest(), "sha256 mismatch"
assert m["opset"] == 17 and m["metrics"], "manifest incomplete"
print("smoke: %s %s ok (%d bytes)" % (m["name"], m["version"], m["bytes"]))
PY
done
echo "training smoke passed in $((SECONDS - start)) s"
