#!/usr/bin/env python3
"""Runs the bench example several times and prints, per figure, the median
of the runs and the lowest and highest ratio and floor share.

Single runs on a shared machine move by +-5% (bulk by more); the medians
of several runs are what docs/performance.md reports.

    cargo build --release --example bench
    python3 benches/median_of_runs.py 9 --rounds 21      # runs, then bench arguments
"""

import collections
import re
import statistics
import subprocess
import sys

LINE = re.compile(r"(\S+) tlstate=(\S+) rustls=(\S+) ratio=(\S+) floor_share=(\S+)")
BENCH = "target/release/examples/bench"


def main() -> None:
    if len(sys.argv) < 2 or not sys.argv[1].isdigit():
        sys.exit(__doc__)
    runs, args = int(sys.argv[1]), sys.argv[2:]
    figures: dict = collections.defaultdict(lambda: collections.defaultdict(list))
    order: list = []
    for _ in range(runs):
        out = subprocess.run([BENCH, *args], check=True, capture_output=True, text=True).stdout
        for match in map(LINE.match, out.splitlines()):
            if not match:
                continue
            name = match.group(1)
            if name not in order:
                order.append(name)
            for key, value in zip(("tlstate", "rustls", "ratio", "floor"), match.groups()[1:]):
                try:
                    figures[name][key].append(float(value))
                except ValueError:  # "n/a"
                    pass

    def median(values: list) -> str:
        return f"{statistics.median(values):.3f}" if values else "n/a"

    def spread(values: list) -> str:
        return f" ({min(values):.3f}-{max(values):.3f})" if values else ""

    for name in order:
        f = figures[name]
        print(
            f"{name} tlstate={median(f['tlstate'])} rustls={median(f['rustls'])} "
            f"ratio={median(f['ratio'])}{spread(f['ratio'])} "
            f"floor_share={median(f['floor'])}{spread(f['floor'])}"
        )


if __name__ == "__main__":
    main()
