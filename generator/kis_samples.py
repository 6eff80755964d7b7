"""KIS's sample repository (koreainvestment/open-trading-api) read as plain records.

Every file is read from git at one commit (a working checkout's uncommitted edits are not
read) and parsed with ``ast`` and ``tokenize`` only: nothing in it is imported, executed or
evaluated. A file the parser cannot read, or a construct it does not know, becomes a
``Problem`` naming the file and line, never an exception out of this module.

What a sample says is kept apart from what KIS's transport (``kis_auth.py``) does to it: the
TR_ID a sample writes for each branch of its ``env_dv`` / side / market / period chain, the
mock TR_ID it derives itself (``"V" + tr_id[1:]``), the one ``kis_auth`` would derive (a leading
T, J or C becomes V on a mock account), and every mock TR_ID KIS wrote only in a comment.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import subprocess
import tokenize
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import Problem

SAMPLES_DIR = "examples_llm"
TRANSPORT_FILE = f"{SAMPLES_DIR}/kis_auth.py"
MCP_CONFIGS = "MCP/Kis Trading MCP/configs"
MAX_FILE_BYTES = 2_000_000  # the largest sample file is about 60 kB; a bigger one is not a sample
MAX_PATHS = 512  # branch paths followed per function before giving up on its TR_ID chain
ENV_PARAMETER = "env_dv"
ENV_VALUES = {"real": "real", "demo": "mock"}
MOCK_TR_IN_TEXT = re.compile(r"\bV[A-Z0-9]{7,13}\b")
LABELLED_TR = re.compile(r"\b([A-Z][A-Z0-9]{7,13})\s*\(([^()]{1,40})\)")
HEADER = re.compile(r"^#\s*\[(?P<menu>[^\]]+)\]\s*(?P<rest>.*)$")
ARG_LINE = re.compile(r"^\s{4,}(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?P<type>[^)]*)\)\s*:\s*(?P<text>.*)$")
REQUIRED_MARK = re.compile(r"\[필수\]|[(（]필수[)）]")  # KIS's mark of a required field
ASIDE = re.compile(r"\s+[(（]")  # KIS sets an aside off with a space: "종목코드 (ex. 005930)"
QUALIFIER = re.compile(r"^[(（](?:선택|필수)\s*-\s*(이상값?|이하값?)[)）]$")  # "(선택 - 이상값)": a bound
REVISION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/~^{}@-]{0,200}")


# ---------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True, slots=True)
class Location:
    file: str  # path inside KIS's repository
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class Condition:
    """A test on one of the sample function's parameters: ``parameter`` in (or not in) values."""

    parameter: str
    values: tuple[str, ...]
    negated: bool = False

    def __str__(self) -> str:
        shown = ", ".join(json.dumps(value, ensure_ascii=False) for value in self.values)
        if len(self.values) == 1:
            return f"{self.parameter} {'!=' if self.negated else '=='} {shown}"
        return f"{self.parameter} {'not in' if self.negated else 'in'} ({shown})"


@dataclass(frozen=True, slots=True)
class CommentTr:
    """A mock TR_ID KIS wrote in a comment or docstring, for the real TR_ID it names."""

    real: str
    mock: str
    at: Location
    text: str


@dataclass(frozen=True, slots=True)
class TrChoice:
    """One branch of a sample's TR_ID chain: the conditions that select it and what it sends.

    ``mock_how`` says where the mock TR_ID comes from: "code" (written for env_dv "demo"),
    "sample_rule" (the sample's own ``"V" + tr_id[1:]``), "transport_rule" (kis_auth.py turns a
    leading T, J or C into V) or "unchanged" (kis_auth.py sends other TR_IDs as they are).
    None: the sample refuses this branch on a mock account (or on a real one, for ``real``)."""

    when: tuple[Condition, ...]
    real: str | None
    real_at: Location | None
    mock: str | None
    mock_how: str | None
    mock_at: Location | None
    comments: tuple[CommentTr, ...] = ()

    @property
    def comment_mocks(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(comment.mock for comment in self.comments))


@dataclass(frozen=True, slots=True)
class SampleField:
    """A request field the sample sends (a key of its params dict)."""

    wire: str
    parameter: str | None  # the function parameter whose value is sent
    constant: str | None  # the value the sample always sends, when it is a literal
    label: str | None
    description: str | None
    required: bool | None  # None: the sample does not say
    required_from: str | None  # the text that says so
    allowed: tuple[str, ...] | None  # the values the sample's own check accepts
    default: str | None  # the parameter's default in the function signature
    example: str | None  # the value the chk_ file passes
    at: Location
    from_mcp: bool = False  # required-ness taken from KIS's MCP configuration


@dataclass(frozen=True, slots=True)
class SampleOutput:
    key: str  # output, output1, ...
    shape: str  # "object" (the sample reads one record), "list", or "either" (it accepts both)
    at: Location
    text: str  # the sample's line that reads it


@dataclass(frozen=True, slots=True)
class SamplePaging:
    request: tuple[tuple[str, str], ...]  # (request key, response key) the sample sends back
    at: Location


@dataclass(frozen=True, slots=True)
class SampleCall:
    """The chk_ file's call of the sample function: its arguments by parameter name, a value
    that is not a string literal (``trenv.my_acct``) as None with its source text."""

    arguments: tuple[tuple[str, str | None], ...]
    expressions: tuple[tuple[str, str], ...]  # parameter → the source text of a non-literal argument
    at: Location

    def value(self, parameter: str) -> str | None:
        return dict(self.arguments).get(parameter)

    def passes(self, parameter: str) -> bool:
        return parameter in dict(self.arguments)


