"""Read YAML safely and remember where every key is, for errors that say ``file:line``.

Only the safe subset of YAML is accepted (``yaml.CSafeLoader``, libyaml's parser, about ten
times faster than the pure-Python ``SafeLoader`` used where libyaml is missing). Besides the
data, the reader
keeps a map from key path (``hooks.train[2].insert.trigger``) to line number, and rejects
duplicate keys (which ``safe_load`` silently resolves to the last one).

Bounded: a file over ``MAX_BYTES``, nesting deeper than ``MAX_DEPTH`` levels, or aliases
that would expand to more than ``MAX_NODES`` values (a "billion laughs" file of a few hundred
bytes) is refused with its line before anything walks the data. The line map walks YAML's
node graph, visiting an aliased node once, so it costs about what ``safe_load`` costs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from trainer_core.errors import ConfigError

#: A config is a few hundred lines; these bounds are far above any real one.
MAX_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000

#: libyaml's safe loader when PyYAML was built with it (same nodes, same marks)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file with the line of every key path."""

    path: Path
    data: Any
    lines: dict[str, int] = field(default_factory=dict)

    def locate(self, key_path: str) -> str:
        """``file:line`` of a key path, or of its nearest enclosing key that exists."""
        probe = key_path
        while probe:
            if probe in self.lines:
                return f"{self.path}:{self.lines[probe]}"
            probe = _parent(probe)
        return f"{self.path}:{self.lines.get('', 1)}"


def _parent(key_path: str) -> str:
    if key_path.endswith("]"):
        return key_path[:key_path.rindex("[")]
    return key_path.rpartition(".")[0]


def load_yaml(path: str | Path, what: str = "config") -> YamlDocument:
    """Parse a YAML file (``what`` it is, for messages: 'config', 'pipeline file');
    ConfigError with file:line for unreadable files and bad syntax."""
    source = Path(path)
    try:
        size = source.stat().st_size
        if size > MAX_BYTES:
            raise ConfigError(f"the {what} is {size / 2**20:.1f} MiB; a {what} is at most "
                              f"{MAX_BYTES // 2**20} MiB", source=str(source))
        raw = source.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{what} {source} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"{source} is a folder, not a {what}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {source}: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ConfigError(f"not UTF-8 text: byte {raw[exc.start]:#04x} cannot be decoded "
                          f"(save the file as UTF-8)", source=f"{source}:{line}") from None
    return parse_yaml(text, source)


def parse_yaml(text: str, source: Path) -> YamlDocument:
    """Parse YAML text that came from ``source`` (used in messages)."""
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_bounds(node, source)
        data = loader.construct_document(node) if node is not None else None
    except RecursionError:
        raise ConfigError(f"nested too deeply (more than {MAX_DEPTH} levels)",
                          source=f"{source}:{loader.line + 1}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"{source}:{mark.line + 1}" if mark is not None else str(source)
        problem = exc.problem or exc.context or "invalid YAML"
        if "maximum nesting depth" in str(problem):  # libyaml's own bound
            raise ConfigError(f"nested too deeply (more than {MAX_DEPTH} levels)",
                              source=line) from None
        raise ConfigError(f"YAML syntax error: {problem}", source=line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {exc}", source=str(source)) from None
    finally:
        loader.dispose()
    lines: dict[str, int] = {"": 1}
    if node is not None:
        _walk(node, "", lines, source, set())
    return YamlDocument(source, data, lines)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_bounds(root: yaml.Node, source: Path) -> None:
    """Refuse nesting deeper than MAX_DEPTH, and aliases that expand past MAX_NODES values
    (each node's expanded size is computed once, so a bomb costs its own size here)."""
    expanded: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:  # iterative post-order: no recursion on deep input
        node, depth, children_done = stack.pop()
        if depth > MAX_DEPTH:
            raise ConfigError(f"nested more than {MAX_DEPTH} levels deep",
                              source=f"{source}:{node.start_mark.line + 1}")
        if id(node) in expanded:
            continue
        children = _children(node)
        if children_done or not children:
            total = 1 + sum(expanded[id(c)] for c in children)
            if total > MAX_NODES:
                raise ConfigError(f"the aliases expand to more than {MAX_NODES:,} values "
                                  f"(an alias bomb?)",
                                  source=f"{source}:{node.start_mark.line + 1}")
            expanded[id(node)] = total
            continue
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in children
                     if id(child) not in expanded)


def _walk(node: yaml.Node, path: str, lines: dict[str, int], source: Path,
          seen_nodes: set[int]) -> None:
    if id(node) in seen_nodes:  # an alias: its keys are already mapped at the anchor
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = f"{path}.{key}" if path else key
            if key in seen:
                raise ConfigError(f"duplicate key '{key}'", key_path=child,
                                  source=f"{source}:{key_node.start_mark.line + 1}")
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines, source, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = f"{path}[{i}]"
            lines[child] = item.start_mark.line + 1
            _walk(item, child, lines, source, seen_nodes)
