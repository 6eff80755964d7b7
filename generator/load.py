"""Load spec YAML files safely, keeping the line of every value.

PyYAML's composer gives nodes with positions; we build plain Python values from them
ourselves so that duplicate keys, aliases and non-standard tags are reported, never obeyed.
"""

from __future__ import annotations

import hashlib
import math
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, SpecError

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 40  # the spec nests about 10 deep; PyYAML and jsonschema recurse per level
FILE_NAME = re.compile(r"[a-z][a-z0-9_]*\.yaml")  # the stem names the area, a Python identifier

JsonPath = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_ALIAS = "tag:kisgen,2026:alias"
_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Loader(yaml.SafeLoader):
    """Composes an alias as a marker node at the alias's own line, not as its anchor's node."""

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.get_event()  # type: ignore[no-untyped-call]
            return yaml.ScalarNode(_ALIAS, f"*{event.anchor}", event.start_mark, event.end_mark)
        return super().compose_node(parent, index)


@dataclass(slots=True)
class SpecFile:
    """One spec file's data and the line (1-based) of each JSON path in it."""

    name: str
    data: Any
    lines: dict[JsonPath, int] = field(default_factory=dict)
    digest: str = ""  # sha256 of the file's bytes

    def line_of(self, path: JsonPath) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return 1


def format_path(path: JsonPath) -> str:
    return ".".join(str(part) for part in path)


class _Builder:
    def __init__(self, name: str) -> None:
        self.file = SpecFile(name=name, data=None)
        self.problems: list[Problem] = []
        self._scalars = yaml.SafeLoader("")
        self._alias_uses: dict[str, int] = {}

    def problem(self, node: yaml.Node, path: JsonPath, message: str) -> None:
        self.problems.append(Problem(self.file.name, node.start_mark.line + 1, format_path(path), message))

    def _is_alias(self, node: yaml.Node, path: JsonPath) -> bool:
        """Report an alias (our loader marks each at its own line), once per anchor, so an
        alias bomb gives a few lines, not thousands."""
        if node.tag != _ALIAS:
            return False
        uses = self._alias_uses.get(node.value, 0)
        if uses == 0:
            self.problem(node, path, "aliases (*name) are not allowed in a spec; write the value out")
        self._alias_uses[node.value] = uses + 1
        return True

    def build(self, node: yaml.Node, path: JsonPath) -> Any:
        self.file.lines.setdefault(path, node.start_mark.line + 1)
        if self._is_alias(node, path):
            return None
        if len(path) > MAX_DEPTH:
            self.problem(node, path[:MAX_DEPTH], f"nested more than {MAX_DEPTH} levels deep")
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                self.problem(node, path, f"tag {node.tag!r} is not allowed")
                return None
            return [self.build(item, path + (index,)) for index, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: JsonPath) -> Any:
        if node.tag != _MAP:
            self.problem(node, path, f"tag {node.tag!r} is not allowed")
            return None
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if self._is_alias(key_node, path):
                continue
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problem(key_node, path, "merge keys (<<) are not allowed in a spec")
                continue
            reported = len(self.problems)
            key = self._scalar(key_node, path) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a collection"
                if len(self.problems) == reported:  # a bad string key was reported already
                    self.problem(key_node, path, f"key {shown!r} must be a string; quote it")
                continue
            child = path + (key,)
            if key in result:
                first = self.file.lines.get(child, 0)
                self.problem(key_node, child, f"duplicate key {key!r} (first defined on line {first})")
                continue
            self.file.lines[child] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, child)
        return result

    def _scalar(self, node: yaml.Node, path: JsonPath) -> Any:
        assert isinstance(node, yaml.ScalarNode)
        tag = node.tag
        if tag in (_STR, _TIMESTAMP):
            surrogate = _SURROGATE.search(node.value)
            if surrogate is not None:
                # A "\\uD83D" escape gives half a character: it cannot be written as UTF-8 later.
                self.problem(node, path, f"U+{ord(surrogate.group()):04X} is half of a UTF-16 surrogate pair, not a character; write the character itself or \\UXXXXXXXX")
                return None
            return str(node.value)  # dates stay text: the spec compares them as written
        if tag == _NULL:
            return None
        constructor = {_INT: self._scalars.construct_yaml_int, _FLOAT: self._scalars.construct_yaml_float, _BOOL: self._scalars.construct_yaml_bool}.get(tag)
        if constructor is None:
            self.problem(node, path, f"tag {tag!r} is not allowed")
            return None
        try:  # an explicit tag (!!int twelve) can put any text under these constructors
            value = constructor(node)
        except (ValueError, KeyError, TypeError, IndexError):
            self.problem(node, path, f"{node.value!r} is not a valid {tag.rsplit(':', 1)[-1]}")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.problem(node, path, f"{node.value!r}: numbers must be finite")
            return None
        return value


def _mark_problem(name: str, error: yaml.YAMLError, text: str) -> Problem:
    if isinstance(error, yaml.reader.ReaderError):
        line = text[: error.position].count("\n") + 1
        return Problem(name, line, "", f"character U+{error.character:04X} is not allowed in YAML; write it as an escape in a double-quoted string")
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    detail = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    message = f"YAML syntax error: {detail}" + (f" ({context})" if context else "")
    return Problem(name, line, "", message)