@dataclass(frozen=True, slots=True)
class SampleApi:
    """One REST API as KIS's sample shows it."""

    directory: str  # the sample category directory: domestic_stock, overseas_stock, ...
    name: str  # the function name (and directory), snake_case
    file: str
    check_file: str | None
    menu: str  # "[국내주식] 순위분석"
    title: str  # "거래량순위"
    api_id: str | None
    path: str
    method: str
    choices: tuple[TrChoice, ...]
    fields: tuple[SampleField, ...]
    outputs: tuple[SampleOutput, ...]
    paging: SamplePaging | None
    pages_without_keys: bool  # follows tr_cont but sends no continuation keys back
    columns: tuple[tuple[str, str], ...]  # COLUMN_MAPPING of the chk_ file: response field → label, each entry (a key repeats for a later output)
    numeric: tuple[str, ...]  # NUMERIC_COLUMNS of the chk_ file
    columns_at: Location | None
    header_at: Location
    column_keys: tuple[str, ...] = ()  # COLUMN_MAPPING's keys as written: repeats and output markers kept
    call: SampleCall | None = None  # the chk_ file's example call
    # the function's parameters: name, its default when a string, whether it has a default at all
    parameters: tuple[tuple[str, str | None, bool], ...] = ()

    @property
    def qualname(self) -> str:
        return f"{self.directory}/{self.name}"

    def field(self, wire: str) -> SampleField | None:
        return next((item for item in self.fields if item.wire == wire), None)


@dataclass(frozen=True, slots=True)
class RealtimeSample:
    """A WebSocket sample (no API_URL): listed in the coverage, outside the REST spec."""

    directory: str
    name: str
    file: str
    menu: str
    title: str
    api_id: str | None
    tr_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TransportRule:
    """kis_auth.py's mock TR_ID rule: on a mock account a TR_ID starting with one of
    ``letters`` is sent with ``replacement`` in their place."""

    letters: tuple[str, ...]
    replacement: str
    at: Location | None  # None: kis_auth.py did not say; KIS's long-standing rule is assumed

    def derive(self, tr_id: str) -> str:
        return self.replacement + tr_id[1:] if tr_id[:1] in self.letters else tr_id


ASSUMED_RULE = TransportRule(("T", "J", "C"), "V", None)


@dataclass(frozen=True, slots=True)
class Samples:
    repository: str  # where it was read
    revision: str  # the full commit id
    date: str  # the commit's date, YYYY-MM-DD
    apis: tuple[SampleApi, ...]
    realtime: tuple[RealtimeSample, ...]
    transport_rule: TransportRule
    problems: tuple[Problem, ...]

    @property
    def short(self) -> str:
        return self.revision[:7]


# ---------------------------------------------------------------------------------------------
# Reading files from git


class SampleSourceError(Exception):
    """The repository or revision cannot be read."""


@dataclass(frozen=True, slots=True)
class GitTree:
    """The files of one commit of a git repository (bare or not), read without a checkout."""

    directory: Path
    revision: str  # full commit id

    @staticmethod
    def open(where: str) -> GitTree:
        """``PATH`` or ``PATH@REV``: a checkout or a git directory, and a revision (default HEAD)."""
        path, revision = where, "HEAD"
        if "@" in where and not Path(where).exists():
            path, revision = where.rsplit("@", 1)
        if not REVISION.fullmatch(revision):
            raise SampleSourceError(f"{revision!r} is not a revision name")
        directory = Path(path)
        if not directory.is_dir():
            raise SampleSourceError(f"{path}: not a directory")
        commit = _git(directory, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}").decode().strip()
        return GitTree(directory, commit)

    def names(self, *prefixes: str) -> list[str]:
        """Regular files (no symlinks, no submodules) under ``prefixes``."""
        listing = _git(self.directory, "ls-tree", "-r", "-z", "--full-tree", self.revision, "--", *prefixes)
        names = []
        for entry in listing.decode("utf-8", errors="replace").split("\0"):
            if not entry:
                continue
            meta, _, name = entry.partition("\t")
            mode, kind = meta.split(" ")[:2]
            # a line break in a name would break cat-file's line protocol; no sample has one
            if kind == "blob" and mode in ("100644", "100755") and "\n" not in name and "\r" not in name:
                names.append(name)
        return sorted(names)

    def read_many(self, names: list[str]) -> dict[str, bytes]:
        """The contents of many files in two git processes (one per file is slow): their sizes,
        then every file no bigger than MAX_FILE_BYTES; a bigger one is never read."""
        sizes = self._batch("--batch-check", names)
        small = [name for name in names if 0 <= sizes.get(name, -1) <= MAX_FILE_BYTES]
        request = "".join(f"{self.revision}:{name}\n" for name in small).encode("utf-8")
        output = _git(self.directory, "cat-file", "--batch", stdin=request) if small else b""
        contents: dict[str, bytes] = {}
        position = 0
        for name in small:
            end = output.find(b"\n", position)
            header = output[position:end].split(b" ") if end >= 0 else []
            if len(header) != 3 or header[1] != b"blob" or not header[2].isdigit():
                raise SampleSourceError(f"git cat-file answered {output[position:position + 80]!r} for {name}")
            size = int(header[2])
            contents[name] = output[end + 1 : end + 1 + size]
            position = end + 1 + size + 1
        return contents

    def _batch(self, mode: str, names: list[str]) -> dict[str, int]:
        """Each name's blob size, from ``git cat-file --batch-check``."""
        if not names:
            return {}
        request = "".join(f"{self.revision}:{name}\n" for name in names).encode("utf-8")
        lines = _git(self.directory, "cat-file", mode, stdin=request).splitlines()
        sizes = {}
        for name, line in zip(names, lines):
            parts = line.split(b" ")
            if len(parts) == 3 and parts[1] == b"blob" and parts[2].isdigit():
                sizes[name] = int(parts[2])
        return sizes

    def date(self) -> str:
        return _git(self.directory, "log", "-1", "--format=%cs", self.revision, "--").decode().strip()


