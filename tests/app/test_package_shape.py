"""The package's shape: only campaign/app/ draws. Every other module (ingest, store, model, analysis, outputs,
what-if, the command line) is plain Python that runs and is tested without Streamlit."""
import ast
import json
import subprocess
import sys
from pathlib import Path

from campaign.config import ROOT

PACKAGE = ROOT / "campaign"
APP = PACKAGE / "app"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str, bool]]:
    """(line, imported module, at module level) for every import in ``tree``, relative ones resolved, and for
    importlib.import_module / __import__ called with a literal name."""
    top = {id(node) for node in tree.body}
    base = module.split(".") if is_package else module.split(".")[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                prefix = base[:len(base) - node.level + 1]
                name = ".".join(prefix + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name, id(node) in top))
            found += [(node.lineno, f"{name}.{a.name}", id(node) in top) for a in node.names]
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Name) and node.func.id in {"__import__", "import_module"})
                   or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module"))):
            found.append((node.lineno, node.args[0].value, False))
    return found


def _outside_app() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if APP not in p.parents)


def _is(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_the_walk_sees_the_whole_package():
    files = {p.relative_to(PACKAGE).as_posix() for p in _outside_app()}
    assert {"store.py", "bench.py", "cli.py", "analysis/__init__.py", "ingest/engine.py"} <= files
    assert not any(f.startswith("app/") for f in files)
    assert (APP / "ui.py").exists() and (APP / "bootstrap.py").exists()


def test_only_campaign_app_imports_streamlit():
    offenders = []
    for path in _outside_app():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, name, _ in _imported(tree, _module_name(path), path.name == "__init__.py"):
            if _is(name, "streamlit"):
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not offenders, "Streamlit belongs in campaign/app/ only:\n" + "\n".join(offenders)


def test_no_module_outside_app_imports_the_app_when_it_is_loaded():
    """A module-level import of campaign.app would bring Streamlit along; the benchmark reaches the app's
    page timings from inside a function, when it runs them."""
    offenders = []
    for path in _outside_app():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, name, module_level in _imported(tree, _module_name(path), path.name == "__init__.py"):
            if module_level and _is(name, "campaign.app"):
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_the_walk_catches_every_way_of_importing_streamlit():
    code = "\n".join(["import streamlit as st", "import streamlit.components.v1 as components",
                      "from streamlit.testing.v1 import AppTest", "def f():", "    import streamlit",
                      "importlib.import_module('streamlit')", "from .app import ui", "from . import app",
                      "import os"])
    names = {name for _, name, _ in _imported(ast.parse(code), "campaign.bench", False)}
    assert {n for n in names if _is(n, "streamlit")} == {
        "streamlit", "streamlit.components.v1", "streamlit.testing.v1", "streamlit.testing.v1.AppTest"}
    assert {"campaign.app", "campaign.app.ui"} <= names and "os" in names
    inner = {name for _, name, _ in _imported(ast.parse("from ..app import ui"), "campaign.ingest.engine", False)}
    assert "campaign.app.ui" in inner


def test_loading_every_module_outside_app_leaves_streamlit_unloaded():
    """What the walk cannot see (a library or a module that pulls Streamlit in on its own): import every module
    outside campaign/app/ in a fresh interpreter and look."""
    names = [_module_name(p) for p in _outside_app() if p.name != "__main__.py"]
    code = ("import importlib, json, sys\n"
            "for name in json.loads(sys.argv[1]):\n"
            "    importlib.import_module(name)\n"
            "print(json.dumps(sorted(m for m in sys.modules if m == 'streamlit' or m.startswith('streamlit.'))))")
    out = subprocess.run([sys.executable, "-c", code, json.dumps(names)], capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert len(names) > 30
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
