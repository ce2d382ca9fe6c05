"""Interface language: Russian by default under a Russian locale, English otherwise, switchable.

Translations are Qt Linguist files, one per area of the interface (``resources/translations/<area>_ru.ts``
in the repository: ``studio_ru.ts`` for the window, connections, profiles and monitor; each further page
brings its own), compiled to ``.qm`` by ``./dev``; if only the ``.ts`` is present, e.g. straight from a
checkout, it is compiled on first use into the user's cache. All of a language's files are loaded.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, QSettings, QTranslator
from PySide6.QtWidgets import QApplication

from resources import root as resources_root

LANGUAGES = {"en": "English", "ru": "Русский"}


def chosen_language(explicit: str | None) -> str:
    if explicit:
        return explicit
    saved = QSettings().value("ui/language", "", type=str)
    if saved in LANGUAGES:
        return saved
    return "ru" if QLocale.system().language() == QLocale.Language.Russian else "en"


def _areas(lang: str) -> list[str]:
    folder = resources_root() / "translations"
    names = {p.stem for p in folder.glob(f"*_{lang}.ts")} | {p.stem for p in folder.glob(f"*_{lang}.qm")}
    return sorted(n.removesuffix(f"_{lang}") for n in names)


def _qm_file(area: str, lang: str) -> Path | None:
    folder = resources_root() / "translations"
    qm = folder / f"{area}_{lang}.qm"
    ts = folder / f"{area}_{lang}.ts"
    if qm.exists() and (not ts.exists() or qm.stat().st_mtime >= ts.stat().st_mtime):
        return qm
    if not ts.exists():
        return None
    from platformdirs import user_cache_path

    cached = user_cache_path("b24-jira-studio") / f"{area}_{lang}.qm"
    if cached.exists() and cached.stat().st_mtime >= ts.stat().st_mtime:
        return cached
    lrelease = shutil.which("pyside6-lrelease") or str(Path(__import__("sys").executable).parent / "pyside6-lrelease")
    cached.parent.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run([lrelease, str(ts), "-qm", str(cached)], check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return cached


def install_translator(app: QApplication, explicit: str | None) -> str:
    """Load the studio's and Qt's own translations for the chosen language; returns it."""
    lang = chosen_language(explicit)
    for old in getattr(app, "_b24_translators", []):
        app.removeTranslator(old)
    translators: list[QTranslator] = []
    if lang != "en":
        for area in _areas(lang):
            qm = _qm_file(area, lang)
            if qm is not None:
                t = QTranslator(app)
                if t.load(str(qm)):
                    app.installTranslator(t)
                    translators.append(t)
        qt = QTranslator(app)
        if qt.load(f"qtbase_{lang}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            app.installTranslator(qt)
            translators.append(qt)
    app._b24_translators = translators  # type: ignore[attr-defined]
    return lang
