"""Layering rules, stated by folder: what each layer of trainer_core may import.

Two checks: every import statement of every module (lazy ones inside functions included)
against the table below, and a fresh interpreter importing the torch-free layers whole.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "trainer_core"

#: The modules every layer may use (shared utilities).
FOUNDATION = {"errors", "schema", "files"}
#: Layer -> the trainer_core layers it may import, bottom to top.
ALLOWED: dict[str, set[str]] = {
    "foundation": set(),
    "engine": {"engine"},
    "analysis": {"engine", "analysis"},
    "trainers": {"engine", "trainers"},
    "packs": {"engine", "trainers", "packs"},
    "fs": {"engine", "trainers", "fs"},
    "federated": {"engine", "analysis", "trainers", "federated"},
    "config": {"engine", "analysis", "trainers", "packs", "fs", "federated", "config"},
    "package": {"engine", "analysis", "trainers", "packs", "config", "fs", "federated"},
    # the optional Flower engine: above everything, and imported by nothing in trainer_core
    "flower": {"engine", "analysis", "trainers", "federated", "config", "flower"},
}
#: Optional extras, importable only by their own layer.
OPTIONAL = {"flwr": "flower", "ray": "flower"}
TORCH_FREE = ("engine", "analysis")
HEAVY = {"torch", "numpy", "sklearn", "textual", "rich"}


def layer_of(module: str) -> str:
    """'trainer_core.engine.hooks' -> 'engine'; foundation modules -> 'foundation'."""
    parts = module.split(".")
    if len(parts) == 1:
        return "package"
    name = parts[1]
    return "foundation" if name in FOUNDATION else name


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Absolute module names a file imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_every_module_belongs_to_a_known_layer():
    layers = {layer_of(module_name(p)) for p in PACKAGE.rglob("*.py")}
    assert layers <= set(ALLOWED), layers - set(ALLOWED)


def test_each_layer_imports_only_the_layers_below_it():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        layer = layer_of(module_name(path))
        for imported in imports_of(path):
            top = imported.split(".")[0]
            if top in ("app", "textual"):
                offenders.append(f"{path.relative_to(ROOT)} imports {imported}")
            if top in OPTIONAL and layer != OPTIONAL[top]:
                offenders.append(f"{path.relative_to(ROOT)} imports the optional {imported}")
            if layer in TORCH_FREE and top in HEAVY:
                offenders.append(f"{path.relative_to(ROOT)} ({layer}) imports {imported}")
            if top == "trainer_core":
                target = layer_of(imported)
                if target not in ALLOWED[layer] | {"foundation"}:
                    offenders.append(f"{path.relative_to(ROOT)} ({layer}) imports {imported} "
                                     f"({target})")
    assert offenders == []


def imported_after(statement: str) -> set[str]:
    code = f"{statement}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return set(out.split())


def test_the_torch_free_layers_load_without_torch_numpy_or_the_layers_above():
    modules = [module_name(p) for layer in TORCH_FREE
               for p in sorted((PACKAGE / layer).rglob("*.py"))]
    loaded = imported_after("import " + ", ".join(modules))
    assert {m.split(".")[0] for m in loaded} & HEAVY == set()
    above = {m for m in loaded if m.startswith("trainer_core.")
             and layer_of(m) not in (*TORCH_FREE, "foundation")}
    assert above == set()


def test_trainer_core_never_imports_the_app_or_textual():
    loaded = imported_after("import trainer_core\nfrom trainer_core import TorchTrainer, "
                            "MultiModelTrainer")
    tops = {m.split(".")[0] for m in loaded}
    assert "torch" in tops  # sanity: the trainers really loaded
    assert "app" not in tops and "textual" not in tops


def test_the_debug_session_runs_without_textual():
    tops = {m.split(".")[0] for m in imported_after("import app.session\n"
                                                    "from app.session import DebugSession")}
    assert "app" in tops and "textual" not in tops
