"""Every page in both languages at two window sizes, on a real X server (Xvfb), as a person sees it.

The PNGs go to artifacts/screenshots/ (git-ignored) for people to look at; the test checks that each
run passed its self-test and that every page image was written and is not blank.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from tests.prerequisites import missing

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("connections", "profiles-mapping", "profiles-scope", "profiles-triggers", "profiles-run",
         "monitor-items", "monitor-conflicts", "monitor-events", "monitor-activity")


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("size", ["1366x768", "1920x1080"])
def test_every_page_renders_under_xvfb(lang: str, size: str, tmp_path: Path) -> None:
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        missing("xvfb-run is not installed (./dev setup installs the xvfb package as root)")
    out = ROOT / "artifacts" / "screenshots" / f"studio-{lang}-{size}"
    shutil.rmtree(out, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update({"QT_QPA_PLATFORM": "xcb", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
                "XDG_CACHE_HOME": str(tmp_path / "cache")})
    width, height = size.split("x")
    result = subprocess.run(
        [xvfb, "-a", "-s", f"-screen 0 {width}x{int(height) + 100}x24", sys.executable, "-m", "studio.app",
         "--demo", "--self-test", "--lang", lang, "--size", size, "--screenshots", str(out)],
        capture_output=True, text=True, timeout=240, env=env, cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for page in PAGES:
        image = QImage(str(out / f"{page}.png"))
        assert not image.isNull(), f"{page}.png missing"
        assert (image.width(), image.height()) == (int(width), int(height)), page
        colours = {image.pixel(x, y) for x in range(0, image.width(), 97) for y in range(0, image.height(), 89)}
        assert len(colours) > 4, f"{page} looks blank"