def _git(directory: Path, *args: str, stdin: bytes | None = None) -> bytes:
    # No pager, no prompts, and no fsmonitor hook from the repository's own config.
    command = ["git", "--no-pager", "-c", "core.fsmonitor=false", "-C", str(directory), *args]
    environment = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
    result = subprocess.run(command, input=stdin, capture_output=True, check=False, env=environment)
    if result.returncode != 0:
        detail = "; ".join(line.strip() for line in result.stderr.decode(errors="replace").splitlines() if line.strip())
        raise SampleSourceError(f"git {args[0]} in {directory} failed: {detail or 'no such revision'}")
    return result.stdout


def read_samples(where: str) -> Samples:
    """Every sample API of KIS's repository at ``PATH[@REV]``."""
    tree = GitTree.open(where)
    names = tree.names(SAMPLES_DIR, MCP_CONFIGS)
    wanted = [name for name in names if _is_sample(name) or name == TRANSPORT_FILE or name.startswith(MCP_CONFIGS + "/")]
    if not any(_is_sample(name) for name in wanted):
        raise SampleSourceError(f"{where}: no {SAMPLES_DIR}/<category>/<api>/<api>.py at {tree.revision[:7]}; is this KIS's open-trading-api?")
    files = tree.read_many(wanted)
    problems: list[Problem] = []
    for name in wanted:
        if name not in files:
            problems.append(Problem(name, 1, "", f"larger than {MAX_FILE_BYTES} bytes; not read"))
    mcp = _mcp_params(files, problems)
    rule = _transport_rule(files.get(TRANSPORT_FILE), problems)
    apis: list[SampleApi] = []
    realtime: list[RealtimeSample] = []
    for name in sorted(files):
        if not _is_sample(name) or Path(name).name.startswith("chk_"):
            continue
        parts = name.split("/")
        check_name = "/".join(parts[:-1] + [f"chk_{parts[-1]}"])
        sample = read_sample(name, files[name], check_name if check_name in files else None, files.get(check_name), mcp.get((parts[1], parts[2])), problems, rule)
        if isinstance(sample, SampleApi):
            apis.append(sample)
        elif isinstance(sample, RealtimeSample):
            realtime.append(sample)
    return Samples(f"{tree.directory}", tree.revision, tree.date(), tuple(apis), tuple(realtime), rule, tuple(problems))


def _is_sample(name: str) -> bool:
    """examples_llm/<category>/<api>/<api>.py or chk_<api>.py."""
    parts = name.split("/")
    return len(parts) == 4 and parts[0] == SAMPLES_DIR and parts[3] in (f"{parts[2]}.py", f"chk_{parts[2]}.py")


# ---------------------------------------------------------------------------------------------
# Parsing one sample


@dataclass(slots=True)
class _Source:
    """One file's text, tree and comments, or the problem that stopped its parsing."""

    name: str
    text: str
    tree: ast.Module
    comments: dict[int, str]  # line → the comment on it

    @staticmethod
    def parse(name: str, raw: bytes, problems: list[Problem]) -> _Source | None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(Problem(name, raw[: error.start].count(b"\n") + 1, "", f"not UTF-8 (byte 0x{raw[error.start]:02x}); file skipped"))
            return None
        try:
            tree = ast.parse(text, filename=name)
        except SyntaxError as error:
            problems.append(Problem(name, error.lineno or 1, "", f"Python this reader cannot parse ({error.msg}); file skipped"))
            return None
        except (ValueError, RecursionError, MemoryError) as error:
            problems.append(Problem(name, 1, "", f"cannot parse ({type(error).__name__}); file skipped"))
            return None
        comments: dict[int, str] = {}
        try:
            for token in tokenize.generate_tokens(io.StringIO(text).readline):
                if token.type == tokenize.COMMENT:
                    comments[token.start[0]] = token.string.lstrip("#").strip()
        except (tokenize.TokenError, SyntaxError):
            pass  # ast read it: only comments after the odd spot are lost
        return _Source(name, text, tree, comments)

    def at(self, node: ast.AST) -> Location:
        return Location(self.name, getattr(node, "lineno", 1))


def read_sample(
    name: str,
    raw: bytes,
    check_name: str | None,
    check_raw: bytes | None,
    mcp: dict[str, dict[str, Any]] | None,
    problems: list[Problem],
    rule: TransportRule = ASSUMED_RULE,
) -> SampleApi | RealtimeSample | None:
    """One sample API from its file and its chk_ file; problems are appended, never raised."""
    source = _Source.parse(name, raw, problems)
    if source is None:
        return None
    parts = name.split("/")
    directory, api = parts[1], parts[2]
    menu, title, api_id, header_at = _header(source)
    function = next((node for node in source.tree.body if isinstance(node, ast.FunctionDef) and node.name == api), None)
    if function is None:
        problems.append(Problem(name, 1, "", f"no function {api}() in the file; skipped"))
        return None
    url = _module_string(source.tree, "API_URL")
    if url is None:
        tr_ids = tuple(dict.fromkeys(node.value.value for node in ast.walk(function) if _assigns_constant(node, "tr_id")))  # type: ignore[attr-defined]
        return RealtimeSample(directory, api, name, menu, title, api_id, tr_ids)
    try:
        reader = _FunctionReader(source, function, problems, rule)
        choices = reader.tr_choices()
        fields = reader.fields()
        outputs = reader.outputs()
        paging, keyless = reader.paging(fields)
        method = reader.method()
    except RecursionError:
        problems.append(Problem(name, function.lineno, "", "nested too deep to read; skipped"))
        return None
    columns: tuple[tuple[str, str], ...] = ()
    numeric: tuple[str, ...] = ()
    columns_at = None
    column_keys: tuple[str, ...] = ()
    call = None
    if check_name is not None and check_raw is not None:
        check = _Source.parse(check_name, check_raw, problems)
        if check is not None:
            columns, numeric, columns_at, column_keys = _columns(check)
            call = _example_call(check, api, function)
            fields = _with_examples(call, fields)
    if mcp:
        fields = tuple(_with_mcp(item, mcp.get(item.parameter or "")) for item in fields)
    parameters = _parameters(function)
    return SampleApi(directory, api, name, check_name, menu, title, api_id, url, method, choices, fields, outputs, paging, keyless, columns, numeric, columns_at, header_at, column_keys, call, parameters)


