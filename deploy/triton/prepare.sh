#!/usr/bin/env bash
# Fills the Triton model repository deploy/triton/models with the ONNX files from the project's model registry.
#
#   deploy/triton/prepare.sh [--copy] [--models DIR] [--detector VERSION] [--enhancer VERSION] [--enhancer-profile NAME]
#
# For each kind, takes models/<kind>/<version>/ (default: the highest semantic version), checks the ONNX file
# against manifest.json's sha256 (as the services do), and links it (or copies it with --copy, e.g. before
# `docker build` or an S3 upload) to deploy/triton/models/vq-<kind>/1/model.onnx. The ONNX files are never
# committed (deploy/.gitignore). A manifest with cost profiles (enhancer 2.0.0 on) serves its GPU default profile
# (`default_profile.gpu`: quality), or the one --enhancer-profile names.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MODELS="$ROOT/models"
MODE="link"
declare -A VERSION=([detector]="" [enhancer]="")
declare -A PROFILE=([detector]="" [enhancer]="")

while [ $# -gt 0 ]; do
  case "$1" in
    --copy) MODE=copy ;;
    --models) MODELS="$2"; shift ;;
    --detector) VERSION[detector]="$2"; shift ;;
    --enhancer) VERSION[enhancer]="$2"; shift ;;
    --enhancer-profile) PROFILE[enhancer]="$2"; shift ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "prepare.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

# graph_field FILE KEY [PROFILE]: KEY ("file" or "sha256") of the graph Triton serves: the whole graph from luma
# planes. Detector manifests from 1.1.0 on name it in "full_graph" (their model.onnx takes block features that the
# services compute); manifests with "profiles" serve PROFILE, or their GPU default; others serve "file" itself.
graph_field() {
  python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
if m.get("profiles"):
    name = sys.argv[3] or m.get("default_profile", {}).get("gpu") or next(iter(m["profiles"]))
    if name not in m["profiles"]:
        sys.exit("prepare.sh: %s has no profile %s (it has %s)" % (sys.argv[1], name, ", ".join(m["profiles"])))
    m = m["profiles"][name]
print(m.get("full_graph", m)[sys.argv[2]])' "$1" "$2" "${3:-}"
}

for kind in detector enhancer; do
  dir="$MODELS/$kind"
  version="${VERSION[$kind]}"
  if [ -z "$version" ]; then
    [ -d "$dir" ] || { echo "prepare.sh: no $dir" >&2; exit 1; }
    version="$(find "$dir" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+$' |
      sort -t. -k1,1n -k2,2n -k3,3n | tail -n1)"
    [ -n "$version" ] || { echo "prepare.sh: no version under $dir" >&2; exit 1; }
  fi
  src="$dir/$version"
  manifest="$src/manifest.json"
  file="$(graph_field "$manifest" file "${PROFILE[$kind]}")"
  want="$(graph_field "$manifest" sha256 "${PROFILE[$kind]}")"
  onnx="$src/${file:-model.onnx}"
  have="$(sha256sum "$onnx" | cut -d' ' -f1)"
  if [ "$have" != "$want" ]; then
    echo "prepare.sh: $onnx sha256 $have does not match manifest $want" >&2
    exit 1
  fi
  dest="$HERE/models/vq-$kind/1"
  mkdir -p "$dest"
  rm -f "$dest/model.onnx"
  if [ "$MODE" = copy ]; then cp "$onnx" "$dest/model.onnx"; else ln -s "$onnx" "$dest/model.onnx"; fi
  echo "vq-$kind: $kind $version -> $dest/model.onnx ($MODE, sha256 ok)"
done
