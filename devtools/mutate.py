"""Mutation testing of the core: ``./dev mutate``.

Line coverage says a line ran; mutation testing says a test would notice if the line were wrong. mutmut
changes one thing at a time in a module (``and`` → ``or``, ``<`` → ``<=``, a value → None, ...) and runs the
module's fast unit tests against each change; a change no test notices ("survived") is a defect that would
ship. The score is killed / total per module.

The modules and their tests are the table in ``devtools/mutation.toml``, so a new module is one entry.
Each module gets a work directory of its own under ``mutants/`` with a generated mutmut configuration,
so its mutants are judged by its own tests only (a planner test that happens to call the merge does not
count for the merge) and the modules' caches never invalidate each other.

Every run starts from scratch by default: mutmut keeps a verdict once given (a survivor stays a survivor
when a test is added) and this command guards the score, so it must never report a stale one.
``--cached`` reuses the previous verdicts for quick iteration on one module.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "devtools" / "mutation.toml"
WORK = ROOT / "mutants"

# What mutmut's own badge counts as detected: a failing test, or a test that hangs on the mutant.
DETECTED = frozenset({"killed", "timeout"})


class TableError(ValueError):
    """``devtools/mutation.toml`` is malformed; the message names the entry and what is wrong."""


@dataclass(frozen=True)
class Target:
    name: str  # dotted module name, e.g. "sync_engine.engine.merge"
    tests: tuple[str, ...]  # test files (or node ids), relative to the project root

    @property
    def path(self) -> str:
        return self.name.replace(".", "/") + ".py"

    @property
    def package(self) -> str:
        return self.name.split(".", 1)[0]


@dataclass(frozen=True)
class Table:
    threshold: float
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class Score:
    name: str
    killed: int
    total: int
    survivors: tuple[str, ...]

    @property
    def percent(self) -> float:
        return 100.0 * self.killed / self.total if self.total else 100.0


def load_table(path: Path = TABLE, root: Path = ROOT) -> Table:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TableError(f"{path}: {exc}") from exc
    threshold = data.get("threshold", 85.0)
    if not isinstance(threshold, int | float) or not 0 <= threshold <= 100:
        raise TableError(f"{path}: threshold must be a number of per cent, got {threshold!r}")
    entries = data.get("module")
    if not isinstance(entries, list) or not entries:
        raise TableError(f"{path}: no [[module]] entries")
    targets: list[Target] = []
    for i, entry in enumerate(entries, 1):
        where = f"{path}: module #{i}"
        name, tests = entry.get("name"), entry.get("tests")
        if not isinstance(name, str) or not name:
            raise TableError(f"{where}: 'name' must be a dotted module name")
        where = f"{path}: module {name!r}"
        if not isinstance(tests, list) or not tests or not all(isinstance(t, str) for t in tests):
            raise TableError(f"{where}: 'tests' must be a non-empty list of test files")
        target = Target(name, tuple(tests))
        if not (root / target.path).is_file():
            raise TableError(f"{where}: no such file {target.path}")
        for test in tests:
            if not (root / test.split("::", 1)[0]).exists():
                raise TableError(f"{where}: no such test file {test}")
        if any(t.name == name for t in targets):
            raise TableError(f"{where}: listed twice")
        targets.append(target)
    return Table(float(threshold), tuple(targets))


def mutmut_config(target: Target) -> str:
    """mutmut's configuration for one module (it reads ``setup.cfg`` in its working directory)."""
    lines = [
        "[mutmut]",
        f"source_paths = {target.package}",
        f"only_mutate = {target.path}",
        "pytest_add_cli_args_test_selection =",
        *(f"    {t}" for t in target.tests),
        # No pytest cache and no xdist inside a mutant run; hypothesis replays from its own database.
        "pytest_add_cli_args =",
        "    -p",
        "    no:cacheprovider",
        "    -p",
        "    no:xdist",
        # The work directory is not a repository of its own; every run starts fresh anyway.
        "use_git_change_detection = false",
        "",
    ]
    return "\n".join(lines)


def prepare(target: Target, work: Path, *, fresh: bool, root: Path = ROOT) -> None:
    if fresh and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    for name in (target.package, "tests", "pyproject.toml"):
        link = work / name
        if not link.is_symlink():
            link.symlink_to(root / name)
    (work / "setup.cfg").write_text(mutmut_config(target), "utf-8")


def run_mutmut(work: Path, children: int, log: Path) -> int:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONDONTWRITEBYTECODE="1")
    mutmut = Path(sys.executable).with_name("mutmut")
    with log.open("w") as out:
        return subprocess.call([str(mutmut), "run", "--max-children", str(children)],
                               cwd=work, stdout=out, stderr=subprocess.STDOUT, env=env)


def read_score(target: Target, work: Path) -> Score:
    """The verdicts mutmut stored for ``target`` (its ``.meta`` file), counted the way its badge does."""
    meta = work / "mutants" / (target.path + ".meta")
    codes: dict[str, int | None] = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
    from mutmut.stats import status_by_exit_code

    killed, survivors = 0, []
    for key, code in sorted(codes.items()):
        status = status_by_exit_code[code]
        if status in DETECTED:
            killed += 1
        elif status != "skipped":
            survivors.append(f"{key}: {status}")
    total = sum(1 for code in codes.values() if status_by_exit_code[code] != "skipped")
    return Score(target.name, killed, total, tuple(survivors))


def score_line(name: str, killed: int, total: int) -> str:
    percent = 100.0 * killed / total if total else 100.0
    return f"mutation score {name}: {killed}/{total} = {percent:.1f} %"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./dev mutate", description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="only these modules of devtools/mutation.toml (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested in parallel (default 2)")
    parser.add_argument("--cached", action="store_true", help="reuse the previous run's verdicts (quick, may be stale)")
    parser.add_argument("--survivors", action="store_true", help="list the mutants no test detected")
    args = parser.parse_args(argv)
    try:
        table = load_table()
    except TableError as exc:
        print(f"mutate: {exc}", file=sys.stderr)
        return 2
    targets = table.targets
    if args.modules:
        unknown = sorted(set(args.modules) - {t.name for t in targets})
        if unknown:
            print(f"mutate: not in {TABLE.relative_to(ROOT)}: {', '.join(unknown)}", file=sys.stderr)
            return 2
        targets = tuple(t for t in targets if t.name in args.modules)

    scores: list[Score] = []
    failed = False
    started = time.monotonic()
    for target in targets:
        work = WORK / target.name
        prepare(target, work, fresh=not args.cached)
        log = work / "mutmut.log"
        t0 = time.monotonic()
        code = run_mutmut(work, args.jobs, log)
        if code != 0:
            print(f"mutate: mutmut failed on {target.name} (exit {code}); its output: {log}", file=sys.stderr)
            failed = True
            continue
        score = read_score(target, work)
        scores.append(score)
        print(score_line(score.name, score.killed, score.total) + f"  ({time.monotonic() - t0:.0f} s)", flush=True)
        if args.survivors:
            for line in score.survivors:
                print(f"    {line}")
    killed = sum(s.killed for s in scores)
    total = sum(s.total for s in scores)
    print(score_line("total", killed, total) + f"  ({time.monotonic() - started:.0f} s)")
    below = [s.name for s in scores if s.percent < table.threshold]
    if total and 100.0 * killed / total < table.threshold:
        below.append("total")
    if below:
        print(f"mutate: below {table.threshold:g} %: {', '.join(below)} "
              "(./dev mutate --survivors MODULE lists what no test noticed)", file=sys.stderr)
    return 1 if failed or below else 0


if __name__ == "__main__":
    sys.exit(main())
