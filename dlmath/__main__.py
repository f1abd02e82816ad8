"""Command line: ``python -m dlmath check [CHAPTER|FUNCTION ...]``.

Run it in a chapter folder of the student edition (where your ``dlmath/`` is).
Exit status 0 when every checked function passes, 1 otherwise.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dlmath.checking import report_lines, run
from dlmath.checking.cases import public_specs


def chapter_here() -> str | None:
    """The chapter whose folder holds this ``dlmath`` (its notebook, or the folder's name), if any."""
    folder = Path(__file__).resolve().parent.parent
    chapters = public_specs()
    for notebook in sorted(folder.glob("*.ipynb")):
        if notebook.stem in chapters:
            return notebook.stem
    return folder.name if folder.name in chapters else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlmath", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="run the public checks for chapters or functions")
    check.add_argument("targets", nargs="*",
                       help="chapter ids or function names (default: this folder's chapter; elsewhere everything)")
    check.add_argument("--summary", action="store_true", help="one line per function, no hints")
    args = parser.parse_args(argv)

    targets = args.targets
    if not targets:
        chapter = chapter_here()
        ungraded = [p.stem for p in Path(__file__).resolve().parent.parent.glob("[0-9][0-9]_*.ipynb")]
        if not chapter and ungraded:
            print(f"{ungraded[0]} has no functions to check.")
            return 0
        if chapter:  # only the chapter's own work counts (earlier chapters' functions are given as reference)
            targets = [chapter]
            print(f"Checking {chapter}, this folder's chapter (name chapters or functions to check others):")
        else:
            print(f"Not in a chapter folder ({Path(__file__).resolve().parent.parent}): checking every chapter this "
                  "dlmath has checks for. Run it in a chapter folder, e.g. workspace/03_activations/, for one "
                  "chapter's work.")
    try:
        reports = run(*targets)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print("\n".join(report_lines(reports, summary=args.summary)))
    passed = sum(r.passed for r in reports)
    return 0 if passed == len(reports) else 1


if __name__ == "__main__":
    sys.exit(main())
