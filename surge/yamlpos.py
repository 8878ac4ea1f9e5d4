"""YAML that remembers where every value was written, for ``file:line:col`` errors.

PyYAML's composer gives nodes with marks; this turns them into ``YNode`` trees whose
scalars are plain Python values. Anything PyYAML rejects, and documents that would
blow up (recursive or exponential aliases, absurd nesting), become ``YamlProblem``s
instead of exceptions, so no input can crash a caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_NODES = 200_000


@dataclass(frozen=True)
class Pos:
    """Where something was written: 1-based line and column."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass
class YNode:
    """A YAML value and where it was written. Mappings keep their keys' positions too."""

    value: Any  # dict[str, YNode] | list[YNode] | str | int | float | bool | None
    pos: Pos
    key_pos: dict[str, Pos] = field(default_factory=dict)

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_list(self) -> bool:
        return isinstance(self.value, list)

    def plain(self) -> Any:
        """The value with positions stripped, as ``yaml.safe_load`` would give it."""
        if isinstance(self.value, dict):
            return {key: child.plain() for key, child in self.value.items()}
        if isinstance(self.value, list):
            return [child.plain() for child in self.value]
        return self.value


@dataclass(frozen=True)
class YamlProblem:
    pos: Pos
    message: str

    def __str__(self) -> str:
        return f"{self.pos}: {self.message}"


class _Loader(yaml.SafeLoader):
    pass


def load(text: str | bytes, file: str) -> tuple[YNode | None, list[YamlProblem]]:
    """Parse one YAML document. Returns the tree, or None and the problems found."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            return None, [YamlProblem(Pos(file, 1, 1), f"not UTF-8 text ({error.reason})")]
    try:
        loader = _Loader(text)  # checks every character up front, so it can refuse too
    except yaml.reader.ReaderError as error:
        message = f"YAML syntax: character #x{error.character:04x} is not allowed"
        return None, [YamlProblem(_offset_pos(text, file, error.position), message)]
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        pos = Pos(file, mark.line + 1, mark.column + 1) if mark else Pos(file, 1, 1)
        return None, [YamlProblem(pos, f"YAML syntax: {error.problem or error.context}")]
    except yaml.YAMLError as error:
        return None, [YamlProblem(Pos(file, 1, 1), f"YAML syntax: {error}")]
    except RecursionError:
        return None, [YamlProblem(Pos(file, 1, 1), "YAML nesting is too deep")]
    finally:
        loader.dispose()
    if root is None:
        return None, [YamlProblem(Pos(file, 1, 1), "the file is empty")]
    converter = _Converter(file, loader)
    try:
        tree = converter.convert(root)
    except RecursionError:
        return None, [YamlProblem(Pos(file, 1, 1), "YAML nesting is too deep")]
    except _TooLarge:
        return None, [YamlProblem(Pos(file, 1, 1), f"document has more than {MAX_NODES} values")]
    return (tree if not converter.problems else None), converter.problems


def _offset_pos(text: str, file: str, offset: int) -> Pos:
    line_start = text.rfind("\n", 0, offset) + 1
    return Pos(file, text.count("\n", 0, offset) + 1, offset - line_start + 1)


class _Converter:
    def __init__(self, file: str, loader: yaml.SafeLoader) -> None:
        self.file = file
        self.loader = loader
        self.problems: list[YamlProblem] = []
        self.count = 0
        self.active: set[int] = set()

    def pos(self, node: yaml.Node) -> Pos:
        return Pos(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def convert(self, node: yaml.Node) -> YNode:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLarge
        if id(node) in self.active:
            self.problems.append(YamlProblem(self.pos(node), "recursive alias"))
            return YNode(None, self.pos(node))
        self.active.add(id(node))
        try:
            return self._convert(node)
        finally:
            self.active.discard(id(node))

    def _convert(self, node: yaml.Node) -> YNode:
        pos = self.pos(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, pos)
        if isinstance(node, yaml.SequenceNode):
            return YNode([self.convert(child) for child in node.value], pos)
        try:
            value = self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as error:
            self.problems.append(YamlProblem(pos, f"cannot read this value: {error}"))
            return YNode(None, pos)
        if not isinstance(value, str | int | float | bool | type(None)):
            # timestamps, binary: keep the text so nothing outside JSON leaks in
            value = str(node.value)
        return YNode(value, pos)

    def _mapping(self, node: yaml.MappingNode, pos: Pos) -> YNode:
        self.loader.flatten_mapping(node)  # resolves YAML merge keys (<<)
        result: dict[str, YNode] = {}
        key_pos: dict[str, Pos] = {}
        for key_node, value_node in node.value:
            key = self.convert(key_node)
            if not isinstance(key.value, str | int | float | bool) or key.value is None:
                self.problems.append(YamlProblem(key.pos, "a key must be a plain word"))
                continue
            name = str(key.value)
            if name in result:
                self.problems.append(
                    YamlProblem(
                        key.pos, f"duplicate key {name!r} (first at line {key_pos[name].line})"
                    )
                )
                continue
            key_pos[name] = key.pos
            result[name] = self.convert(value_node)
        return YNode(result, pos, key_pos)


class _TooLarge(Exception):
    pass
