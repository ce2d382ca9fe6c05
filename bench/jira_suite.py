"""``python -m bench.jira_suite --suite DIR``: the ``jira`` library's own test suite against the JIRA twin.

The suite is pycontribs/jira's ``tests/`` at the tag of the installed ``jira`` version, in a checkout
*beside* the project (``--suite`` or ``$JIRA_SUITE_DIR``; ``--fetch`` clones it there, which needs the
network). None of its code is copied here: this runner only does what the suite's own CI does around
it, with the twin standing in for the JIRA it would start:

* **Server/DC**: the twin (Server flavour, empty seed) at ``http://localhost:2990/jira`` when that port is
  free (the suite's default URL, which one test uses without configuration), the suite's own
  ``make_local_jira_user.py`` creates the normal user as in its ``tox.ini``, then pytest runs with its
  ``CI_JIRA_*`` variables and ``CI_JIRA_ISSUE=Task``.
* **Cloud**: ``CI_JIRA_TYPE=CLOUD`` makes the suite use ``https://pycontribs.atlassian.net``; a local
  proxy answers that name with TLS under a CA made for the run and pipes it to the twin (Cloud flavour).
  The normal user is created over REST and given an API token as a site administrator would, and pytest
  runs with ``-m allow_on_cloud``, as the suite's Cloud CI does.

Every other host is refused by that proxy, so tests that need the internet fail fast. Each failure is
matched against :data:`EXPECTED` (the tests that need a live Atlassian host, agile boards, service desk,
plugins, or a JIRA before 9.0); anything else failing makes the exit status 1.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.report import put_section
from bench.suite_serving import ContextPath, HostProxy, env_for_proxy, port_free
from sync_engine.sandbox.common.threaded import ThreadedTwinServer
from sync_engine.sandbox.common.twin import TwinSettings
from sync_engine.sandbox.jira.app import create_twin

REPO = "https://github.com/pycontribs/jira"
MODULES = (
    "tests/resources/test_issue.py", "tests/resources/test_comment.py", "tests/resources/test_project.py",
    "tests/resources/test_user.py", "tests/resources/test_issue_link.py", "tests/resources/test_remote_link.py",
    "tests/resources/test_worklog.py", "tests/resources/test_version.py", "tests/resources/test_component.py",
    "tests/resources/test_status.py", "tests/resources/test_status_category.py",
    "tests/resources/test_priority.py", "tests/resources/test_resolution.py", "tests/resources/test_field.py",
    "tests/resources/test_issue_type.py", "tests/test_client.py", "tests/tests.py",
)
EXTRA_MODULES = ("tests/resources/test_attachment.py", "tests/resources/test_group.py")
SUITE_DEPS = ("parameterized", "pytest-timeout")
CLOUD_HOST = "pycontribs.atlassian.net"
SERVER_PORT, SERVER_PREFIX = 2990, "/jira"

LIVE_HOST = "needs a live Atlassian host"
EXPECTED: dict[str, str] = {
    # Server 9 removed GET /issue/createmeta; the jira library itself refuses to call it on 9.x.
    **{f"tests/resources/test_issue.py::IssueTests::{name}": "needs JIRA Server < 9.0: the library refuses "
       "createmeta() on 9.x (the twin is Server/DC 9.12, where Atlassian removed the endpoint)"
       for name in ("test_createmeta", "test_createmeta_expand", "test_createmeta_filter_by_id",
                    "test_createmeta_filter_by_projectkey_and_name",
                    "test_createmeta_filter_by_projectkeys_and_name")},
    "tests/test_client.py::test_cookie_auth_retry": "needs the internet: logs in to https://httpstat.us, a public "
                                                    "HTTP status service, to provoke a 401",
    "tests/tests.py::OtherTests::test_session_invalid_login": f"{LIVE_HOST}: logs in to https://jira.atlassian.com",
    "tests/tests.py::SessionTests::test_session_with_no_logged_in_user_raises":
        f"{LIVE_HOST}: anonymous session on https://jira.atlassian.com",
}


@dataclass
class Outcome:
    flavour: str
    counts: Counter[str] = field(default_factory=Counter)
    failed: dict[str, str] = field(default_factory=dict)  # test id -> first line of the failure
    skipped: dict[str, str] = field(default_factory=dict)
    extra: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    refused: list[str] = field(default_factory=list)

    @property
    def unexpected(self) -> dict[str, str]:
        return {t: m for t, m in self.failed.items() if t not in EXPECTED and not t.startswith(EXTRA_MODULES)}


# -- the checkout ---------------------------------------------------------------------------------------
def checkout(path: Path, fetch: bool) -> Path:
    version = importlib.metadata.version("jira")
    if not (path / "tests" / "conftest.py").exists():
        if not fetch:
            raise SystemExit(f"no jira checkout at {path}: pass --fetch to clone {REPO} there (needs the network)")
        subprocess.run(["git", "clone", "--quiet", REPO, str(path)], check=True)
    if (path / ".git").exists():
        subprocess.run(["git", "-C", str(path), "checkout", "--quiet", version], check=True)
        head = subprocess.run(["git", "-C", str(path), "describe", "--tags"], capture_output=True, text=True)
        if head.stdout.strip() != version:
            print(f"warning: checkout is at {head.stdout.strip()!r}, the installed jira is {version}", file=sys.stderr)
    return path


def suite_deps(path: Path) -> Path:
    """The suite's own test-only imports, installed beside the checkout (never into the project)."""
    target = path / ".twin-deps"
    marker = target / ".installed"
    if not marker.exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", str(target), *SUITE_DEPS],
                       check=True)
        marker.write_text(" ".join(SUITE_DEPS))
    return target


