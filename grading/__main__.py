"""Course tooling: ``python -m grading <command>``.

The pipeline, one module per step:
fixtures → release → (students work, submit) → autograde → feedback/export.
``demo`` runs it on a simulated class; ``workspace`` builds the self-learner's copy.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grading", description="dlmath course tooling")
    commands = parser.add_subparsers(dest="command", required=True)

    fixtures = commands.add_parser("fixtures", help="generate reference results from TensorFlow")
    fixtures.add_argument("chapters", nargs="*")
    fixtures.add_argument("--check", action="store_true", help="compare with the stored files instead of writing")

    for name, helptext in [("release", "build course/release/<chapter> for students"),
                           ("autograde", "grade every submission of a chapter; feedback and grades.csv")]:
        command = commands.add_parser(name, help=helptext)
        command.add_argument("chapters", nargs="+")
    demo = commands.add_parser("demo", help="for each graded chapter: release, simulate a class, autograde it, "
                                            "print the table and compare it with the expected one")
    demo.add_argument("chapters", nargs="*", help="default: every graded chapter")

    for name, helptext in [("workspace", "build or top up workspace/ (the self-learner's copy); never overwrites"),
                           ("progress", "public checks of every chapter in workspace/, one line each")]:
        command = commands.add_parser(name, help=helptext)
        command.add_argument("--into", type=Path, default=None, help="workspace folder (default: workspace/)")

    args = parser.parse_args(argv)
    if args.command == "release":
        from grading.release import release

        for chapter in args.chapters:
            print(f"released {chapter}: {release(chapter)}")
    elif args.command == "autograde":
        from grading.autograde import autograde

        for chapter in args.chapters:
            print(autograde(chapter).table())
    elif args.command == "demo":
        from grading.demo import run_all

        return run_all(args.chapters)
    elif args.command == "workspace":
        from grading.workspace import WORKSPACE, build

        build(args.into or WORKSPACE)
    elif args.command == "progress":
        from grading.workspace import WORKSPACE, progress

        print("\n".join(progress(args.into or WORKSPACE)))
    elif args.command == "fixtures":
        from grading.fixtures import generate

        problems = generate(args.chapters, check=args.check)
        for problem in problems:
            print(f"drift: {problem}")
        if args.check:
            print("fixtures match TensorFlow" if not problems else f"{len(problems)} fixture(s) drifted")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
