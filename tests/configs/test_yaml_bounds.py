"""The config reader is bounded: size, depth and alias expansion are capped, and mapping
lines never expands aliases (a bomb costs what its text costs)."""

from __future__ import annotations

import pytest
import yaml

from trainer_core.config.yaml_source import MAX_BYTES, load_yaml
from trainer_core.errors import ConfigError


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: no 10 MiB written
    with pytest.raises(ConfigError, match=r"the config is 10\.0 MiB; a config is at most "
                                          r"10 MiB") as info:
        load_yaml(big)
    assert info.value.source == str(big)


def bomb(levels: int) -> str:
    """Each level lists the previous one nine times: 9**levels values once expanded."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_at_its_line(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb(9))  # 387 million values if expanded
    with pytest.raises(ConfigError, match="aliases expand to more than 200,000") as info:
        load_yaml(path)  # expanding it would not end: bench/config_parse.py times this
    assert info.value.source == f"{path}:6"  # 9**6 > 200,000: the first level past the cap


def test_aliases_within_the_cap_load_and_map_lines_at_the_anchor(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(bomb(3) + "train: {optimizer: *a1}\n")
    document = load_yaml(path)
    assert document.data == yaml.safe_load(path.read_text())
    assert document.locate("a3") == f"{path}:4"
    assert document.locate("train.optimizer") == f"{path}:5"


def test_deep_nesting_is_refused_with_a_line(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 80)) + "  x: 1\n")
    with pytest.raises(ConfigError, match="nested more than 64 levels deep"):
        load_yaml(path)