# -- one flavour ------------------------------------------------------------------------------------------
def _pytest(path: Path, deps: Path, env: dict[str, str], modules: tuple[str, ...], marks: list[str],
            junit: Path, log: Path) -> None:
    run_env = {k: v for k, v in os.environ.items() if not k.startswith(("CI_JIRA", "PYTEST_"))}
    run_env.update(env)
    run_env["PYTHONPATH"] = os.pathsep.join([str(path), str(deps)])
    # as in the suite's tox environment, the interpreter's scripts (jirashell) are on PATH
    run_env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), run_env.get("PATH", "")])
    cmd = [sys.executable, "-m", "pytest", *modules, *marks, "-p", "no:cacheprovider", "-p", "no:xdist",
           "-p", "no:pytestqt", "-o", "addopts=", "-o", "timeout=120", "-rfE", "--tb=short",
           f"--junitxml={junit}"]
    with log.open("w") as out:
        subprocess.run(cmd, cwd=path, env=run_env, stdout=out, stderr=subprocess.STDOUT, check=False)


def _read_junit(junit: Path, outcome: Outcome) -> None:
    for case in ET.parse(junit).getroot().iter("testcase"):
        file = case.get("file") or case.get("classname", "").replace(".", "/") + ".py"
        classname = case.get("classname", "")
        parts = classname.split(".")
        cls = parts[-1] if parts and parts[-1][:1].isupper() else ""
        module = "/".join(parts[:-1] if cls else parts) + ".py"
        test_id = f"{module}::{cls + '::' if cls else ''}{case.get('name')}"
        del file
        bucket = outcome.extra if test_id.startswith(EXTRA_MODULES) else outcome.counts
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        skipped = case.find("skipped")
        if failure is not None:
            bucket["failed"] += 1
            outcome.failed[test_id] = (failure.get("message") or "").splitlines()[0][:200] if \
                failure.get("message") else (failure.text or "").strip().splitlines()[-1][:200]
        elif skipped is not None:
            bucket["skipped"] += 1
            outcome.skipped[test_id] = (skipped.get("message") or "")[:200]
        else:
            bucket["passed"] += 1


