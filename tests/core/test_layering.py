"""Layering rules checked in a fresh interpreter: what each layer may import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_after(statement: str) -> set[str]:
    code = f"{statement}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return {name.split(".")[0] for name in out.split()}


def test_hook_ordering_context_and_routine_need_neither_torch_nor_textual():
    modules = imported_after("import trainer_core.hooks, trainer_core.context, "
                             "trainer_core.routine, trainer_core.points, trainer_core.lifecycle, "
                             "trainer_core.triggers, trainer_core.settings, trainer_core.values")
    assert "torch" not in modules
    assert "textual" not in modules


def test_trainer_core_never_imports_the_app_or_textual():
    modules = imported_after("import trainer_core\nfrom trainer_core import TorchTrainer, "
                             "MultiModelTrainer")
    assert "torch" in modules  # sanity: the trainers really loaded
    assert "app" not in modules and "textual" not in modules


def test_no_source_file_in_trainer_core_mentions_app_or_textual_imports():
    offenders = [p.name for p in (ROOT / "trainer_core").rglob("*.py")
                 if any(line.lstrip().startswith(("import textual", "from textual",
                                                  "import app", "from app"))
                        for line in p.read_text().splitlines())]
    assert offenders == []


def test_the_debug_session_runs_without_textual():
    modules = imported_after("import app.session\nfrom app.session import DebugSession")
    assert "app" in modules and "textual" not in modules