def _header(source: _Source) -> tuple[str, str, str | None, Location]:
    """The menu, title and API ID of ``# [국내주식] 순위분석 > 거래량순위[v1_국내주식-047]``."""
    for line_number, comment in sorted(source.comments.items()):
        match = HEADER.match("# " + comment)
        if match is None:
            continue
        rest = match.group("rest").strip()
        submenu, _, title = rest.partition(" > ") if " > " in rest else rest.partition(" - ")
        if not title:
            submenu, title = "", rest
        title = title.strip()
        api_id = None
        id_match = re.search(r"\[([^\[\]]+)\]\s*$", title)
        if id_match is not None:
            api_id = id_match.group(1).strip()
            title = title[: id_match.start()].strip()
        menu = f"[{match.group('menu').strip()}] {submenu.strip()}".strip()
        return menu, title, api_id, Location(source.name, line_number)
    return "", "", None, Location(source.name, 1)


def _module_string(tree: ast.Module, name: str) -> str | None:
    for node in tree.body:
        if _assigns_constant(node, name):
            value: str = node.value.value  # type: ignore[attr-defined]
            return value
    return None


def _assigns_constant(node: ast.AST, name: str) -> bool:
    return (
        isinstance(node, ast.Assign)
        and any(isinstance(target, ast.Name) and target.id == name for target in node.targets)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _sets_tr_id(node: ast.AST) -> bool:
    return isinstance(node, ast.Assign) and any(isinstance(target, ast.Name) and target.id == "tr_id" for target in node.targets)


def _string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _strings(node: ast.AST) -> tuple[str, ...] | None:
    """The strings of a literal tuple, list or set of strings."""
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        values = [_string(item) for item in node.elts]
        if values and all(value is not None for value in values):
            return tuple(value for value in values if value is not None)
    return None


def _body_key(node: ast.AST) -> str | None:
    """The response key a sample reads: ``res.getBody().keyb`` (keyb), the same guarded by a
    hasattr (``... if hasattr(...) else ""``), or ``res.getBody().output1["index_key"]``
    (output1.index_key)."""
    if isinstance(node, ast.IfExp):
        node = node.body
    if isinstance(node, ast.Attribute) and _is_body_call(node.value):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and _is_body_call(node.value.value) and _string(node.slice) is not None:
        return f"{node.value.attr}.{_string(node.slice)}"
    return None


def _is_body_call(node: ast.AST) -> bool:
    """``res.getBody()`` (any receiver)."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "getBody"


def _is_fetch(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "_url_fetch"


@dataclass(slots=True)
class _Path:
    conditions: list[Condition] = field(default_factory=list)
    tr_id: str | None = None
    how: str = "code"
    at: Location | None = None


class _FunctionReader:
    def __init__(self, source: _Source, function: ast.FunctionDef, problems: list[Problem], rule: TransportRule) -> None:
        self.rule = rule
        self.source = source
        self.function = function
        self.problems = problems
        self.parameters = [arg.arg for arg in function.args.args]
        self.fetch = next((node for node in ast.walk(function) if _is_fetch(node)), None)
        # requests.post(url, data=json.dumps(data)): the token samples call KIS directly
        self.direct = next((node for node in ast.walk(function) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("post", "get") and isinstance(node.func.value, ast.Name) and node.func.value.id == "requests"), None)
        # Parameters tested by a branch that sets tr_id: the selectors of the TR_ID chain (the
        # sample's other checks, `if not cano: raise`, select nothing).
        self.selectors = {
            name.id
            for node in ast.walk(function)
            if isinstance(node, ast.If) and any(_sets_tr_id(inner) for inner in ast.walk(node))
            for name in ast.walk(node.test)
            if isinstance(name, ast.Name) and name.id in self.parameters
        }

    def problem(self, node: ast.AST, message: str) -> None:
        self.problems.append(Problem(self.source.name, getattr(node, "lineno", 1), "", message))

    # -- the TR_ID chain ----------------------------------------------------------------------
    def tr_choices(self) -> tuple[TrChoice, ...]:
        sent: list[_Path] = []
        self.overflow = False
        self._run(self.function.body, [_Path()], sent)
        if self.overflow:
            self.problem(self.function, f"more than {MAX_PATHS} branches before the request; TR_ID chain not read")
            return ()
        return self._choices(sent)

    def _run(self, body: list[ast.stmt], paths: list[_Path], sent: list[_Path]) -> list[_Path]:
        """Follow ``paths`` through ``body``; paths that send the request go to ``sent``."""
        for statement in body:
            if not paths:
                return paths
            if len(paths) > MAX_PATHS:
                self.overflow = True
                return []
            if any(_is_fetch(node) for node in ast.walk(statement)) and not isinstance(statement, (ast.If, ast.Try)):
                sent.extend(paths)
                return []
            if isinstance(statement, ast.If):
                taken, other = self._split(statement.test)
                inside = self._run(statement.body, [_Path(p.conditions + taken, p.tr_id, p.how, p.at) for p in paths], sent)
                outside = self._run(statement.orelse, [_Path(p.conditions + other, p.tr_id, p.how, p.at) for p in paths], sent)
                paths = list({(tuple(p.conditions), p.tr_id, p.how, p.at): p for p in inside + outside}.values())
            elif isinstance(statement, (ast.Raise, ast.Return)):
                return []
            elif isinstance(statement, ast.Try):
                paths = self._run(statement.body + statement.finalbody, paths, sent)
            elif isinstance(statement, ast.With):
                paths = self._run(statement.body, paths, sent)
            elif isinstance(statement, ast.Assign) and _sets_tr_id(statement):
                paths = [self._assign(path, statement) for path in paths]
        return paths

    def _assign(self, path: _Path, statement: ast.Assign) -> _Path:
        value = statement.value
        literal = _string(value)
        at = self.source.at(statement)
        if literal is not None:
            return _Path(path.conditions, literal, "code", at)
        # "V" + tr_id[1:]: the sample derives the mock TR_ID itself
        if (
            isinstance(value, ast.BinOp)
            and isinstance(value.op, ast.Add)
            and _string(value.left) is not None
            and isinstance(value.right, ast.Subscript)
            and isinstance(value.right.value, ast.Name)
            and value.right.value.id == "tr_id"
            and path.tr_id is not None
        ):
            prefix = _string(value.left) or ""
            return _Path(path.conditions, prefix + path.tr_id[1:], "sample_rule", at)
        self.problem(statement, f"tr_id set from an expression this reader does not follow: {ast.unparse(value)[:80]}")
        return _Path(path.conditions, None, "code", at)

    def _split(self, test: ast.expr) -> tuple[list[Condition], list[Condition]]:
        """The conditions a branch adds, for its body and for its else."""
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
            parts = [_condition(value, self.selectors) for value in test.values]
            return [part for part in parts if part is not None], []  # `not (a and b)` says nothing of either
        condition = _condition(test, self.selectors)
        if condition is None:
            return [], []
        return [condition], [Condition(condition.parameter, condition.values, not condition.negated)]

    def _choices(self, sent: list[_Path]) -> tuple[TrChoice, ...]:
        rows: dict[tuple[Condition, ...], dict[str, Any]] = {}
        for path in sent:
            if path.tr_id is None:
                continue
            env, when = _env_of(path.conditions)
            row = rows.setdefault(when, {})
            envs = ("real", "mock") if env is None else (env,)
            for one in envs:
                tr_id, how = path.tr_id, path.how
                if one == "mock":
                    sent_as = self.rule.derive(tr_id)
                    if sent_as != tr_id:
                        tr_id, how = sent_as, "transport_rule"
                    elif env is None:
                        how = "unchanged"
                row.setdefault(one, (tr_id, how, path.at))
        comments = self._comment_trs()
        choices = []
        for when, row in rows.items():
            real = row.get("real")
            mock = row.get("mock")
            mine = tuple(comment for comment in comments if real is not None and comment.real == real[0])
            choices.append(TrChoice(when, real[0] if real else None, real[2] if real else None, mock[0] if mock else None, mock[1] if mock else None, mock[2] if mock else None, mine))
        return tuple(choices)

    def _comment_trs(self) -> tuple[CommentTr, ...]:
        """Mock TR_IDs KIS wrote down: on a TR_ID's own line, or as ``VXXX(label)`` in the
        docstring next to a real ``TXXX(label)`` with the same label."""
        found: list[CommentTr] = []
        for node in ast.walk(self.function):
            if isinstance(node, ast.Assign) and _assigns_constant(node, "tr_id"):
                comment = self.source.comments.get(node.lineno, "")
                for mock in MOCK_TR_IN_TEXT.findall(comment):
                    found.append(CommentTr(_string(node.value) or "", mock, self.source.at(node), comment))
        docstring = ast.get_docstring(self.function, clean=False)
        if docstring:
            first = self.function.body[0].lineno
            labelled: dict[str, list[tuple[str, int]]] = {}
            for match in LABELLED_TR.finditer(docstring):
                line = first + docstring[: match.start()].count("\n")
                labelled.setdefault(match.group(2).strip(), []).append((match.group(1), line))
            for label, trs in labelled.items():
                reals = [tr for tr, _ in trs if not tr.startswith("V")]
                for tr, line in trs:
                    if tr.startswith("V") and len(set(reals)) == 1:
                        found.append(CommentTr(reals[0], tr, Location(self.source.name, line), f"{tr}({label})"))
        return tuple(found)

    # -- request fields -----------------------------------------------------------------------
    def fields(self) -> tuple[SampleField, ...]:
        params = self._params_dict()
        if params is None:
            return ()
        signature = self._signature()
        documented = self._documented()
        checks = self._checks()
        result = []
        for key, value, node in params:
            parameter = value.id if isinstance(value, ast.Name) and value.id in self.parameters else None
            constant = _string(value)
            label, description, required, required_from = None, None, None, None
            default = None
            if parameter is not None:
                comment, default = signature.get(parameter, (None, None))
                doc = documented.get(parameter)
                if doc is not None:
                    description = doc
                    required = True if REQUIRED_MARK.search(doc) else None
                    required_from = "the docstring marks it 필수" if required else None
                if comment:
                    marker, _, rest = comment.partition(",")
                    if marker.strip() in ("필수", "선택") and rest:
                        required = marker.strip() == "필수" if required is None else required
                        required_from = required_from or f"signature comment {comment!r}"
                        comment = rest.strip()
                if comment and REQUIRED_MARK.search(comment) and required is None:
                    required, required_from = True, f"the signature comment {comment!r}"
                label = _label_of(comment or "") or _label_of(self.source.comments.get(self.source.at(node).line) or "") or _label_of(doc or "")
                check = checks.get(parameter)
                if check is not None:
                    required = True
                    required_from = required_from or f"the sample refuses an empty value (line {check[1]})"
            else:
                label = _label_of(self.source.comments.get(self.source.at(node).line) or "")
            allowed = checks[parameter][0] if parameter is not None and parameter in checks else None
            result.append(SampleField(key, parameter, constant, label, description, required, required_from, allowed, default, None, self.source.at(node)))
        return tuple(result)

    def _params_dict(self) -> list[tuple[str, ast.expr, ast.AST]] | None:
        """(wire key, value, node) of the dict the sample sends, in source order: the params of
        kis_auth's _url_fetch, or the body of a direct requests.post (the token samples)."""
        call = self.fetch or self.direct
        if not isinstance(call, ast.Call):
            return None
        if call is self.fetch:
            argument: ast.expr | None = call.args[3] if len(call.args) > 3 else next((kw.value for kw in call.keywords if kw.arg == "params"), None)
        else:
            argument = next((kw.value for kw in call.keywords if kw.arg in ("data", "json", "params")), None)
            if isinstance(argument, ast.Call) and argument.args and isinstance(argument.func, ast.Attribute) and argument.func.attr == "dumps":
                argument = argument.args[0]  # json.dumps(data)
        if not isinstance(argument, ast.Name):
            if argument is not None:
                self.problem(call, "the request's params are not a named dict; fields not read")
            return None
        entries: list[tuple[str, ast.expr, ast.AST]] = []
        for node in ast.walk(self.function):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name) and target.id == argument.id and isinstance(node.value, ast.Dict):
                    for key, value in zip(node.value.keys, node.value.values):
                        wire = _string(key)
                        if wire is None:
                            self.problem(key or value, "a params key that is not a string literal; skipped")
                            continue
                        entries.append((wire, value, key if key is not None else node))
                elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and target.value.id == argument.id:
                    wire = _string(target.slice)
                    if wire is not None:
                        entries.append((wire, node.value, node))
        seen: set[str] = set()
        unique = []
        for entry in entries:
            if entry[0] not in seen:
                seen.add(entry[0])
                unique.append(entry)
        return unique

    def _signature(self) -> dict[str, tuple[str | None, str | None]]:
        """Each parameter's trailing comment and string default."""
        arguments = self.function.args
        defaults: dict[str, str | None] = {}
        for arg, default in zip(arguments.args[len(arguments.args) - len(arguments.defaults) :], arguments.defaults):
            defaults[arg.arg] = _string(default)
        return {arg.arg: (self.source.comments.get(arg.lineno), defaults.get(arg.arg)) for arg in arguments.args}

    def _documented(self) -> dict[str, str]:
        """The Args section of the docstring: parameter → its text (continuation lines joined)."""
        docstring = ast.get_docstring(self.function) or ""
        result: dict[str, str] = {}
        current: str | None = None
        in_args = False
        for line in docstring.splitlines():
            stripped = line.strip()
            if stripped in ("Args:", "Parameters:"):
                in_args = True
                continue
            if in_args and stripped.endswith(":") and not line.startswith(" ") and stripped[:-1].isalpha():
                break  # Returns:, Example:, ...
            if not in_args:
                continue
            match = ARG_LINE.match("    " + line if not line.startswith("    ") else line)
            if match is not None and match.group("name") in self.parameters:
                current = match.group("name")
                result[current] = match.group("text").strip()
            elif current is not None and stripped:
                result[current] = f"{result[current]} {stripped}"
        return result

    def _checks(self) -> dict[str, tuple[tuple[str, ...] | None, int]]:
        """Parameters the sample refuses when empty (or outside a list): name → (allowed, line)."""
        found: dict[str, tuple[tuple[str, ...] | None, int]] = {}
        for node in self.function.body:
            if not isinstance(node, ast.If) or not any(isinstance(item, ast.Raise) for item in node.body):
                continue
            names = {item.id for item in ast.walk(node.test) if isinstance(item, ast.Name) and item.id in self.parameters}
            if len(names) != 1:
                continue
            name = names.pop()
            condition = _condition(node.test, {name})
            if condition is not None and condition.negated and condition.values != ("",):
                found[name] = (condition.values, node.lineno)  # `if x not in [...]: raise`
            elif _tests_empty(node.test):
                found.setdefault(name, (None, node.lineno))
        return found

    # -- outputs and paging --------------------------------------------------------------------
    def outputs(self) -> tuple[SampleOutput, ...]:
        parents = {child: parent for parent in ast.walk(self.function) for child in ast.iter_child_nodes(parent)}
        either = any(
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance" and len(node.args) == 2 and isinstance(node.args[1], ast.Name) and node.args[1].id == "list"
            for node in ast.walk(self.function)
        )
        found: dict[str, SampleOutput] = {}
        for node in ast.walk(self.function):
            if isinstance(node, ast.Attribute) and _is_body_call(node.value) and re.fullmatch(r"output[0-9]?", node.attr):
                parent = parents.get(node)
                shape = "either" if either else "list"
                if isinstance(parent, ast.List):
                    shape = "object"  # pd.DataFrame([output])
                elif isinstance(parent, ast.Call) and any(kw.arg == "index" for kw in parent.keywords):
                    shape = "object"  # pd.DataFrame(output, index=[0])
                elif isinstance(parent, ast.Subscript) and node.attr in found:
                    continue  # output1["index_key"]: reads a key, says nothing of the shape
                earlier = found.get(node.attr)
                if earlier is not None and (earlier.shape == "object" or shape != "object"):
                    continue  # one line that reads it as one record settles the shape
                line = self.source.text.splitlines()[node.lineno - 1].strip()
                found[node.attr] = SampleOutput(node.attr, shape, self.source.at(node), line)
        return tuple(sorted(found.values(), key=lambda output: (output.key != "output", output.key)))

    def paging(self, fields: tuple[SampleField, ...]) -> tuple[SamplePaging | None, bool]:
        follows = any(
            isinstance(node, ast.Attribute) and node.attr == "tr_cont" and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "getHeader"
            for node in ast.walk(self.function)
        )
        if not follows:
            return None, False
        by_parameter = {item.parameter: item.wire for item in fields if item.parameter is not None}
        pairs: list[tuple[str, str]] = []
        at: Location | None = None
        for node in ast.walk(self.function):
            if not isinstance(node, ast.Assign) or len(node.targets) != 1:
                continue
            target, value = node.targets[0], node.value
            pairs_here = list(zip(target.elts, value.elts)) if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) else [(target, value)]
            for name, read in pairs_here:  # FK100 = res.getBody().ctx_area_fk100, or a tuple of them
                key = _body_key(read)
                if isinstance(name, ast.Name) and name.id in by_parameter and key is not None:
                    pairs.append((by_parameter[name.id], key))
                    at = at or self.source.at(node)
        if not pairs or at is None:
            return None, True
        return SamplePaging(tuple(pairs), at), False

    def method(self) -> str:
        call = self.fetch
        if not isinstance(call, ast.Call):
            direct = self.direct
            return "POST" if isinstance(direct, ast.Call) and isinstance(direct.func, ast.Attribute) and direct.func.attr == "post" else "GET"
        flag = next((kw.value for kw in call.keywords if kw.arg == "postFlag"), call.args[5] if len(call.args) > 5 else None)
        return "POST" if isinstance(flag, ast.Constant) and flag.value is True else "GET"