def run_server(path: Path, deps: Path, work: Path, modules: tuple[str, ...]) -> Outcome:
    admin_password = secrets.token_urlsafe(18)
    twin = create_twin(TwinSettings(admin_token=secrets.token_urlsafe(24), seed="empty", limits=False,
                                    flavour="server", credentials={"user": "admin", "token": admin_password}))
    port = SERVER_PORT if port_free("127.0.0.1", SERVER_PORT) else 0
    served = ThreadedTwinServer(twin, port=port, app=ContextPath(twin.app, SERVER_PREFIX))
    served.public_url = f"http://localhost:{served.port}{SERVER_PREFIX}" if port else None
    url = served.start()
    if not port:  # the suite's default URL is taken: any port, same context path
        url = f"http://localhost:{served.port}{SERVER_PREFIX}"
        twin.set_base_url(url)
    proxy = HostProxy({})
    proxy.start()
    outcome = Outcome("server")
    try:
        env = env_for_proxy(proxy, {
            "CI_JIRA_TYPE": "SERVER", "CI_JIRA_URL": url, "CI_JIRA_ADMIN": "admin",
            "CI_JIRA_ADMIN_PASSWORD": admin_password, "CI_JIRA_USER": "jira_user",
            "CI_JIRA_USER_PASSWORD": secrets.token_urlsafe(12), "CI_JIRA_USER_FULL_NAME": "Newly Created CI User",
            "CI_JIRA_ISSUE": "Task"})
        provision = subprocess.run([sys.executable, "make_local_jira_user.py"], cwd=path, capture_output=True,
                                   text=True, env={**os.environ, **env, "PYTHONPATH": str(path)}, check=False)
        if provision.returncode != 0:
            raise SystemExit(f"the suite's make_local_jira_user.py failed:\n{provision.stdout}{provision.stderr}")
        started = time.monotonic()
        _pytest(path, deps, env, modules, [], work / "server.xml", work / "server.log")
        outcome.seconds = time.monotonic() - started
        _read_junit(work / "server.xml", outcome)
        outcome.refused = proxy.refused
    finally:
        proxy.stop()
        served.stop()
    if port == 0:
        outcome.skipped["(runner)"] = f"port {SERVER_PORT} was busy: the twin ran at {url}"
    return outcome


def run_cloud(path: Path, deps: Path, work: Path, modules: tuple[str, ...], marked_only: bool = True) -> Outcome:
    admin_email, admin_token = "ci-admin@vektorsoft.ru", secrets.token_urlsafe(24)
    twin = create_twin(TwinSettings(admin_token=secrets.token_urlsafe(24), seed="empty", limits=False,
                                    flavour="cloud", credentials={"user": admin_email, "token": admin_token}))
    served = ThreadedTwinServer(twin, public_url=f"https://{CLOUD_HOST}")
    served.start()
    proxy = HostProxy({CLOUD_HOST: served.port})
    proxy.start()
    outcome = Outcome("cloud")
    try:
        local = f"http://127.0.0.1:{served.port}"
        user_email = "ci-user@vektorsoft.ru"
        with httpx.Client(base_url=local, auth=(admin_email, admin_token), timeout=30) as http:
            made = http.post("/rest/api/3/user", json={"emailAddress": user_email, "displayName": "CI user",
                                                       "products": ["jira-software"]})
            made.raise_for_status()
        login = user_email.split("@", 1)[0]
        token = httpx.post(f"{local}/_sandbox/api-tokens", json={"user": login, "name": "ci"},
                           headers={"Authorization": f"Bearer {twin.settings.admin_token}"}, timeout=30)
        token.raise_for_status()
        env = env_for_proxy(proxy, {
            "CI_JIRA_TYPE": "CLOUD", "CI_JIRA_CLOUD_ADMIN": admin_email, "CI_JIRA_CLOUD_ADMIN_TOKEN": admin_token,
            "CI_JIRA_CLOUD_USER": user_email, "CI_JIRA_CLOUD_USER_TOKEN": token.json()["token"],
            "REQUESTS_CA_BUNDLE": str(proxy.ca_file), "SSL_CERT_FILE": str(proxy.ca_file)})
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1"
        started = time.monotonic()
        marks = ["-m", "allow_on_cloud"] if marked_only else []
        _pytest(path, deps, env, modules, marks, work / "cloud.xml", work / "cloud.log")
        outcome.seconds = time.monotonic() - started
        _read_junit(work / "cloud.xml", outcome)
        outcome.refused = proxy.refused
    finally:
        proxy.stop()
        served.stop()
    return outcome


# -- report ---------------------------------------------------------------------------------------------
def _count(c: Counter[str]) -> str:
    return f"{c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped"