def _compose_fast(text: str) -> yaml.Node | None:
    """libyaml's composer (ten times faster) for a file it reads exactly as ours would.

    Aliases need our loader (it marks every alias at its own line), and so does anything
    libyaml might read differently: a character PyYAML's reader refuses, or any error at all,
    which the Python loader then reports in its own words. None means "use the Python loader".
    """
    if not yaml.__with_libyaml__ or _NON_PRINTABLE.search(text):
        return None
    try:
        node: yaml.Node | None = yaml.compose(text, Loader=yaml.CSafeLoader)
    except (yaml.YAMLError, RecursionError):
        return None
    return None if node is None or _has_alias(node) else node


def _has_alias(root: yaml.Node) -> bool:
    """Whether any node appears twice: libyaml hands out the anchor's node for each alias."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return True
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack += (key, value)
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value
    return False


def load_text(name: str, raw: bytes) -> SpecFile:
    """Parse one spec file's bytes; raise SpecError on anything unreadable."""
    if len(raw) > MAX_FILE_BYTES:
        raise SpecError([Problem(name, 1, "", f"file is larger than {MAX_FILE_BYTES} bytes, the most a spec file may hold")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise SpecError([Problem(name, line, "", f"not UTF-8: byte 0x{raw[error.start]:02x} at offset {error.start}")]) from None
    if "\t" in text:
        line = text[: text.index("\t")].count("\n") + 1
        raise SpecError([Problem(name, line, "", "tab character; indent with spaces")])
    root = _compose_fast(text)
    loader: _Loader | None = None
    try:
        if root is None:
            loader = _Loader(text)  # the reader refuses control characters here already
            root = loader.get_single_node()
    except yaml.composer.ComposerError as error:
        if error.context != "expected a single document in the stream" or error.problem_mark is None:
            raise SpecError([_mark_problem(name, error, text)]) from None
        # problem_mark is the second document's `---`
        raise SpecError([Problem(name, error.problem_mark.line + 1, "", "only one YAML document per spec file")]) from None
    except yaml.YAMLError as error:
        raise SpecError([_mark_problem(name, error, text)]) from None
    except RecursionError:
        raise SpecError([Problem(name, 1, "", f"nested too deep to read (a spec nests at most {MAX_DEPTH} levels)")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if root is None:
        raise SpecError([Problem(name, 1, "", "file is empty; a spec file is a mapping with at least `source`")])
    builder = _Builder(name)
    builder.file.digest = hashlib.sha256(raw).hexdigest()
    builder.file.data = builder.build(root, ())
    if builder.problems:
        raise SpecError(builder.problems)
    if not isinstance(builder.file.data, dict):
        raise SpecError([Problem(name, 1, "", "the top level must be a mapping")])
    return builder.file


def load_dir(spec_dir: Path, display_root: Path | None = None) -> list[SpecFile]:
    """Load every ``*.yaml`` file of a spec directory, in name order, collecting all problems."""
    files, problems = load_dir_partly(spec_dir, display_root)
    if problems:
        raise SpecError(problems)
    return files


def load_dir_partly(spec_dir: Path, display_root: Path | None = None) -> tuple[list[SpecFile], list[Problem]]:
    """The files that load, and the problems of those that do not (so the rest can be checked)."""
    root = display_root if display_root is not None else spec_dir.parent
    files: list[SpecFile] = []
    problems: list[Problem] = []
    paths = [spec_dir / name for name in spec_order(_names_under(spec_dir))]
    if not paths:
        raise SpecError([Problem(str(spec_dir), 1, "", "no *.yaml spec files here")])
    for path in paths:
        try:
            shown = path.relative_to(root).as_posix()
        except ValueError:
            shown = path.as_posix()
        if FILE_NAME.fullmatch(path.name) is None:
            problems.append(Problem(shown, 1, "", "a spec file name is lower_snake_case with .yaml: its name is a Python name in the client"))
            continue
        try:
            files.append(load_text(shown, _read(path, shown)))
        except SpecError as error:
            problems.extend(error.problems)
        except OSError as error:
            problems.append(Problem(shown, 1, "", f"cannot read: {error.strerror or error}"))
    return files, problems


def spec_order(names: Iterable[str]) -> list[str]:
    """The spec files among ``names`` (paths relative to the spec directory, with /): the
    ``*.yaml`` files of the directory, then those one directory down (``imported/``,
    ``corrections/``), each group in name order. The order is the order of areas and
    operations in the generated client."""
    chosen = [name for name in names if name.endswith(".yaml") and name.count("/") <= 1]
    return sorted(chosen, key=lambda name: (name.count("/"), name))


def _names_under(spec_dir: Path) -> list[str]:
    if not spec_dir.is_dir():
        return []
    names = []
    for path in spec_dir.iterdir():
        names.append(path.name)
        if path.is_dir() and not path.is_symlink() and not path.name.endswith(".yaml") and not path.name.startswith("."):
            names += [f"{path.name}/{inner.name}" for inner in path.iterdir()]
    return names


def _read(path: Path, shown: str) -> bytes:
    """The file's bytes, refusing what is not a regular file and reading no more than the limit."""
    if not stat.S_ISREG(path.stat().st_mode):  # a FIFO would block, /dev/zero never ends
        raise SpecError([Problem(shown, 1, "", "not a regular file")])
    with path.open("rb") as handle:
        return handle.read(MAX_FILE_BYTES + 1)
