"""Course tooling: ``python -m grading <command>``.

The pipeline, one module per step:
fixtures → release → (students work, submit) → autograde → feedback/export.
``demo`` runs it on a simulated class; ``workspace`` builds the self-learner's copy.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

# jsonschema, which nbformat imports, imports rfc3987_syntax when it is installed (jupyter-events asks for
# jsonschema[format-nongpl]), and that builds an Earley parser for every rule of RFC 3987: 1.3 s of every
# command's start, for checking the "iri" string format, which no schema these commands validate uses.
sys.modules.setdefault("rfc3987_syntax", None)  # None: `import rfc3987_syntax` fails, jsonschema skips it


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grading", description="dlmath course tooling")
    commands = parser.add_subparsers(dest="command", required=True)

    fixtures = commands.add_parser("fixtures", help="generate reference results from TensorFlow")
    fixtures.add_argument("chapters", nargs="*")
    fixtures.add_argument("--check", action="store_true", help="compare with the stored files instead of writing")

    command = commands.add_parser("release", help="build course/release/<chapter> for students")
    command.add_argument("chapters", nargs="+")
    command = commands.add_parser("autograde", help="grade every submission of a chapter in the sandbox; "
                                                    "feedback and grades.csv")
    command.add_argument("chapters", nargs="+")
    command.add_argument("--jobs", type=int, default=None, help="submissions judged at once (default: every core)")
    command.add_argument("--student", action="append", default=None, help="grade only this student (repeatable)")
    command.add_argument("--no-sandbox", action="store_true",
                         help="grade even where no sandbox can be made (student code then runs unconfined; "
                              "printed and recorded with the grades)")
    commands.add_parser("sandbox-check", help="say whether the grading sandbox works on this machine")
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
        from grading.sandbox import SandboxUnavailable

        for chapter in args.chapters:
            try:
                result = autograde(chapter, jobs=args.jobs, sandboxed=not args.no_sandbox, students=args.student,
                                   show_progress=sys.stderr.isatty())
            except SandboxUnavailable as error:
                print(error, file=sys.stderr)
                return 2
            print(result.table())
    elif args.command == "sandbox-check":
        from grading.sandbox import probe

        reason = probe()
        print("the grading sandbox works here" if reason is None else f"no sandbox: {reason}")
        return 0 if reason is None else 1
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
