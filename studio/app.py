"""``b24studio``: the desktop studio (PySide6 on qasync, so the engine's asyncio runs in the Qt loop)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from sync_engine.version import __version__


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="b24studio", description="Bitrix24–JIRA Studio")
    p.add_argument("--version", action="version", version=f"b24studio {__version__}")
    p.add_argument("--demo", action="store_true", help="start the sandbox twins with demo data and a temporary DB")
    p.add_argument("--db", metavar="URL", help="database URL (default: B24S_DATABASE_URL or the user data dir)")
    p.add_argument("--service", metavar="URL", help="drive a remote 'b24sync serve' instead of the local engine")
    p.add_argument("--token", help="API token for --service (default: env B24S_API_TOKEN)")
    p.add_argument("--lang", choices=("en", "ru"), help="interface language (default: settings, else system locale)")
    p.add_argument("--self-test", action="store_true", help="open every page, dry-run and run, exit 0 if all worked")
    p.add_argument("--screenshots", type=Path, metavar="DIR", help="with --self-test: save a PNG of every page")
    p.add_argument("--size", default="1366x768", help="window size for screenshots, e.g. 1920x1080")
    p.add_argument("--exit-when-ready", action="store_true",
                   help="print the seconds from start to an interactive window, then exit (benchmarks)")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    started = time.monotonic()
    args = parse_args(argv)
    if args.self_test and "QT_QPA_PLATFORM" not in os.environ and not os.environ.get("DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    from studio.eventloop import close_loop, make_loop
    from studio.i18n import install_translator
    from studio.main_window import MainWindow
    from studio.session import StudioSession, open_session

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("Bitrix24–JIRA Studio")
    app.setOrganizationName("b24-jira-studio")
    app.setApplicationVersion(__version__)
    install_translator(app, args.lang)
    from PySide6.QtGui import QIcon

    from resources import root as resources_root

    app.setWindowIcon(QIcon(str(resources_root() / "icons" / "b24-jira-studio.svg")))
    loop = make_loop(app)
    mode = "demo" if args.demo else "remote" if args.service else "local"
    window = MainWindow(mode=mode)
    width, _, height = args.size.partition("x")
    window.resize(int(width), int(height))
    window.show()

    async def start() -> StudioSession:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1, thread_name_prefix="b24studio-start") as pool:
            session = await asyncio.get_running_loop().run_in_executor(pool, open_session, args)
        window.attach(session)
        return session

    try:
        session = loop.run_until_complete(start()) if not args.exit_when_ready else None
    except Exception as exc:  # the reason is shown; the studio cannot run without a backend
        from PySide6.QtWidgets import QMessageBox

        if not args.self_test:
            QMessageBox.critical(window, "Bitrix24–JIRA Studio", f"Could not start:\n\n{exc}")
        print(f"b24studio: could not start: {exc}", file=sys.stderr)
        return 2
    if args.exit_when_ready:
        from studio.self_test import ready_seconds

        seconds = loop.run_until_complete(ready_seconds(window, started))
        print(f"interactive after {seconds:.3f} s")
        session = loop.run_until_complete(start())
        print(f"backend ready after {time.monotonic() - started:.3f} s")
        session.close()
        close_loop(loop)
        return 0
    if args.self_test:
        from studio.self_test import self_test

        code = loop.run_until_complete(self_test(window, args.screenshots))
        assert session is not None
        window.stop_following()
        session.close()
        close_loop(loop)
        return code
    loop.run_until_complete(window.closed_future())
    assert session is not None
    session.close()
    close_loop(loop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
