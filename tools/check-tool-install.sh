#!/usr/bin/env bash
# tools/check-tool-install.sh — the installable CLI, checked as a user would use it (issue 14):
#   packs services/Cli as the .NET tool VideoQuality.Cli into a local package folder, installs it from there with
#   `dotnet tool install --tool-path`, and runs `vq detect` on a clip from an empty directory outside the checkout
#   (no VQ_REPO_ROOT, no VQ_MODEL_ROOT: the models must come bundled with the tool). Exits non-zero on any failure.
# Usage: tools/check-tool-install.sh [WORKDIR]   (default: a new temporary folder, removed at the end)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${1:-$(mktemp -d)}"
[ $# -ge 1 ] || trap 'rm -rf "$WORK"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
unset VQ_REPO_ROOT VQ_MODEL_ROOT VQ_SERVICES_BIN

echo "packing VideoQuality.Cli into $WORK/packages"
nice -n 19 dotnet pack "$ROOT/services/Cli/VideoQuality.Cli.csproj" -c Release -o "$WORK/packages" -nologo -v q -clp:NoSummary

echo "installing it from there into $WORK/tools"
dotnet tool install VideoQuality.Cli --add-source "$WORK/packages" --tool-path "$WORK/tools" >/dev/null

mkdir -p "$WORK/empty"
cd "$WORK/empty"
ffmpeg -nostdin -hide_banner -loglevel error -f lavfi -i "testsrc2=s=160x96:r=30" -frames:v 10 -c:v mpeg2video -q:v 31 clip.mkv
"$WORK/tools/vq" --help >/dev/null
"$WORK/tools/vq" detect clip.mkv --out-dir out
lines=$(wc -l < out/clip.jsonl)
[ "$lines" -eq 10 ] || { echo "expected 10 lines in out/clip.jsonl, got $lines" >&2; exit 1; }
grep -q '"pts_ms"' out/clip.jsonl
echo "ok: the installed tool ran from an empty directory with its bundled models ($lines frames detected)"
