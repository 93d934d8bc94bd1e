"""The package's shape: no import cycles, few in-function imports of its own modules, no
import-time side effects, and a library free of Hydra."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from conftest import ROOT

PKG = ROOT / "stanceml"


def _modules() -> dict[str, Path]:
    out = {}
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(ROOT).with_suffix("")
        name = ".".join(rel.parts)
        out[name[: -len(".__init__")] if name.endswith(".__init__") else name] = path
    return out


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, inside a function) for every import, TYPE_CHECKING blocks skipped."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, bool]] = []

    def walk(node: ast.AST, in_fn: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            fn = in_fn or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.ImportFrom) and child.module and not child.level:
                found.extend([(child.module, fn)] + [(f"{child.module}.{a.name}", fn) for a in child.names])
            elif isinstance(child, ast.Import):
                found.extend((a.name, fn) for a in child.names)
            walk(child, fn)

    walk(tree, False)
    return found


def test_no_import_cycles_and_few_lazy_own_imports():
    mods = _modules()
    graph: dict[str, set[str]] = defaultdict(set)
    lazy = []
    for name, path in mods.items():
        for target, in_fn in _imports(path):
            if target in mods and target != name:
                graph[name].add(target)
                if in_fn:
                    lazy.append(f"{name} -> {target}")

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph[start]:
            if nxt == goal or (nxt not in seen and not seen.add(nxt) and reaches(nxt, goal, seen)):
                return True
        return False

    cycles = [m for m in mods if reaches(m, m, set())]
    assert not cycles, f"modules on an import cycle: {sorted(cycles)}"
    assert len(lazy) <= 10, lazy


def test_library_never_imports_hydra():
    for name, path in _modules().items():
        assert not [t for t, _ in _imports(path) if t.split(".")[0] == "hydra"], name


def test_importing_every_module_changes_no_global_state():
    """Environment, umask and logger levels are the same before and after importing it all."""
    code = """
import importlib, json, logging, os, pkgutil
def state():
    mask = os.umask(0); os.umask(mask)
    levels = {n: l.level for n, l in logging.root.manager.loggerDict.items() if isinstance(l, logging.Logger)}
    return {"env": dict(os.environ), "umask": mask, "root": logging.getLogger().level, "levels": levels}
# Third-party libraries first: what they set on import (OpenMP variables, their loggers) is
# theirs; the snapshot is taken after them, so only stanceml's own changes show.
import numpy, torch, transformers, datasets, sklearn, onnxruntime, fastapi, yaml  # noqa
# transformers' masking utilities set TORCHINDUCTOR_CACHE_DIR when first imported (the
# trainer's cached-layers path imports them at module level): theirs too, not stanceml's.
import transformers.masking_utils  # noqa
before = state()
import stanceml
for m in pkgutil.walk_packages(stanceml.__path__, "stanceml."):
    importlib.import_module(m.name)
after = state()
changed = {k: v for k, v in after["levels"].items() if before["levels"].get(k, v) != v}
print(json.dumps({"env": sorted(set(after["env"].items()) ^ set(before["env"].items())),
                  "umask": [before["umask"], after["umask"]], "root": [before["root"], after["root"]],
                  "levels": changed}))
"""
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    diff = json.loads(out.stdout.strip().splitlines()[-1])
    assert diff["env"] == [], diff["env"]
    assert diff["umask"][0] == diff["umask"][1] and diff["root"][0] == diff["root"][1]
    assert diff["levels"] == {}