def section(outcomes: list[Outcome], suite: Path) -> str:
    version = importlib.metadata.version("jira")
    lines = [
        "## The jira library's own test suite against the JIRA twin",
        "",
        f"`./dev jira-suite --suite DIR [--fetch] --append bench/RESULTS.md` runs pycontribs/jira's `tests/` at "
        f"{version} (the installed `jira`),",
        "from a checkout beside the project (`--fetch` clones it; nothing of it is copied here), unmodified: it sets "
        "itself up",
        "with its own `JiraTestManager` (permission scheme, issue security scheme, project create and delete, "
        "issues) and,",
        "on Server, its own `make_local_jira_user.py`. Server/DC: the twin at `http://localhost:2990/jira`, the "
        "suite's default.",
        "Cloud: `CI_JIRA_TYPE=CLOUD` and `-m allow_on_cloud`, as the suite's Cloud CI runs it, with the host it "
        "hard-codes",
        "(`pycontribs.atlassian.net`) answered by the twin through a local TLS proxy; every other host is refused.",
        "Modules: the 17 listed in issue #18 (`tests/resources/test_issue.py` ... `tests/tests.py`). Before this "
        "work the set-up",
        "failed at its first call (`GET /rest/api/2/permissionscheme`, 404) and, set up by hand, 86 of 196 passed.",
        "",
        "| flavour | passed | failed | skipped | of which expected failures | seconds |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for o in outcomes:
        expected = sum(1 for t in o.failed if t in EXPECTED)
        lines.append(f"| {o.flavour} | {o.counts['passed']} | {o.counts['failed']} | {o.counts['skipped']} | "
                     f"{expected} | {o.seconds:.0f} |")
    lines.append("")
    extra = [o for o in outcomes if sum(o.extra.values())]
    if extra:
        lines.append("Also run (beyond the listed modules): " + "; ".join(
            f"{o.flavour}: {', '.join(m.rsplit('/', 1)[1] for m in EXTRA_MODULES)} {_count(o.extra)}" for o in extra)
            + ".")
        lines.append("")
    lines += ["Expected failures (why they cannot pass against any local JIRA of this kind):", ""]
    for o in outcomes:
        for test_id in sorted(t for t in o.failed if t in EXPECTED):
            lines.append(f"- {o.flavour}: `{test_id.split('::', 1)[1]}`: {EXPECTED[test_id]}")
    for o in outcomes:
        for test_id, message in sorted(o.unexpected.items()):
            lines.append(f"- {o.flavour}: **unexpected** `{test_id}`: {message}")
    for o in outcomes:
        for test_id, message in sorted(o.skipped.items()):
            lines.append(f"- {o.flavour}: skipped `{test_id}`: {message}")
    lines.append("")
    del suite
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.jira_suite", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", type=Path, default=os.environ.get("JIRA_SUITE_DIR"),
                   help="checkout of pycontribs/jira (default $JIRA_SUITE_DIR)")
    p.add_argument("--fetch", action="store_true", help="clone the suite into --suite if it is not there")
    p.add_argument("--flavour", choices=("server", "cloud", "both"), default="both")
    p.add_argument("--module", action="append", help="run only these modules (paths inside the checkout)")
    p.add_argument("--cloud-unmarked", action="store_true",
                   help="on Cloud also run the tests the suite does not mark allow_on_cloud (informative only)")
    p.add_argument("--append", type=Path, help="put the results section into this file (e.g. bench/RESULTS.md)")
    p.add_argument("--workdir", type=Path, help="where junit files and logs go (default: a temp dir)")
    args = p.parse_args(argv)
    if args.suite is None:
        p.error("give the suite checkout with --suite or $JIRA_SUITE_DIR")
    path = checkout(args.suite.resolve(), args.fetch)
    deps = suite_deps(path)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="jira-suite-"))
    work.mkdir(parents=True, exist_ok=True)
    modules = tuple(args.module) if args.module else MODULES + EXTRA_MODULES
    outcomes = []
    for flavour in (("server", "cloud") if args.flavour == "both" else (args.flavour,)):
        if flavour == "server":
            outcome = run_server(path, deps, work, modules)
        else:
            outcome = run_cloud(path, deps, work, modules, marked_only=not args.cloud_unmarked)
        outcomes.append(outcome)
        print(f"{flavour}: {_count(outcome.counts)} in {outcome.seconds:.0f} s (log {work / (flavour + '.log')})")
        if sum(outcome.extra.values()):
            print(f"  extra modules: {_count(outcome.extra)}")
        for test_id, message in sorted(outcome.failed.items()):
            why = EXPECTED.get(test_id, "UNEXPECTED")
            print(f"  FAILED {test_id}: {why if why != 'UNEXPECTED' else 'UNEXPECTED: ' + message}")
        if outcome.refused:
            print(f"  the proxy refused: {', '.join(sorted(set(outcome.refused)))}")
    text = section(outcomes, path)
    if args.append:
        put_section(args.append, text)
    (work / "summary.json").write_text(json.dumps([{"flavour": o.flavour, **o.counts, "failed_tests": o.failed}
                                                   for o in outcomes], indent=2))
    return 1 if any(o.unexpected for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
