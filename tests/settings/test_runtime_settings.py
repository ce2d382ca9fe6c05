"""Runtime settings: one schema, read from a file, the environment and the command line, with clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from resources import root as resources_root
from sync_engine.settings import RuntimeSettings, SettingsError, describe, load_settings
from sync_engine.settings.load import settings_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_sources_in_order_defaults_file_environment_command_line(tmp_path: Path) -> None:
    path = tmp_path / "service.yaml"
    path.write_text("port: 9000\nworkers: 3\nengine:\n  metadata_max_age_s: 60\nbitrix24:\n  burst: 250\n",
                    encoding="utf-8")
    s = load_settings(str(path), env={"B24S__SERVICE__WORKERS": "5", "B24S__BITRIX24__RATE_PER_S": "10"},
                      overrides={"service": {"port": 9100, "public_url": None}})
    assert (s.service.port, s.service.workers) == (9100, 5)  # command line, then environment, over the file
    assert (s.engine.metadata_max_age_s, s.bitrix24.burst, s.bitrix24.rate_per_s) == (60, 250, 10)
    assert s.jobs == RuntimeSettings().jobs  # untouched sections keep their defaults


@pytest.mark.parametrize(("text", "message"), [
    ("prot: 1\n", "unknown setting"),
    ("engine:\n  metadata_max_age: 1\n", "engine.metadata_max_age: unknown setting"),
    ("service:\n  public_url: sync.example.com\n", "public_url"),
    ("service:\n  port: 70000\n", "service.port"),
    ("engine: 5\n", "section 'engine' must be a mapping"),
    ("- a\n- b\n", "must hold a mapping"),
    ("port: [\n", "not valid YAML"),
    ("jobs:\n  retry_base_s: 60\n  retry_cap_s: 10\n", "jobs.retry_cap_s must not be below"),
])
def test_a_wrong_setting_is_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match=message) as caught:
        load_settings(str(path))
    assert str(path) in str(caught.value)


def test_a_wrong_environment_variable_is_named() -> None:
    with pytest.raises(SettingsError, match="B24S__NOPE__PORT"):
        load_settings(env={"B24S__NOPE__PORT": "1"})
    with pytest.raises(SettingsError, match=r"service\.port"):
        load_settings(env={"B24S__SERVICE__PORT": "many"})


def test_the_shipped_example_file_and_the_old_flat_one_both_load(tmp_path: Path) -> None:
    example = load_settings(str(resources_root() / "deploy" / "service.yaml.example"))
    assert example.service.public_url == "https://sync.example.com" and example.service.register_webhooks
    old = tmp_path / "old.yaml"
    old.write_text("port: 9000\nregister: false\n", encoding="utf-8")  # the format before sections
    s = load_settings(str(old))
    assert s.service.port == 9000 and s.service.register_webhooks is False


def test_every_setting_says_what_it_is_for() -> None:
    rows = describe()
    assert len(rows) >= 25 and all(r["description"] for r in rows)
    assert {"engine.metadata_max_age_s", "bitrix24.rate_per_s", "service.run_requests", "jobs.retry_base_s",
            "studio.monitor_refresh_s"} <= {r["name"] for r in rows}


def test_the_settings_page_in_docs_is_current() -> None:
    committed = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert committed == settings_markdown(), "regenerate: sync_engine.settings.load.write_settings_doc()"


def test_the_cli_lists_settings_with_values_in_force() -> None:
    out = subprocess.run([sys.executable, "-m", "sync_engine.cli", "settings"], capture_output=True, text=True,
                         cwd=ROOT, env={"B24S__SERVICE__WORKERS": "7", "PATH": "/usr/bin"}, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "service.workers = 7  (set)" in out.stdout and "engine.cursor_overlap_s = 120.0\n" in out.stdout
