"""``python -m bench.render RESULTS_JSON [RESULTS_MD]``: write the results file again from a ``--json`` dump.

For when the report's layout changed after a long run: the measurements are the dump's, unchanged.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.report import markdown, write_results
from bench.scenarios import Measured


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print("usage: python -m bench.render RESULTS_JSON [RESULTS_MD]", file=sys.stderr)
        return 2
    dump = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    results = {name: Measured.from_dict(step) for name, step in dump["steps"].items()}
    out = Path(argv[1]) if len(argv) == 2 else Path(__file__).parent / "RESULTS.md"
    text = markdown(results, dump.get("notes") or {}, bool(dump.get("quick")), dump.get("machine"))
    write_results(out, text)
    print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
