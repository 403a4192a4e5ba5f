"""The import rules of ARCHITECTURE.md, enforced: import-linter contracts plus an AST check for requests."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import ambmap

PACKAGE = Path(ambmap.__file__).parent


def test_import_linter_contracts_hold():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    result = subprocess.run([lint, "--no-cache"], cwd=PACKAGE.parent, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_requests_only_in_sources_http():
    offenders = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                 if p != PACKAGE / "sources" / "http.py" and imported_modules(p) & {"requests", "requests_cache"}]
    assert offenders == []


def test_linter_catches_a_forbidden_import(tmp_path):
    """The contracts are not vacuous: a layers module importing PySide6 breaks them."""
    copy = tmp_path / "ambmap"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PACKAGE.parent / "pyproject.toml", tmp_path)
    (copy / "layers" / "bad.py").write_text("import PySide6\n")
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    result = subprocess.run([lint, "--no-cache"], cwd=tmp_path, capture_output=True, text=True,
                            env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode != 0
    assert "PySide6" in result.stdout
