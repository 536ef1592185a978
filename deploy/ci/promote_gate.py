"""Promotion gate: does a candidate model beat the current one on the benchmark?

Reads two `vqtrain.pipeline evaluate --json` results (vqbench scores, same data set) and exits 0 only when the
candidate wins on the primary metric by at least --min-gain without breaking a guard:

  detector  primary: overall frame-level ROC AUC (higher)
            guards:  false-alarm rate at severity >= 0.5 not up by more than --max-far-increase;
                     block F1 (when both have it) not down by more than --max-block-f1-drop
  enhancer  primary: mean dPSNR over the compression group (higher)
            guards:  clean-group dPSNR >= --min-clean-dpsnr (repairs must not damage clean video);
                     compression dSSIM not lower than the current model's

    /usr/bin/python3 deploy/ci/promote_gate.py detector --candidate cand.json --current cur.json [--summary out.md]
Exit codes: 0 promote, 1 keep the current model, 2 bad input.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _get(d: dict, *path: str) -> float | None:
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return float(d) if isinstance(d, (int, float)) else None


def gate(kind: str, cand: dict, cur: dict, a: argparse.Namespace) -> tuple[bool, list[tuple[str, float | None, float | None, bool]]]:
    """Returns (promote, rows of (check, candidate, current, ok))."""
    rows: list[tuple[str, float | None, float | None, bool]] = []
    if kind == "detector":
        c, p = _get(cand, "detector", "auc"), _get(cur, "detector", "auc")
        if c is None:
            raise ValueError("candidate result has no detector.auc")
        rows.append((f"AUC gain >= {a.min_gain}", c, p, p is None or c >= p + a.min_gain))
        cf, pf = _get(cand, "detector", "false_alarm_rate"), _get(cur, "detector", "false_alarm_rate")
        if cf is not None and pf is not None:
            rows.append((f"FAR increase <= {a.max_far_increase}", cf, pf, cf <= pf + a.max_far_increase))
        cb, pb = _get(cand, "detector", "block_f1"), _get(cur, "detector", "block_f1")
        if cb is not None and pb is not None:
            rows.append((f"block F1 drop <= {a.max_block_f1_drop}", cb, pb, cb >= pb - a.max_block_f1_drop))
    else:
        c, p = _get(cand, "enhancer", "compression", "dpsnr"), _get(cur, "enhancer", "compression", "dpsnr")
        if c is None:
            raise ValueError("candidate result has no enhancer.compression.dpsnr")
        rows.append((f"compression dPSNR gain >= {a.min_gain} dB", c, p, p is None or c >= p + a.min_gain))
        cc = _get(cand, "enhancer", "clean", "dpsnr")
        rows.append((f"clean dPSNR >= {a.min_clean_dpsnr} dB", cc, _get(cur, "enhancer", "clean", "dpsnr"),
                     cc is None or cc >= a.min_clean_dpsnr))
        cs, ps = _get(cand, "enhancer", "compression", "dssim"), _get(cur, "enhancer", "compression", "dssim")
        if cs is not None and ps is not None:
            rows.append(("compression dSSIM not lower", cs, ps, cs >= ps))
    # "Beats" means strictly better on the primary metric even with --min-gain 0.
    primary_c, primary_p = rows[0][1], rows[0][2]
    strictly = primary_p is None or (primary_c is not None and primary_c > primary_p)
    return strictly and all(ok for *_, ok in rows), rows


def markdown(kind: str, promote: bool, rows) -> str:
    f = lambda v: "-" if v is None else f"{v:.4f}"  # noqa: E731
    lines = [f"### {kind} promotion gate: {'PROMOTE' if promote else 'KEEP CURRENT'}", "",
             "| check | candidate | current | ok |", "|---|---|---|---|"]
    lines += [f"| {name} | {f(c)} | {f(p)} | {'yes' if ok else 'no'} |" for name, c, p, ok in rows]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=["detector", "enhancer"])
    ap.add_argument("--candidate", type=Path, required=True)
    ap.add_argument("--current", type=Path, help="absent: no current model, the candidate is promoted if valid")
    ap.add_argument("--min-gain", type=float, default=0.0)
    ap.add_argument("--max-far-increase", type=float, default=0.005)
    ap.add_argument("--max-block-f1-drop", type=float, default=0.01)
    ap.add_argument("--min-clean-dpsnr", type=float, default=-0.1)
    ap.add_argument("--summary", type=Path, help="append the Markdown table here (e.g. $GITHUB_STEP_SUMMARY)")
    a = ap.parse_args()
    try:
        cand = json.loads(a.candidate.read_text())
        cur = json.loads(a.current.read_text()) if a.current and a.current.is_file() else {}
        promote, rows = gate(a.kind, cand, cur, a)
    except (OSError, ValueError) as e:
        print(f"promote_gate: {e}", file=sys.stderr)
        sys.exit(2)
    md = markdown(a.kind, promote, rows)
    print(md)
    if a.summary:
        with a.summary.open("a") as fh:
            fh.write(md)
    sys.exit(0 if promote else 1)


if __name__ == "__main__":
    main()
