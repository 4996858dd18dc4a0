"""`python -m benchmarks [--quick]`: runs every benchmark and prints one report."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    print(f"trainspend benchmarks (quick={quick}): none registered yet")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
