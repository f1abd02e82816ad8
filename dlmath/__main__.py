"""Command line: ``python -m dlmath check [CHAPTER|FUNCTION ...]``.

Run it in a chapter folder of the student edition (where your ``dlmath/`` is).
Exit status 0 when every checked function passes, 1 otherwise.
"""
from __future__ import annotations

import argparse
import sys

from dlmath.checking import report_lines, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlmath", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="run the public checks for chapters or functions")
    check.add_argument("targets", nargs="*", help="chapter ids or function names (default: everything)")
    check.add_argument("--summary", action="store_true", help="one line per function, no hints")
    args = parser.parse_args(argv)

    try:
        reports = run(*args.targets)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print("\n".join(report_lines(reports, summary=args.summary)))
    passed = sum(r.passed for r in reports)
    return 0 if passed == len(reports) else 1


if __name__ == "__main__":
    sys.exit(main())
