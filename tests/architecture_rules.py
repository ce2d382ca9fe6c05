"""The import rules of ``docs/architecture.md``, read from its package table and checked against the code.

The table's first column names a package or module of the project (```sync_engine/engine/```), its last
column what that one may import: other rows (backticked paths), ``Qt`` (PySide6, shiboken6, qasync),
or "—" for nothing of the project. A line ``Foundation (every row may import these): `a`, `b` `` names
the modules everyone may use. Every project file must fall under a row; imports written under
``if TYPE_CHECKING:`` and inside functions count too (they are dependencies all the same), while the
check for import cycles between modules looks only at what runs when a module is imported.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

PACKAGES = ("sync_engine", "models", "studio", "widgets", "resources")
QT_ROOTS = frozenset({"PySide6", "shiboken6", "qasync"})
_BACKTICK = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Row:
    path: str  # "sync_engine/engine/" (a package) or "sync_engine/sides.py" (a module)
    allows: frozenset[str]
    qt: bool

    def covers(self, module_path: str) -> bool:
        return module_path.startswith(self.path) if self.path.endswith("/") else module_path == self.path


@dataclass
class Rules:
    rows: list[Row]
    foundation: frozenset[str]

    def row_of(self, module_path: str) -> Row | None:
        matches = [r for r in self.rows if r.covers(module_path)]
        return max(matches, key=lambda r: len(r.path)) if matches else None


@dataclass(frozen=True)
class Import:
    file: str  # repository path of the importing file
    line: int
    target: str  # repository path of the imported project module, or a top-level package outside the project
    at_import_time: bool  # executed when the importing module is imported (not lazy, not TYPE_CHECKING)


@dataclass
class Report:
    violations: list[str] = field(default_factory=list)
    row_cycles: list[list[str]] = field(default_factory=list)
    module_cycles: list[list[str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.violations or self.row_cycles or self.module_cycles)


def parse_rules(markdown: str) -> Rules:
    rows: list[Row] = []
    foundation: set[str] = set()
    in_foundation = False
    for line in markdown.splitlines():
        in_foundation = line.startswith("Foundation") or (in_foundation and bool(line.strip()))
        if in_foundation:
            foundation |= set(_BACKTICK.findall(line))
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        first = _BACKTICK.findall(cells[0])
        if not first or not first[0].startswith(PACKAGES):
            continue
        last = cells[-1]
        allows = frozenset(p for p in _BACKTICK.findall(last) if p.startswith(PACKAGES))
        rows.append(Row(first[0], allows, bool(re.search(r"\bQt\b", last))))
    return Rules(rows, frozenset(foundation))


def _module_paths(root: Path) -> dict[str, str]:
    """Dotted module name -> repository path, for every project file."""
    out: dict[str, str] = {}
    for package in PACKAGES:
        for file in sorted((root / package).rglob("*.py")):
            rel = file.relative_to(root).as_posix()
            if "/__pycache__/" in rel:
                continue
            dotted = rel[:-3].replace("/", ".")
            out[dotted.removesuffix(".__init__")] = rel
    return out


def _resolve(name: str, modules: dict[str, str]) -> str | None:
    while name:
        if name in modules:
            return modules[name]
        name = name.rpartition(".")[0]
    return None


def scan_imports(root: Path) -> Iterator[Import]:
    modules = _module_paths(root)
    for dotted, rel in modules.items():
        tree = ast.parse((root / rel).read_text(encoding="utf-8"), filename=rel)
        lazy: set[int] = set()
        for node in ast.walk(tree):
            type_only = isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            if type_only or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lazy |= {id(n) for n in ast.walk(node) if n is not node or not type_only}
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level:
                base = dotted.split(".")[: -node.level] if not rel.endswith("__init__.py") else dotted.split(".")
                names = [".".join([*base, *(node.module or "").split(".")]).strip(".")]
            for name in names:
                target = _resolve(name, modules) if name.split(".")[0] in PACKAGES else name.split(".")[0]
                if target is not None and target != rel:
                    yield Import(rel, node.lineno, target, id(node) not in lazy)


def _allowed(rules: Rules, row: Row, target_row: Row) -> bool:
    if target_row is row or target_row.path in rules.foundation:
        return True
    return any(target_row.path.startswith(a) if a.endswith("/") else target_row.path == a for a in row.allows)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def check(root: Path, rules: Rules, imports: Iterable[Import] | None = None) -> Report:
    report = Report()
    modules = _module_paths(root)
    for rel in modules.values():
        if rules.row_of(rel) is None:
            report.violations.append(f"{rel}: no row of the package table in docs/architecture.md covers it")
    row_edges: dict[str, set[str]] = {}
    module_edges: dict[str, set[str]] = {}
    for imp in imports if imports is not None else scan_imports(root):
        row = rules.row_of(imp.file)
        if row is None:
            continue
        if imp.target in QT_ROOTS:
            if not row.qt:
                report.violations.append(f"{imp.file}:{imp.line}: imports {imp.target}, but {row.path} may not "
                                         "import Qt (only studio/ and widgets/ do)")
            continue
        if not imp.target.endswith(".py"):
            continue  # third-party or standard library
        target_row = rules.row_of(imp.target)
        if target_row is None:
            continue
        if not _allowed(rules, row, target_row):
            report.violations.append(f"{imp.file}:{imp.line}: imports {imp.target}, but the table does not let "
                                     f"{row.path} import {target_row.path}")
        if target_row is not row:
            row_edges.setdefault(row.path, set()).add(target_row.path)
        if imp.at_import_time:
            module_edges.setdefault(imp.file, set()).add(imp.target)
    report.row_cycles = _cycles(row_edges)
    report.module_cycles = _cycles(module_edges)
    return report
