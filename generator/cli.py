"""The `kisgen` command: validate, generate, check (and the tools built on the same model)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator.errors import SpecError
from generator.render import ROOT

EXIT_OK, EXIT_STALE, EXIT_SPEC, EXIT_INTERNAL = 0, 1, 2, 3


def _spec_dir(args: argparse.Namespace) -> Path:
    return Path(args.spec).resolve() if args.spec else ROOT / "spec"


def cmd_validate(args: argparse.Namespace) -> int:
    from generator.pipeline import load_spec

    spec = load_spec(_spec_dir(args))
    print(f"spec OK: {len(spec.operations)} operations in {len(spec.sources)} files")
    return EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    from generator.pipeline import render_spec
    from generator.write import write_files

    files = render_spec(_spec_dir(args))
    changed = write_files(files, Path(args.root).resolve())
    print(f"generated {len(files)} files, {len(changed)} changed" + "".join(f"\n  {name}" for name in changed))
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from generator.pipeline import render_spec
    from generator.write import stale_files

    stale = stale_files(render_spec(_spec_dir(args)), Path(args.root).resolve())
    if stale:
        print("generated files are stale; run `kisgen generate`:")
        for name in stale:
            print(f"  {name}")
        return EXIT_STALE
    print("generated files are up to date")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kisgen", description="The KIS Open API spec and the client generated from it.")
    parser.add_argument("--spec", help="spec directory (default: spec/ of this repository)")
    parser.add_argument("--root", default=str(ROOT), help="repository root to write into (default: this repository)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("validate", help="check the spec; one problem a line").set_defaults(run=cmd_validate)
    commands.add_parser("generate", help="write generated/kis_client (atomically)").set_defaults(run=cmd_generate)
    commands.add_parser("check", help="exit 1 if generated files differ from the spec's output").set_defaults(run=cmd_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except SpecError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"{len(error.problems)} problem(s); nothing was written", file=sys.stderr)
        return EXIT_SPEC
    except OSError as error:  # an unreadable spec directory, an unwritable root: say which, no traceback
        where = f"{error.filename}: " if error.filename is not None else ""
        print(f"kisgen: {where}{error.strerror or error}", file=sys.stderr)
        return EXIT_SPEC
    except Exception as error:  # a bug: one line people can report, still no traceback
        print(f"kisgen: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_INTERNAL
    return code


if __name__ == "__main__":
    sys.exit(main())
