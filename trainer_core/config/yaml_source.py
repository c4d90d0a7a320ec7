"""Read YAML safely and remember where every key is, for errors that say ``file:line``.

Only the safe subset of YAML is accepted (``yaml.SafeLoader``). Besides the data, the reader
keeps a map from key path (``hooks.train[2].insert.trigger``) to line number, and rejects
duplicate keys (which ``safe_load`` silently resolves to the last one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from trainer_core.errors import ConfigError


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


def load_yaml(path: str | Path) -> YamlDocument:
    """Parse a YAML file; ConfigError with file:line for unreadable files and bad syntax."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {source} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {source}: {exc}") from exc
    return parse_yaml(text, source)


def parse_yaml(text: str, source: Path) -> YamlDocument:
    """Parse YAML text that came from ``source`` (used in messages)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"{source}:{mark.line + 1}" if mark is not None else str(source)
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"YAML syntax error: {problem}", source=line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {exc}", source=str(source)) from None
    finally:
        loader.dispose()
    lines: dict[str, int] = {"": 1}
    if node is not None:
        _walk(node, "", lines, source)
    return YamlDocument(source, data, lines)


def _walk(node: yaml.Node, path: str, lines: dict[str, int], source: Path) -> None:
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
            _walk(value_node, child, lines, source)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = f"{path}[{i}]"
            lines[child] = item.start_mark.line + 1
            _walk(item, child, lines, source)
