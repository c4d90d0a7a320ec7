"""What the bounded, line-mapping config reader costs against plain ``yaml.safe_load``.

    python bench/config_parse.py [--reps 7]

Per input: ``yaml.safe_load`` of the text (pure Python), ``yaml.load`` with libyaml's
``CSafeLoader``, then ``load_yaml`` (libyaml, a bounds check over the node graph,
construction, the key-path -> line map): median seconds over repetitions, and load_yaml's
ratio to the libyaml load (the cost of the bounds and the line map). Inputs: the bundled
default config, a generated 1 MiB config of nested sections, a config sharing one anchor
500 times, and a 9-level alias bomb (the plain loads are not run on it: they would not
finish).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trainer_core.config.yaml_source import load_yaml
from trainer_core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def generated(target_bytes: int) -> str:
    parts, i = [], 0
    while sum(map(len, parts)) < target_bytes:
        parts.append(f"section{i}:\n  name: s{i}\n  values: [{i}, {i + 1}, {i + 2}]\n"
                     f"  nested: {{lr: 0.{i % 10}, steps: {i}, tags: [a, b]}}\n")
        i += 1
    return "".join(parts)


def shared_anchor(uses: int) -> str:
    head = "base: &base {lr: 0.1, momentum: 0.9, kwargs: {nesterov: true, dampening: 0}}\n"
    return head + "".join(f"copy{i}: *base\n" for i in range(uses))


def bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]"
              for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def timed(call, reps: int) -> tuple[float, float]:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def bounded_load(path: Path) -> None:
    with contextlib.suppress(ConfigError):  # the bomb: refused, which is the point
        load_yaml(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    inputs = {
        "sample_configs/default.yaml": (ROOT / "sample_configs" / "default.yaml").read_text(),
        "generated 1 MiB": generated(1 << 20),
        "one anchor used 500 times": shared_anchor(500),
        "alias bomb, 9 levels (9**9 values)": bomb(9),
    }
    print(f"{'input':38} {'bytes':>9} {'safe_load':>10} {'C load':>10} {'load_yaml':>10} "
          f"{'ratio':>6}")
    with tempfile.TemporaryDirectory() as folder:
        for name, text in inputs.items():
            path = Path(folder) / "config.yaml"
            path.write_text(text)
            ours = timed(lambda path=path: bounded_load(path), args.reps)
            if "bomb" in name:
                print(f"{name:38} {len(text):>9,} {'(hangs)':>10} {'(hangs)':>10} "
                      f"{ours[1]:>10.5f}")
                continue
            plain = timed(lambda text=text: yaml.safe_load(text), args.reps)
            fast = timed(lambda text=text: yaml.load(text, Loader=yaml.CSafeLoader), args.reps)
            print(f"{name:38} {len(text):>9,} {plain[1]:>10.5f} {fast[1]:>10.5f} "
                  f"{ours[1]:>10.5f} {ours[1] / fast[1]:>6.2f}")
    print("(median seconds; ratio = load_yaml / the libyaml load)")


if __name__ == "__main__":
    main()