def _condition(test: ast.expr, names: set[str]) -> Condition | None:
    """``x == "a"``, ``x != "a"``, ``x in ("a", "b")``, ``x not in [...]``, or an ``or`` of
    equalities on one name (``x == "a" or x is None``); None for anything else."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        parts = [_condition(value, names) for value in test.values]
        known = [part for part in parts if part is not None]
        nones = [value for value, part in zip(test.values, parts) if part is None and _is_none_test(value)]
        if known and len(known) + len(nones) == len(parts) and len({part.parameter for part in known}) == 1 and not any(part.negated for part in known):
            return Condition(known[0].parameter, tuple(dict.fromkeys(v for part in known for v in part.values)))
        return None
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return None
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if isinstance(right, ast.Name) and not isinstance(left, ast.Name):
        left, right = right, left
    if not isinstance(left, ast.Name) or left.id not in names:
        return None
    if isinstance(op, (ast.Eq, ast.NotEq)) and _string(right) is not None:
        return Condition(left.id, (_string(right) or "",), isinstance(op, ast.NotEq))
    if isinstance(op, (ast.In, ast.NotIn)):
        values = _strings(right)
        if values is not None:
            return Condition(left.id, values, isinstance(op, ast.NotIn))
    return None


def _is_none_test(node: ast.expr) -> bool:
    return isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Is) and isinstance(node.comparators[0], ast.Constant) and node.comparators[0].value is None


def _tests_empty(test: ast.expr) -> bool:
    """``not x``, ``x == ""``, ``x is None``, or an ``or`` of those."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Name):
        return True
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        return all(_tests_empty(value) for value in test.values)
    if _is_none_test(test):
        return True
    return isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq) and _string(test.comparators[0]) == ""


