"""Targets, the printed table and bench/RESULTS.md (rewritten on every run with the machine and date)."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.minimum import excess
from bench.scenarios import Measured


@dataclass(frozen=True)
class Target:
    what: str
    value: float
    limit: float
    unit: str

    @property
    def met(self) -> bool:
        return self.value <= self.limit

    def row(self) -> str:
        mark = "met" if self.met else "MISSED"
        return f"| {self.what} | {self.value:,.2f} {self.unit} | ≤ {self.limit:,.2f} {self.unit} | {mark} |"


def machine() -> dict[str, str]:
    model = "unknown"
    ram = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0
    return {"nproc": str(cpus), "ram": ram, "cpu": model, "python": platform.python_version(),
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "revision": revision()}


def revision() -> str:
    """The commit measured, and whether the work tree differed from it (read-only git calls)."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}{' with uncommitted changes' if dirty else ''}"


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"


def targets(results: dict[str, Measured]) -> list[Target]:
    initial, inc = results["initial"], results["incremental-jira"]
    assert initial.minimum is not None
    return [
        Target(f"initial sync of {initial.records:,}: API calls / minimum", initial.total / initial.minimum.total,
               1.2, "×"),
        Target("initial sync: engine peak RSS", initial.peak_rss_mb or 0.0, 300, "MB"),
        Target(f"incremental, {inc.records} edits among {results['link'].records:,} pairs: API calls",
               inc.total, 10, "calls"),
        Target("incremental: engine run time", inc.seconds, 2.0, "s"),
    ]


def _per(m: Measured) -> float:
    return m.total / m.records if m.records else 0.0


def table(results: dict[str, Measured]) -> str:
    head = ("| step | records | JIRA calls | Bitrix24 calls | total | minimum | calls/record | seconds "
            "| s/record | peak RSS MB |")
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for m in results.values():
        mini = f"{m.minimum.total:,}" if m.minimum else "—"
        rss = f"{m.peak_rss_mb:.0f}" if m.peak_rss_mb is not None else "—"
        lines.append(f"| {m.name} | {m.records:,} | {m.calls['jira']:,} | {m.calls['bitrix24']:,} | {m.total:,} "
                     f"| {mini} | {_per(m):.3f} | {m.seconds:.2f} | {m.seconds / max(m.records, 1):.4f} | {rss} |")
    return "\n".join(lines)


def naive_ratio(results: dict[str, Measured]) -> list[str]:
    eng, nav = results["initial"], results["naive"]
    ratio_calls = _per(nav) / _per(eng) if _per(eng) else 0.0
    s_eng, s_nav = eng.seconds / eng.records, nav.seconds / nav.records
    refused = int(nav.engine.get("bitrix24_refused", 0))
    return [
        f"- Naive script on a sample of {nav.records} deals (same twins, same limits, same run): "
        f"{nav.total:,} calls = {_per(nav):.2f} calls/record, {s_nav:.3f} s/record "
        f"(Bitrix24 refused {refused:,} of its calls with QUERY_LIMIT_EXCEEDED and the script retried them; "
        f"they are counted; without them {(nav.total - refused) / nav.records:.2f} calls/record).",
        f"- Extrapolated to {eng.records:,} deals (per-record rates × {eng.records:,}, not measured): "
        f"~{_per(nav) * eng.records:,.0f} calls and ~{_duration(s_nav * eng.records)} "
        f"(the engine, measured: {eng.total:,} calls, {_duration(eng.seconds)}).",
        f"- Engine / naive: {1 / ratio_calls if ratio_calls else 0:.3f} of the calls per record "
        f"(naive makes {ratio_calls:.1f}× as many) and {s_eng / s_nav if s_nav else 0:.3f} of the seconds per "
        f"record (naive takes {s_nav / s_eng if s_eng else 0:.1f}× as long).",
    ]


def _methods(m: Measured) -> list[str]:
    out = [f"<details><summary>{m.name}: calls by method (twin counters)</summary>", ""]
    for twin in ("jira", "bitrix24"):
        items = ", ".join(f"`{k.strip()}` {v:,}" for k, v in sorted(m.by_method[twin].items()))
        out.append(f"- {twin}: {items or 'none'}")
    out += ["", "</details>", ""]
    return out


def _minimum(m: Measured) -> list[str]:
    assert m.minimum is not None
    lines = ["| system | unavoidable calls | calls |", "|---|---|---:|"]
    lines += [f"| {s} | {what} | {n:,} |" for s, what, n in m.minimum.terms]
    lines.append(f"| | **minimum** (JIRA {m.minimum.of('jira'):,} + Bitrix24 {m.minimum.of('bitrix24'):,}) "
                 f"| **{m.minimum.total:,}** |")
    lines.append(f"| | measured (JIRA {m.calls['jira']:,} + Bitrix24 {m.calls['bitrix24']:,}) "
                 f"| {m.total:,} ({m.total / m.minimum.total:.2f}×) |")
    over = excess(m.minimum, m.by_method)
    retries = m.engine.get("retries") or {}
    lines += ["", "Requests above the minimum, by method (measured vs minimum): " + (
        "; ".join(f"{s} `{meth}` {n:,} vs {want:,}" for s, meth, n, want in over) or "none") + "."]
    own = m.engine.get("api_calls") or {}
    if own and sum(own.values()) != m.total:
        lines.append(f"The engine's own count (`RunSummary.api_calls`) says JIRA {own.get('jira', 0):,}, Bitrix24 "
                     f"{own.get('bitrix24', 0):,}: {m.total - sum(own.values()):,} request(s) the twins received "
                     "went uncounted by the engine.")
    if any(retries.values()):
        lines.append(f"Of the measured requests, the engine counted as retries after a refusal or failure: "
                     f"JIRA {retries.get('jira', 0):,}, Bitrix24 {retries.get('bitrix24', 0):,}.")
    return lines


