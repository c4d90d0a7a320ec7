"""A hook's source in the detail pane, and Retry running the code of an edited hook file."""

from __future__ import annotations

import os
import textwrap

import pytest

from app.session import RunState, SessionError
from trainer_core.config.registry import resolve_hook

FAILING = '''
def flaky(ctx):
    """Fails on batch 1."""
    if ctx.cur_batch_i == 1:
        raise ValueError("bad batch")
    ctx.flaky_seen = ctx.cur_batch_i
'''

FIXED = FAILING.replace('raise ValueError("bad batch")', "ctx.fixed = True")


def write(path, text):
    """Write and make the change visible to an mtime check on any filesystem."""
    path.write_text(textwrap.dedent(text))
    stamp = os.stat(path).st_mtime_ns + 1_000_000_000
    os.utime(path, ns=(stamp, stamp))


@pytest.fixture
def failing_session(make_session, tmp_path):
    path = tmp_path / "flaky_hooks.py"
    write(path, FAILING)
    session = make_session()
    hook = resolve_hook(f"{path}:flaky")
    session.insert(hook, "on_batch_end", 0)
    session.continue_()
    assert session.state is RunState.ERROR
    return session, path, hook


def test_the_detail_shows_the_source_with_the_failing_line(failing_session):
    session, _, _ = failing_session
    detail = session.hook_detail("on_batch_end", 0)
    numbers = dict(detail.source)
    assert 'raise ValueError("bad batch")' in numbers[detail.current_line]
    assert numbers[min(numbers)].startswith("def flaky(ctx):")
    assert all("def " not in text for n, text in detail.source[1:])  # the function only


def test_retry_runs_the_edited_file(failing_session):
    session, path, _ = failing_session
    write(path, FIXED)
    point = session.resolve_error("retry")
    assert session.state is RunState.PAUSED and point.kind == "hook_done"
    assert session.ctx.fixed is True
    assert any("flaky_hooks.py reloaded: flaky run(s) the new code" in line
               for line in session.log)
    detail = session.hook_detail("on_batch_end", 0)
    assert any("ctx.fixed = True" in text for _, text in detail.source)
    assert session.continue_() is None  # every later call runs the new code too


def test_retry_without_an_edit_runs_the_old_code_again(failing_session):
    session, _, _ = failing_session
    session.resolve_error("retry")
    assert session.state is RunState.ERROR  # raised again, nothing reloaded
    assert not any("reloaded" in line for line in session.log)


def test_an_edit_that_does_not_load_keeps_the_error_and_says_why(failing_session):
    session, path, _ = failing_session
    write(path, FAILING + "\ndef broken(:\n")
    with pytest.raises(SessionError, match=r"flaky_hooks.py does not load now \(SyntaxError"):
        session.resolve_error("retry")
    assert session.state is RunState.ERROR
    write(path, FIXED)  # fixed for real: the next retry runs it
    session.resolve_error("retry")
    assert session.ctx.fixed is True