def _env_of(conditions: list[Condition]) -> tuple[str | None, tuple[Condition, ...]]:
    """The environment a path is for ("real", "mock" or None for both), and its other conditions
    merged per parameter (a positive test wins over the negations an elif chain left behind)."""
    env: str | None = None
    merged: dict[str, Condition] = {}
    for condition in conditions:
        if condition.parameter == ENV_PARAMETER:
            chosen = {ENV_VALUES.get(value, value) for value in condition.values}
            if not condition.negated and len(chosen) == 1:
                env = chosen.pop()
            elif condition.negated and len(chosen) == 1 and chosen <= {"real", "mock"}:
                env = env or ({"real", "mock"} - chosen).pop()
            continue
        earlier = merged.get(condition.parameter)
        if earlier is None or (earlier.negated and not condition.negated):
            merged[condition.parameter] = condition
        elif earlier.negated and condition.negated:
            merged[condition.parameter] = Condition(condition.parameter, tuple(dict.fromkeys(earlier.values + condition.values)), True)
        elif not earlier.negated and not condition.negated:
            kept = tuple(value for value in earlier.values if value in condition.values)
            merged[condition.parameter] = Condition(condition.parameter, kept)
    return env, tuple(merged.values())


def _label_of(text: str) -> str | None:
    """KIS's name of a field from its comment or docstring line: ``[필수] 조건 시장 분류 코드 (ex.
    J:KRX)`` → ``조건 시장 분류 코드``. An aside goes (an example, codes, a required-ness mark, an
    explanation: the description keeps them), and so does a length (``(6자리)``); a qualifier
    KIS writes without a space stays (``거래량(이상)``), and one after the required-ness mark too
    (``현재가수1 (선택 - 이상값)`` → ``현재가수1 (이상값)``)."""
    text = re.sub(r"^\s*\[(필수|선택)\]\s*", "", text).strip()
    text = re.sub(r"\.\s*Defaults? to .*$", "", text)  # "운용사지정주문번호. Defaults to """
    if re.fullmatch(r"\[[^\[\]]+\]", text):
        text = text[1:-1].strip()  # "[입력날짜]"
    if text.startswith(("(", "（")):
        return None  # an aside with no name before it: another source names the field
    aside = ASIDE.search(text)
    if aside is not None:
        qualifier = QUALIFIER.match(text[aside.end() - 1 :].strip())
        text = text[: aside.start()] + (f" ({qualifier.group(1).strip()})" if qualifier else "")
    text = re.sub(r"[(（][0-9]+자리[)）]$", "", text.strip())
    return text.strip() or None


