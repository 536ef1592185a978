"""One place that locates and imports ../shared/vqbench (the ruler). Never copied into the project."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def vqbench_path() -> Path:
    env = os.environ.get("VQBENCH")
    cands = [Path(env)] if env else []
    cands += [REPO.parent / "shared" / "vqbench" / "vqbench.py", REPO / "shared" / "vqbench" / "vqbench.py"]
    for c in cands:
        if c.is_file():
            return c
    raise SystemExit("vqbench.py not found (set VQBENCH=/path/to/vqbench.py); looked in %s" % [str(c) for c in cands])


def module():
    """Import vqbench as a module (for its y4m reader and ground-truth rule)."""
    if "vqbench" in sys.modules:
        return sys.modules["vqbench"]
    spec = importlib.util.spec_from_file_location("vqbench", vqbench_path())
    mod = importlib.util.module_from_spec(spec)
    sys.modules["vqbench"] = mod
    spec.loader.exec_module(mod)
    return mod


def run(*args: str, capture: bool = False) -> str:
    """Run a vqbench subcommand with Debian's python (it needs numpy)."""
    cmd = ["/usr/bin/python3", str(vqbench_path()), *args]
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    p = subprocess.run(cmd, check=True, stdout=subprocess.PIPE if capture else None, text=True)
    return p.stdout if capture else ""
