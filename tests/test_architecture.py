"""The import rules of ARCHITECTURE.md, enforced: import-linter contracts, an AST check for requests, no circle,
coordinate systems named only in crs.py."""

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
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if p != PACKAGE / "sources" / "http.py" and imported_modules(p) & {"requests", "requests_cache"}
    ]
    assert offenders == []


def crs_literals(source: str) -> list[int]:
    """Lines of ``source`` whose code (not a docstring or comment) writes « EPSG: » in a string or f-string."""
    tree = ast.parse(source)
    prose = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}  # docstrings
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and "epsg:" in node.value.lower()
        and id(node) not in prose
    )


def test_coordinate_systems_are_named_only_in_crs():
    """One place per CRS (crs.WGS84, crs.LAMBERT93, crs.epsg()): a literal « EPSG:4326 » elsewhere drifts."""
    offenders = {
        str(p.relative_to(PACKAGE)): lines
        for p in PACKAGE.rglob("*.py")
        if p != PACKAGE / "crs.py" and (lines := crs_literals(p.read_text(encoding="utf-8")))
    }
    assert offenders == {}
    assert crs_literals('"""In EPSG:4326."""\nx = f"EPSG:{code}"\ny = to_crs("epsg:2154")\n') == [2, 3]


def lint_with(tmp_path, module: str, source: str) -> subprocess.CompletedProcess:
    """import-linter run on a copy of the package to which ``module`` (path inside ambmap/) was added."""
    copy = tmp_path / "ambmap"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PACKAGE.parent / "pyproject.toml", tmp_path)
    (copy / module).write_text(source)
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    return subprocess.run(
        [lint, "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )


def test_linter_catches_a_forbidden_import(tmp_path):
    """The contracts are not vacuous: a layers module importing PySide6 breaks them."""
    result = lint_with(tmp_path, "layers/bad.py", "import PySide6\n")
    assert result.returncode != 0
    assert "PySide6" in result.stdout


def test_linter_keeps_remote_services_out_of_the_core(tmp_path):
    """render reaching ambmap.sources breaks the forbidden contract (the layers contract alone allows it)."""
    result = lint_with(tmp_path, "render/bad.py", "from ambmap.sources import wmts\n")
    assert result.returncode != 0
    assert "atteignent ambmap.sources BROKEN" in result.stdout
    assert "ambmap.render.bad -> ambmap.sources.wmts" in result.stdout
    assert "vers le bas KEPT" in result.stdout


class _ModuleLevel(ast.NodeVisitor):
    """The imports run when a module is imported: not those inside functions or ``if TYPE_CHECKING:``."""

    def __init__(self):
        self.nodes: list[ast.Import | ast.ImportFrom] = []

    def visit_Import(self, node):  # noqa: N802 (ast's naming)
        self.nodes.append(node)

    visit_ImportFrom = visit_Import  # noqa: N815

    def visit_FunctionDef(self, node):  # noqa: N802
        pass

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815

    def visit_If(self, node):  # noqa: N802
        if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
            for child in node.body:
                self.visit(child)
        for child in node.orelse:
            self.visit(child)


def module_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """{module: ambmap modules it imports at module level}, from the source (nothing is imported)."""
    paths = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        paths[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path

    def known(name: str) -> str | None:  # the module itself, or the package whose attribute it is
        while name and name not in paths:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for module, path in paths.items():
        visitor = _ModuleLevel()
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
        targets = set()
        for node in visitor.nodes:
            if isinstance(node, ast.Import):
                targets |= {known(alias.name) for alias in node.names}
                continue
            base = node.module or ""
            if node.level:
                package_parts = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                package_parts = package_parts[: len(package_parts) - node.level + 1]
                base = ".".join(package_parts + ([node.module] if node.module else []))
            targets |= {known(f"{base}.{alias.name}") for alias in node.names}
        graph[module] = {t for t in targets if t and t != module}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` (first module repeated at the end), or None."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" once fully explored
    for start in sorted(graph):
        if start in state:
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = "open"
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = "done"
                stack.pop()
            elif state.get(nxt) == "open":
                return path[path.index(nxt) :] + [nxt]
            elif nxt not in state:
                state[nxt] = "open"
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


def test_no_import_circle():
    """No circle among ambmap modules at module level (imports inside functions are lazy and may cross)."""
    graph = module_graph()
    assert "ambmap.export.common" in graph["ambmap.export.html"]  # the graph sees module-level imports,
    assert "ambmap.basemap" not in graph["ambmap.export.html"]  # and not those inside functions
    assert "ambmap.ui.qt_env" in graph["ambmap.ui.app"]
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle)


def test_cycle_finder_finds_circles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def _tool(name: str) -> str:
    return shutil.which(name, path=str(Path(sys.executable).parent)) or name


CHECKED = ["ambmap", "tests", "benchmarks"]


def test_ruff_is_clean():
    """Lint rules of pyproject.toml (pyflakes, pycodestyle, isort, bugbear, pyupgrade, complexity ≤ 14)."""
    result = subprocess.run(
        [_tool("ruff"), "check", "--no-cache", *CHECKED], cwd=PACKAGE.parent, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = subprocess.run(
        [_tool("ruff"), "format", "--check", "--no-cache", *CHECKED], cwd=PACKAGE.parent, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean():
    """mypy on the core packages listed in pyproject.toml ([tool.mypy] files)."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", "/dev/null"],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
