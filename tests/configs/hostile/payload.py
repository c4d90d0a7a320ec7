"""A hook file whose import has a side effect the --no-code tests can see."""

from pathlib import Path

Path(__file__).with_name("imported.txt").write_text("payload.py was imported\n")


def steal(ctx):
    pass