def _columns(check: _Source) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...], Location | None, tuple[str, ...]]:
    columns: list[tuple[str, str]] = []
    numeric: tuple[str, ...] = ()
    keys: list[str] = []
    at = None
    for node in check.tree.body:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            continue
        if node.targets[0].id == "COLUMN_MAPPING" and isinstance(node.value, ast.Dict):
            at = check.at(node)
            for key, value in zip(node.value.keys, node.value.values):
                wire, label = _string(key), _string(value)
                if wire is not None:
                    keys.append(wire)
                if wire is not None and label is not None:
                    columns.append((wire, label.strip()))  # a repeated key: another output's label
        elif node.targets[0].id == "NUMERIC_COLUMNS":
            numeric = _strings(node.value) or ()
    return tuple(columns), numeric, at, tuple(keys)


def _parameters(function: ast.FunctionDef) -> tuple[tuple[str, str | None, bool], ...]:
    arguments = function.args
    first_default = len(arguments.args) - len(arguments.defaults)
    return tuple(
        (arg.arg, _string(arguments.defaults[index - first_default]) if index >= first_default else None, index >= first_default)
        for index, arg in enumerate(arguments.args)
    )


def _example_call(check: _Source, api: str, function: ast.FunctionDef) -> SampleCall | None:
    """The chk_ file's first call of the sample function. A plain name argument takes the string
    the chk_ file assigned to it (``pdno = "005930"``), where it assigned exactly one."""
    call = next((node for node in ast.walk(check.tree) if isinstance(node, ast.Call) and _calls(node.func, api)), None)
    if call is None:
        return None
    assigned: dict[str, list[str | None]] = {}
    for node in ast.walk(check.tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            assigned.setdefault(node.targets[0].id, []).append(_string(node.value))
    names = [arg.arg for arg in function.args.args]
    given = list(zip(names, call.args)) + [(keyword.arg, keyword.value) for keyword in call.keywords if keyword.arg is not None]
    arguments: list[tuple[str, str | None]] = []
    expressions: list[tuple[str, str]] = []
    for name, node in given:
        value = _string(node)
        if value is None and isinstance(node, ast.Name) and len(assigned.get(node.id, [])) == 1:
            value = assigned[node.id][0]
        if value is None:
            expressions.append((name, ast.unparse(node)[:80]))
        arguments.append((name, value))
    return SampleCall(tuple(arguments), tuple(expressions), check.at(call))


def _calls(func: ast.expr, api: str) -> bool:
    """``api(...)``, or ``api.api(...)`` through the module (``import lp_trade_trend``)."""
    if isinstance(func, ast.Attribute):
        return func.attr == api and isinstance(func.value, ast.Name) and func.value.id == api
    return isinstance(func, ast.Name) and func.id == api


def _with_examples(call: SampleCall | None, fields: tuple[SampleField, ...]) -> tuple[SampleField, ...]:
    """The values the chk_ file's call passes, as each field's example."""
    if call is None:
        return fields
    return tuple(replace(item, example=call.value(item.parameter or "")) for item in fields)


def _with_mcp(item: SampleField, entry: dict[str, Any] | None) -> SampleField:
    """Required-ness from KIS's MCP configuration, where the sample itself does not say."""
    if entry is None or item.required is not None or not isinstance(entry.get("required"), bool):
        return item
    return replace(item, required=entry["required"], required_from="KIS MCP configuration", from_mcp=True)


def _mcp_params(files: dict[str, bytes], problems: list[Problem]) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    """(category, api) → parameter → its MCP entry (required, default_value, description)."""
    result: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for name, raw in files.items():
        if not name.startswith(MCP_CONFIGS + "/") or not name.endswith(".json"):
            continue
        try:
            document = json.loads(raw)
        except (ValueError, RecursionError):
            problems.append(Problem(name, 1, "", "not JSON; MCP configuration skipped"))
            continue
        apis = document.get("apis") if isinstance(document, dict) else None
        if not isinstance(apis, dict):
            continue
        category = Path(name).stem
        for api, entry in apis.items():
            params = entry.get("params") if isinstance(entry, dict) else None
            if isinstance(params, dict):
                result[(category, str(api))] = {str(key): value for key, value in params.items() if isinstance(value, dict)}
    return result


def _transport_rule(raw: bytes | None, problems: list[Problem]) -> TransportRule:
    """kis_auth.py's ``if ptr_id[0] in ("T", "J", "C"): ... tr_id = "V" + ptr_id[1:]``."""
    source = _Source.parse(TRANSPORT_FILE, raw, problems) if raw is not None else None
    for node in ast.walk(source.tree) if source is not None else ():
        if isinstance(node, ast.If) and isinstance(node.test, ast.Compare) and len(node.test.ops) == 1 and isinstance(node.test.ops[0], ast.In):
            letters = _strings(node.test.comparators[0])
            prefix = next((_string(item.left) for item in ast.walk(node) if isinstance(item, ast.BinOp) and isinstance(item.op, ast.Add) and _string(item.left)), None)
            if letters and prefix and all(len(letter) == 1 for letter in letters) and source is not None:
                return TransportRule(letters, prefix, source.at(node))
    problems.append(Problem(TRANSPORT_FILE, 1, "", "no mock TR_ID rule found here; assuming KIS's T, J, C → V"))
    return ASSUMED_RULE
