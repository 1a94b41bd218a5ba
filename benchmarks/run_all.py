"""`make bench`: run every benchmarks/bench_*.py, then collect their tables into benchmarks/README.md.

Each script prints its measurements and writes a Markdown table to benchmarks/results/<name>.md.
Run one alone with `.venv/bin/python benchmarks/bench_<name>.py`.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"  # the benchmark tables live in benchmarks/README.md (linked from the README)
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def main(argv: list[str]) -> int:
    only = set(argv)
    scripts = sorted(p for p in HERE.glob("bench_*.py") if not only or p.stem in only)
    failed = []
    for script in scripts:
        t0 = time.perf_counter()
        print(f"== {script.name}", flush=True)
        rc = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        print(f"== {script.name}: exit {rc}, {time.perf_counter() - t0:.0f} s", flush=True)
        if rc:
            failed.append(script.name)
    tables = [p.read_text(encoding="utf-8").strip() for p in sorted((HERE / "results").glob("*.md"))]
    text = README.read_text(encoding="utf-8")
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        README.write_text(head + START + "\n" + "\n\n".join(tables) + "\n" + END + tail, encoding="utf-8")
        print(f"README.md benchmark section updated from {len(tables)} result file(s)")
    if failed:
        print("benchmarks failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
