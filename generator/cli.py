"""The `kisgen` command: validate, generate, check (and the tools built on the same model).

Every command acts on the project found from the current directory upward (generator.project),
named on standard error; ``--root`` names the project instead and ``--spec`` another spec.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import SpecError
from .project import WHAT_MARKS_ONE, Project, ProjectNotFoundError, find_project, project_at

if TYPE_CHECKING:  # the commands import what they use, so that `kisgen check` starts fast
    from .kis_portal import Portal
    from .kis_samples import Samples
    from .model import Spec

EXIT_OK, EXIT_STALE, EXIT_SPEC, EXIT_INTERNAL = 0, 1, 2, 3


def _project(args: argparse.Namespace) -> Project:
    """The project, found (and named on standard error) the first time a command needs it."""
    if args.project is None:
        args.project = project_at(Path(args.root)) if args.root else find_project()
        print(f"kisgen: project {args.project.root}", file=sys.stderr)
    project: Project = args.project
    return project


def _spec_dir(args: argparse.Namespace) -> Path:
    return Path(args.spec).resolve() if args.spec else _project(args).spec


def _render(args: argparse.Namespace) -> dict[str, bytes]:
    from .pipeline import render_spec

    return render_spec(_spec_dir(args), _project(args).templates)


def cmd_validate(args: argparse.Namespace) -> int:
    from .pipeline import load_spec

    spec = load_spec(_spec_dir(args))
    print(f"spec OK: {len(spec.operations)} operations in {len(spec.sources)} files")
    return EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    from .write import write_files

    files = _render(args)
    changed = write_files(files, _project(args).root)
    print(f"generated {len(files)} files, {len(changed)} changed" + "".join(f"\n  {name}" for name in changed))
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from .write import stale_files

    stale = stale_files(_render(args), _project(args).root)
    if stale:
        print("generated files are stale; run `kisgen generate`:")
        for name in stale:
            print(f"  {name}")
        return EXIT_STALE
    print("generated files are up to date")
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from .diff import diff_specs, load_side, to_json, to_markdown
    from .pipeline import load_spec

    # A git revision is read from the project's repository; two directories need no project.
    revisions = [side for side in (args.base, args.head) if side and not Path(side).is_dir()]
    root = _project(args).root if revisions else Path.cwd()
    base = load_side(args.base, root)
    head = load_side(args.head, root) if args.head else load_spec(_spec_dir(args))
    changes = diff_specs(base, head)
    render = to_json if args.format == "json" else to_markdown
    sys.stdout.write(render(changes, args.base, args.head or "working tree"))
    return EXIT_STALE if args.fail_on_breaking and any(change.breaking for change in changes) else EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from .export import openapi_json
    from .pipeline import load_spec

    text = openapi_json(load_spec(_spec_dir(args)))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_docs(args: argparse.Namespace) -> int:
    from .layout import AREA_DOCS_DIR, DOCS_FILE
    from .write import write_files

    docs = {name: content for name, content in _render(args).items() if name == DOCS_FILE or name.startswith(AREA_DOCS_DIR + "/")}
    write_files(docs, _project(args).root)
    print(f"wrote {DOCS_FILE} and {AREA_DOCS_DIR}/")
    return EXIT_OK


def _kis_inputs(args: argparse.Namespace) -> tuple[Path, Spec, Portal, Samples] | None:
    """The spec, KIS's portal listing beside it, and KIS's samples at PATH[@REV] (None, said on
    stderr, when the samples cannot be read)."""
    from .kis_portal import load_portal
    from .kis_samples import SampleSourceError, read_samples
    from .pipeline import load_spec

    spec_dir = _spec_dir(args)
    spec = load_spec(spec_dir, before_import=args.command == "import")
    portal = load_portal(spec_dir)
    try:
        return spec_dir, spec, portal, read_samples(args.samples)
    except SampleSourceError as error:
        print(f"kisgen {args.command}: {error}", file=sys.stderr)
        return None


def cmd_audit(args: argparse.Namespace) -> int:
    from .audit import audit, to_json, to_markdown

    inputs = _kis_inputs(args)
    if inputs is None:
        return EXIT_SPEC
    _, spec, portal, samples = inputs
    report = audit(spec, samples, portal)
    text = to_json(report) if args.format == "json" else to_markdown(report)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_STALE if args.fail_on_drift and (report.drift or report.stale) else EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from .importer import choose, draft, write_drafts

    inputs = _kis_inputs(args)
    if inputs is None:
        return EXIT_SPEC
    spec_dir, spec, portal, samples = inputs
    apis = choose(spec, samples, portal, args.category, args.operation)
    if not apis:
        print("kisgen import: no KIS sample API matches (or the spec covers them all with curated operations)", file=sys.stderr)
        return EXIT_SPEC
    drafts = draft(spec, samples, portal, apis)
    written, refused = write_drafts(spec_dir, drafts, samples, portal)
    for item in drafts:
        print(f"{item.path}: {len(item.operations)} operation(s) drafted from {item.category}" + (f", {len(item.skipped)} skipped" if item.skipped else ""))
        for api, why in item.skipped:
            print(f"  skipped {api}: {why}")
    print(f"wrote {len(written)} file(s)" + "".join(f"\n  {name}" for name in written))
    for relative, problems in refused.items():
        print(f"kisgen import: skipped the category of {relative}, nothing of it written:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
    return EXIT_SPEC if refused else EXIT_OK


SANDBOX_EXTRA = ("starlette", "uvicorn", "h11", "websockets", "cryptography")


def _pairs(text: str, positive: bool) -> dict[str, Decimal]:
    """NAME=NUMBER[,NAME=NUMBER...] (an --cash or --prices value)."""
    from .sandbox.state import amount_problem

    found: dict[str, Decimal] = {}
    for item in text.split(","):
        name, separator, number = item.partition("=")
        try:
            value = Decimal(number.strip())
        except InvalidOperation:
            value = Decimal("NaN")
        if not name.strip() or not separator:
            raise argparse.ArgumentTypeError(f"{item.strip()!r} is not NAME={'PRICE' if positive else 'AMOUNT'}")
        problem = amount_problem(value, positive)
        if problem is not None:
            raise argparse.ArgumentTypeError(f"{item.strip()[:60]!r}: {'a price' if positive else 'an amount'} {problem}")
        found[name.strip()] = value
    return found


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 86400:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds from 0 to 86400")
    return value


def _positive(text: str) -> int:
    if not (text.isascii() and text.isdigit() and int(text) > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number above 0")
    return int(text)


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit() and int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a port: a whole number from 0 to 65535 (0: any free port)")
    return int(text)


def _rate_limit(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not calls a second: a number of 0 or more (0: no limit)")
    return value


def _app_keys(path: str) -> dict[str, str]:
    """A JSON object of app key to app secret; the secrets never appear in a message."""
    try:
        keys = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise argparse.ArgumentTypeError(f"{path}: cannot read it as JSON ({type(error).__name__})") from None
    if not isinstance(keys, dict) or not keys or not all(isinstance(k, str) and isinstance(v, str) and k and v for k, v in keys.items()):
        raise argparse.ArgumentTypeError(f'{path}: must be a JSON object of app key to app secret, e.g. {{"my-app-key": "my-app-secret"}}')
    return keys


def cmd_sandbox(args: argparse.Namespace) -> int:
    try:
        # starlette, uvicorn, websockets and cryptography, checked before anything starts
        import cryptography.hazmat.primitives.ciphers  # noqa: F401

        from .sandbox import app, serve, server  # noqa: F401
        from .sandbox.state import DEFAULT_CASH, DEFAULT_PRICES
    except ModuleNotFoundError as missing:
        package = (missing.name or "").split(".")[0]
        if package not in SANDBOX_EXTRA:
            raise
        print(f"kisgen sandbox needs the sandbox extra ({package} is not installed): pip install 'kisgen[sandbox]'", file=sys.stderr)
        return EXIT_SPEC
    from .pipeline import load_spec

    try:
        spec_dir = _spec_dir(args)
    except ProjectNotFoundError as error:
        print(f"kisgen sandbox: {error}; or point it at a spec with --spec DIR (the spec/ of a kisgen checkout)", file=sys.stderr)
        return EXIT_SPEC
    if not spec_dir.is_dir():
        print(f"kisgen sandbox: no spec directory at {spec_dir}; point it at one with --spec DIR (the spec/ of a kisgen checkout)", file=sys.stderr)
        return EXIT_SPEC
    options: dict[str, Any] = {"rate_limit_per_second": args.rate_limit, "page_size": args.page_size, "market_hours": args.market_hours, "app_keys": args.app_keys}
    options.update({"tick_interval": args.tick_interval or None, "pingpong_interval": args.pingpong_interval or None})
    if args.cash:
        options["cash"] = {**DEFAULT_CASH, **{k: v for given in args.cash for k, v in given.items()}}
    if args.prices:
        options["prices"] = {**DEFAULT_PRICES, **{k: v for given in args.prices for k, v in given.items()}}
    spec = load_spec(spec_dir)
    try:
        serve(env=args.env, port=args.port, log_level=args.log_level, spec=spec, **options)
    except OSError as error:
        print(f"kisgen sandbox: cannot listen on 127.0.0.1:{args.port}: {error.strerror or error}", file=sys.stderr)
        return EXIT_SPEC
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kisgen",
        description=f"The KIS Open API spec and the client generated from it. Acts on the kisgen project ({WHAT_MARKS_ONE}) found from the current directory upward.",
    )
    parser.add_argument("--root", help="the kisgen project to act on (default: the one found from the current directory upward)")
    parser.add_argument("--spec", help="spec directory (default: the project's spec/)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("validate", help="check the spec; one problem a line").set_defaults(run=cmd_validate)
    commands.add_parser("generate", help="write generated/kis_client, docs/API.md and docs/api/ (atomically)").set_defaults(run=cmd_generate)
    commands.add_parser("check", help="exit 1 if generated files differ from the spec's output").set_defaults(run=cmd_check)
    diff = commands.add_parser("diff", help="what changed between two specs, and whether it breaks clients")
    diff.add_argument("base", help="a git revision (e.g. origin/main) or a spec directory")
    diff.add_argument("head", nargs="?", help="a git revision or a spec directory (default: the working tree)")
    diff.add_argument("--format", choices=("markdown", "json"), default="markdown")
    diff.add_argument("--fail-on-breaking", action="store_true", help="exit 1 when anything breaking changed")
    diff.set_defaults(run=cmd_diff)
    export = commands.add_parser("export", help="export the spec in another format")
    export.add_argument("format", choices=("openapi",))
    export.add_argument("-o", "--output", help="file to write (default: standard output)")
    export.set_defaults(run=cmd_export)
    commands.add_parser("docs", help="write docs/API.md and docs/api/, the Markdown API reference").set_defaults(run=cmd_docs)
    audit = commands.add_parser("audit", help="compare KIS's sample repository (open-trading-api) with the spec")
    audit.add_argument("samples", metavar="PATH[@REV]", help="a checkout or git directory of KIS's sample repository, and a revision (default HEAD); read with git, never run")
    audit.add_argument("--format", choices=("markdown", "json"), default="markdown")
    audit.add_argument("--fail-on-drift", action="store_true", help="exit 1 when a fact differs and the spec does not explain it, or a known difference the spec declares no longer occurs")
    audit.add_argument("-o", "--output", help="file to write (default: standard output)")
    audit.set_defaults(run=cmd_audit)
    importer = commands.add_parser("import", help="draft spec/imported/ files for the REST APIs of KIS's samples the spec lacks")
    importer.add_argument("samples", metavar="PATH[@REV]", help="a checkout or git directory of KIS's sample repository, and a revision (default HEAD); read with git, never run")
    importer.add_argument("--category", action="append", default=[], help="a file stem (domestic_stock_ranking) or KIS category ('[국내주식] 순위분석'); repeatable")
    importer.add_argument("--operation", action="append", default=[], help="one KIS API, as area.name (domestic_stock.volume_rank) or category/name; repeatable")
    importer.set_defaults(run=cmd_import)
    sandbox = commands.add_parser("sandbox", help="serve a local KIS sandbox on 127.0.0.1 (needs the `sandbox` extra)")
    sandbox.add_argument("--port", type=_port, default=8080, help="port on 127.0.0.1 (default 8080; 0: any free port)")
    sandbox.add_argument("--env", choices=("mock", "real"), default="mock", help="which environment's TR_IDs and limits to serve")
    sandbox.add_argument("--rate-limit", type=_rate_limit, help="calls a second per app key (default: the spec's for --env; 0: no limit)")
    sandbox.add_argument("--log-level", choices=("debug", "info", "warning"), default="info", help="uvicorn's log level (info shows each request)")
    sandbox.add_argument("--spec", default=argparse.SUPPRESS, help="spec directory (as kisgen --spec)")
    sandbox.add_argument("--page-size", type=_positive, metavar="N", help="rows a page on paged inquiries (default: the spec's for --env)")
    sandbox.add_argument("--cash", type=lambda text: _pairs(text, positive=False), action="append", metavar="CUR=AMOUNT[,...]", help="starting cash per currency, e.g. KRW=5000000,USD=2000 (others keep their defaults)")
    sandbox.add_argument("--prices", type=lambda text: _pairs(text, positive=True), action="append", metavar="SYMBOL=PRICE[,...]", help="prices per symbol, e.g. 005930=70000,AAPL=190.5 (others keep their defaults)")
    sandbox.add_argument("--market-hours", choices=("always", "kis"), default="always", help="always open (default), or refuse orders outside the exchange's session as KIS does")
    sandbox.add_argument("--app-keys", type=_app_keys, metavar="FILE", help='JSON {"app key": "app secret", ...}: the only app keys that exist (default: any key)')
    sandbox.add_argument("--tick-interval", type=_seconds, default=1.0, metavar="SECONDS", help="the real-time feed's ticks and order books: one a registered symbol every SECONDS (default 1; 0: none)")
    sandbox.add_argument("--pingpong-interval", type=_seconds, default=10.0, metavar="SECONDS", help="the real-time feed's PINGPONG every SECONDS (default 10; 0: none)")
    sandbox.set_defaults(run=cmd_sandbox)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.project = None
    try:
        code: int = args.run(args)
    except ProjectNotFoundError as error:
        print(f"kisgen: {error}", file=sys.stderr)
        return EXIT_SPEC
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