def markdown(results: dict[str, Measured], extra: dict[str, Any], quick: bool,
             mach: dict[str, str] | None = None) -> str:
    """``mach``: the machine and code as found when the measurements were taken (default: now)."""
    mach = mach or machine()
    initial = results["initial"]
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python -m bench{' --quick' if quick else ''}` (`./dev bench`), run started {mach['date']}. "
        "Rewritten on every run.",
        "",
        f"Machine: {mach['nproc']} CPU(s) usable, {mach['ram']} RAM, {mach['cpu']}, Python {mach['python']}; "
        f"code at {mach['revision']}. "
        "Both twins run in one `b24sync sandbox` child process, each engine run in a child process of its "
        "own (peak RSS = `ru_maxrss` of that process, so it is the engine's alone).",
        "",
        "## Targets",
        "",
        "| target | measured | limit | |",
        "|---|---:|---:|---|",
        *[t.row() for t in targets(results)],
        "",
        "## Results",
        "",
        "Calls are counted by the twins (`/_sandbox/counters`): every HTTP request they received, refused "
        "ones (Bitrix24 503, JIRA 429) included; a Bitrix24 `batch` is one request. Seconds are the "
        "engine's `Workspace.run` wall time (the naive script's own wall time for it).",
        "",
        table(results),
        "",
        "## Naive script, same run",
        "",
        *naive_ratio(results),
        "",
        f"## Minimum for the initial sync of {initial.records:,} deals",
        "",
        "Deals exist only in Bitrix24 (stages cycle NEW, NEW, PREPARATION, LOSE: half the deals need a JIRA "
        "status other than the workflow's initial one, each reachable by one direct transition of the "
        "twin's \"Закупка\" workflow), JIRA is empty. Bitrix24 lists 50 rows per command and takes 50 "
        "commands per `batch`, chained with `$result[..][49][ID]`, so a read costs ceil(N/2500); it writes "
        "50 updates per batch. JIRA creates 50 issues per `POST /issue/bulk`, sets a status only by one "
        "transition POST per issue (ids cached after one lookup) and takes the deal id in the create body; "
        "the key goes back to the deal in a batch.",
        "",
        *_minimum(initial),
        "",
        f"## Incremental sync: {results['incremental-jira'].records} edits among "
        f"{results['link'].records:,} linked pairs",
        "",
        *extra.get("incremental_notes", []),
        "",
        *_minimum(results["incremental-jira"]),
        "",
        "For reference, the same number of edits made in Bitrix24 instead (no target: JIRA has no bulk edit, "
        "so one PUT per issue is unavoidable and 10 edits alone exceed 10 calls):",
        "",
        *_minimum(results["incremental-b24"]),
        "",
        "## Calls by method",
        "",
    ]
    for m in results.values():
        lines += _methods(m)
    lines += ["## Set-up (not measured against targets)", "", *extra.get("setup_notes", []), ""]
    return "\n".join(lines)


OWN_SECTIONS = ("## Targets", "## Results", "## Naive script", "## Minimum", "## Incremental sync",
                "## Calls by method", "## Set-up")


def write_results(path: Path, text: str) -> None:
    """Write ``text`` over ``path`` but keep sections other benchmarks added to it (e.g. the studio's "## Studio",
    appended by ``python -m bench.studio_bench --append``)."""
    kept: list[str] = []
    if path.exists():
        section: list[str] | None = None
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("## "):
                section = None if line.startswith(OWN_SECTIONS) else []
                if section is not None:
                    kept.append("")
            if section is not None and (line.startswith("## ") or kept):
                kept.append(line)
    body = text.rstrip("\n") + "\n"
    if kept:
        body += "\n".join(kept).rstrip("\n") + "\n"
    path.write_text(body, encoding="utf-8")


def put_section(path: Path, text: str) -> None:
    """Put a ``## Heading`` section into the results file: in place of an older one with that heading, or at
    the end. Benchmarks that run after ``python -m bench`` (studio, service) add their part this way, so
    running them again replaces their figures instead of piling up copies."""
    heading = text.strip().splitlines()[0]
    if not heading.startswith("## "):
        raise ValueError(f"a section starts with '## ', not {heading[:40]!r}")
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    out: list[str] = []
    skipping = placed = False
    for line in lines:
        if line.startswith(("# ", "## ")):
            skipping = line.strip() == heading.strip()
            if skipping and not placed:
                out += [*text.strip("\n").splitlines(), ""]
                placed = True
        if not skipping:
            out.append(line)
    if not placed:
        out += ["", *text.strip("\n").splitlines()]
    path.write_text("\n".join(out).rstrip("\n") + "\n", encoding="utf-8")
