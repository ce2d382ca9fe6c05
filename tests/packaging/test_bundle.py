"""The shipped artefacts work on a machine with no Python of ours: the bundle, the tarball and the .deb.

Every command runs from the bundle with PATH=/usr/bin:/bin, no PYTHONPATH and no VIRTUAL_ENV, so a
module, data file or Qt plugin missing from build.spec fails here rather than on a user's machine.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from bundle_support import NAME, REPO, Background, Packaged, clean_env, run

from models.db import alembic_config, known_revisions, make_engine, migrate
from models.secret_refs import env_ref
from tests.prerequisites import missing as missing_prerequisite

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("packaging"),  # one worker, so the session's build happens once
    pytest.mark.skipif(os.environ.get("B24S_SKIP_PACKAGING") == "1",
                       reason="B24S_SKIP_PACKAGING=1: PyInstaller bundle and .deb not built"),
]

QM_MAGIC = bytes.fromhex("3cb86418caef9c95cd211cbf60a1bddd")
FUTURE_REVISION = "ffffffffffff"


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _revision(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
    finally:
        conn.close()


def _write(db: Path, statement: str, *params: str) -> None:
    """One committed statement, then back to a rollback journal so the database is one self-contained file."""
    conn = sqlite3.connect(db)
    try:
        with conn:
            conn.execute(statement, params)
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()
    assert not Path(f"{db}-wal").exists()


# -- the bundle ---------------------------------------------------------------------------------------


def test_both_commands_print_the_one_version(packaged: Packaged, tmp_path: Path) -> None:
    env = clean_env(tmp_path / "home")
    for name in ("b24sync", "b24studio"):
        done = run([str(packaged.command(name)), "--version"], env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"{name} {packaged.version}"


def test_bundle_carries_migrations_resources_and_only_the_qt_it_needs(packaged: Packaged) -> None:
    internal = packaged.bundle / "_internal"
    repo_versions = {p.name for p in (REPO / "models" / "migrations" / "versions").glob("[0-9]*.py")}
    bundled_versions = {p.name for p in (internal / "models" / "migrations" / "versions").glob("*.py")}
    assert repo_versions and bundled_versions == repo_versions
    assert (internal / "models" / "migrations" / "env.py").is_file()
    assert (internal / "models" / "migrations" / "script.py.mako").is_file()
    assert (internal / "resources" / "profiles" / "profile.schema.json").is_file()
    assert sorted(p.name for p in (internal / "resources" / "profiles" / "demo").glob("*.yaml")) == sorted(
        p.name for p in (REPO / "resources" / "profiles" / "demo").glob("*.yaml"))
    qm = internal / "resources" / "translations" / "studio_ru.qm"
    assert qm.read_bytes()[:16] == QM_MAGIC, "studio_ru.qm is not a compiled Qt translation"
    # Only the .qm ships: with a newer .ts beside it the studio would try to run pyside6-lrelease.
    assert not list((internal / "resources" / "translations").glob("*.ts"))
    plugins = internal / "PySide6" / "Qt" / "plugins" / "platforms"
    assert (plugins / "libqxcb.so").is_file() and (plugins / "libqoffscreen.so").is_file()
    unwanted = [p.name for p in internal.rglob("*") if p.name.startswith(("libQt6Quick", "libQt6Qml",
                                                                          "libQt6WebEngine", "QtQml."))]
    assert unwanted == []
    size_mb = sum(p.stat().st_size for p in packaged.bundle.rglob("*") if p.is_file() and not p.is_symlink())
    assert size_mb / 2**20 < 300, f"the bundle grew to {size_mb / 2**20:.0f} MB"


def test_every_shared_object_finds_its_libraries(packaged: Packaged) -> None:
    """What the bundle does not carry must come from the .deb's Depends (GL, EGL, xcb, glibc).

    The Wayland client libraries are the exception: they are only Recommends, since they exist wherever
    a Wayland session does, and without them Qt falls back to xcb.
    """
    if shutil.which("ldd") is None:
        missing_prerequisite("no ldd on this machine (Debian package libc-bin)")
    internal = packaged.bundle / "_internal"
    env = {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": str(internal)}
    missing: set[str] = set()
    for path in internal.rglob("*.so*"):
        if path.is_symlink() or not path.is_file():
            continue
        done = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env, timeout=60)
        for line in done.stdout.splitlines():
            if "not found" in line and not line.strip().startswith(("libwayland-cursor.", "libwayland-egl.")):
                missing.add(f"{path.relative_to(internal)}: {line.strip()}")
    assert sorted(missing) == []


def test_first_run_creates_the_data_dir_and_migrates(packaged: Packaged, tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "data"
    env = clean_env(tmp_path / "home", B24S_DATA_DIR=str(data))
    done = run([str(packaged.command("b24sync")), "connections", "list"], env)
    assert done.returncode == 0, done.stderr
    assert "no connections yet" in done.stdout
    db = data / "studio.sqlite"
    assert db.is_file()
    assert _revision(db) == [known_revisions()[1]]


def test_sandbox_demo_setup_and_run_from_the_bundle(packaged: Packaged, tmp_path: Path,
                                                    background: list[Background]) -> None:
    b24sync = str(packaged.command("b24sync"))
    env = clean_env(tmp_path / "home", B24S_DATA_DIR=str(tmp_path / "data"),
                    B24S_DATABASE_URL=_sqlite_url(tmp_path / "db" / "studio.sqlite"))
    (tmp_path / "db").mkdir()
    sandbox = Background([b24sync, "sandbox", "--no-limits"], env)
    background.append(sandbox)
    info = sandbox.json_line()
    assert info["jira_url"].startswith("http://127.0.0.1:")

    setup = run([b24sync, "demo-setup", json.dumps(info)], env)
    assert setup.returncode == 0, setup.stderr
    assert "purchase-requests" in setup.stdout

    done = run([b24sync, "run", "purchase-requests", "--json"], env, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["profile"] == "purchase-requests"
    assert result["errors"] == 0
    assert result["created"]["jira"] > 0 and result["created"]["bitrix24"] > 0
    assert sandbox.stop() == 0, "the sandbox did not stop cleanly on SIGTERM"


def test_serve_starts_from_the_bundle(packaged: Packaged, tmp_path: Path, background: list[Background]) -> None:
    env = clean_env(tmp_path / "home", B24S_DATA_DIR=str(tmp_path / "data"))
    service = Background([str(packaged.command("b24sync")), "serve", "--port", "0", "--no-register"], env)
    background.append(service)
    ready = service.json_line()
    assert ready["event"] == "ready"
    health = httpx.get(f"{ready['url']}/healthz", timeout=10).json()
    assert health["status"] == "ok" and health["version"] == packaged.version
    assert (tmp_path / "data" / "studio.sqlite").is_file()


def test_studio_self_test_offscreen(packaged: Packaged, tmp_path: Path) -> None:
    env = clean_env(tmp_path / "home", QT_QPA_PLATFORM="offscreen", B24S_DATA_DIR=str(tmp_path / "data"))
    done = run([str(packaged.command("b24studio")), "--demo", "--self-test", "--lang", "ru"], env, timeout=240)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "self-test: all pages opened, dry run and run worked" in done.stdout + done.stderr


# -- upgrades -----------------------------------------------------------------------------------------


def test_database_at_the_previous_head_is_kept_and_migrated(packaged: Packaged, tmp_path: Path) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    assert head is not None
    previous = script.get_revision(head).down_revision
    assert isinstance(previous, str), "the upgrade test needs a linear history with at least two revisions"
    db = tmp_path / "old.sqlite"
    engine = make_engine(_sqlite_url(db))
    try:
        migrate(engine, previous)
    finally:
        engine.dispose()
    _write(
        db,
        "INSERT INTO connections (name, system, flavour, base_url, username, secret_ref, settings) "
        "VALUES ('legacy-jira', 'jira', 'server', 'https://jira.example.com', 'svc', ?, '{}')",
        env_ref("legacy-jira"),
    )
    assert _revision(db) == [previous]

    env = clean_env(tmp_path / "home", B24S_DATABASE_URL=_sqlite_url(db), B24S_DATA_DIR=str(tmp_path / "data"))
    done = run([str(packaged.command("b24sync")), "connections", "list"], env)
    assert done.returncode == 0, done.stderr
    assert "legacy-jira" in done.stdout
    assert _revision(db) == [head]


def test_database_from_a_newer_version_is_refused_and_untouched(packaged: Packaged, tmp_path: Path) -> None:
    db = tmp_path / "newer.sqlite"
    engine = make_engine(_sqlite_url(db))
    try:
        migrate(engine)
    finally:
        engine.dispose()
    _write(db, "UPDATE alembic_version SET version_num = ?", FUTURE_REVISION)
    before = db.read_bytes()

    env = clean_env(tmp_path / "home", B24S_DATABASE_URL=_sqlite_url(db), B24S_DATA_DIR=str(tmp_path / "data"))
    done = run([str(packaged.command("b24sync")), "connections", "list"], env)
    assert done.returncode == 2
    assert FUTURE_REVISION in done.stderr and "newer version" in done.stderr and "unchanged" in done.stderr
    assert "Traceback" not in done.stderr
    assert db.read_bytes() == before

    studio = run([str(packaged.command("b24studio")), "--db", _sqlite_url(db), "--self-test"],
                 {**env, "QT_QPA_PLATFORM": "offscreen"}, timeout=120)
    assert studio.returncode == 2, (studio.stdout + studio.stderr)[-2000:]
    assert FUTURE_REVISION in studio.stderr and "newer version" in studio.stderr
    assert "Traceback" not in studio.stderr
    assert db.read_bytes() == before
    assert not Path(f"{db}-wal").exists() and not Path(f"{db}-journal").exists()
    assert _revision(db) == [FUTURE_REVISION]


# -- the tarball and the .deb ------------------------------------------------------------------------


def test_tarball_holds_the_bundle_and_the_desktop_files(packaged: Packaged) -> None:
    top = f"{NAME}-{packaged.version}"
    with tarfile.open(packaged.tarball) as tar:
        members = {m.name: m for m in tar.getmembers()}
    for path in ("b24sync", "b24studio", "_internal/models/migrations/env.py",
                 f"share/applications/{NAME}.desktop", f"share/icons/hicolor/scalable/apps/{NAME}.svg",
                 "share/systemd/b24sync.service"):
        assert f"{top}/{path}" in members, f"{path} missing from {packaged.tarball.name}"
    assert members[f"{top}/b24sync"].mode & 0o111
    assert {m.uid for m in members.values()} == {0}


def _dpkg_deb(*args: str) -> str:
    return subprocess.run(["dpkg-deb", *args], capture_output=True, text=True, check=True, timeout=120).stdout


def test_deb_metadata_and_contents(packaged: Packaged, tmp_path: Path) -> None:
    deb = str(packaged.deb)
    assert packaged.deb.name == f"{NAME}_{packaged.version}_amd64.deb"
    fields = {
        name: _dpkg_deb("--field", deb, name).strip()
        for name in ("Package", "Version", "Architecture", "Depends", "Maintainer", "Installed-Size")
    }
    assert fields["Package"] == NAME and fields["Version"] == packaged.version
    assert fields["Architecture"] == "amd64"
    assert "adduser" in fields["Depends"] and "libc6 (>= 2." in fields["Depends"]
    assert int(fields["Installed-Size"]) > 50_000

    listing = _dpkg_deb("--contents", deb)
    assert f"./usr/bin/b24sync -> /opt/{NAME}/b24sync" in listing
    assert f"./usr/bin/b24studio -> /opt/{NAME}/b24studio" in listing
    for path in (f"./opt/{NAME}/b24sync", f"./opt/{NAME}/_internal/models/migrations/script.py.mako",
                 f"./usr/share/applications/{NAME}.desktop", f"./usr/share/icons/hicolor/scalable/apps/{NAME}.svg",
                 "./lib/systemd/system/b24sync.service", f"./usr/share/doc/{NAME}/copyright"):
        assert path in listing, f"{path} missing from the .deb"
    assert "root/root" in listing and "/home/" not in listing

    control = tmp_path / "control"
    _dpkg_deb("--control", deb, str(control))
    postinst = (control / "postinst").read_text()
    assert "adduser --system" in postinst and "b24sync" in postinst
    assert "systemctl enable" not in postinst and "helper enable" not in postinst, "install, do not enable"
    postrm = (control / "postrm").read_text()
    assert '"purge"' in postrm and "deluser --system" in postrm and "/var/lib/b24sync" in postrm
    for script in ("postinst", "prerm", "postrm"):
        assert (control / script).stat().st_mode & 0o111
        subprocess.run(["sh", "-n", str(control / script)], check=True)

    root = tmp_path / "root"
    _dpkg_deb("--extract", deb, str(root))
    unit = (root / "lib" / "systemd" / "system" / "b24sync.service").read_text()
    assert f"ExecStart=/opt/{NAME}/b24sync serve" in unit and "User=b24sync" in unit
    desktop = (root / "usr" / "share" / "applications" / f"{NAME}.desktop").read_text()
    assert "Exec=b24studio" in desktop and f"Icon={NAME}" in desktop
    if shutil.which("desktop-file-validate"):
        subprocess.run(["desktop-file-validate", str(root / "usr/share/applications" / f"{NAME}.desktop")],
                       check=True)
    report = Path(f"{deb}.lintian")
    if report.exists():
        errors = [line for line in report.read_text().splitlines() if line.startswith("E: ")]
        assert errors == [], "lintian errors:\n" + "\n".join(errors[:20])


def test_deb_unpacks_into_a_throwaway_root_and_runs(packaged: Packaged, tmp_path: Path) -> None:
    """dpkg itself accepts the package; the unpacked program runs with nothing from the build machine."""
    root = tmp_path / "root"
    admin = root / "var" / "lib" / "dpkg"
    (admin / "info").mkdir(parents=True)
    (admin / "updates").mkdir()
    (admin / "status").touch()
    # --unpack runs no maintainer script (there is no preinst), so nothing touches this machine's users.
    subprocess.run(["dpkg", f"--root={root}", "--force-not-root", "--force-script-chrootless", "--unpack",
                    str(packaged.deb)], check=True, capture_output=True, timeout=180)
    status = (admin / "status").read_text()
    assert f"Package: {NAME}" in status and "Status: install ok unpacked" in status
    assert os.readlink(root / "usr" / "bin" / "b24sync") == f"/opt/{NAME}/b24sync"
    done = run([str(root / "opt" / NAME / "b24sync"), "--version"], clean_env(tmp_path / "home"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"b24sync {packaged.version}"
