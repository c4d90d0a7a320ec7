"""The debugger's first frame comes before the trainer: a loading view, then the main screen;
a problem found while loading stays on screen with the command line's message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app.tui import make_app
from app.tui.loading import LoadingScreen
from app.tui.main_screen import MainScreen
from tests.tui.conftest import SIZE, screen_text, settle

ROOT = Path(__file__).resolve().parents[2]


async def test_the_loading_view_shows_its_steps_then_gives_way_to_the_main_screen(
        monkeypatch):
    monkeypatch.chdir(ROOT)
    app = make_app(ROOT / "sample_configs" / "default.yaml", stable=True, in_background=True,
                   overrides={"train.local_update_steps": 1})
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, LoadingScreen) and app.session is None
        await settle(pilot)  # the loading worker has finished
        assert isinstance(app.screen, MainScreen)
        assert "PAUSED" in screen_text(app, "#status")
        assert app.session.point.trigger == "on_fit_start"
        # the loading view was replaced, not kept underneath
        assert not any(isinstance(s, LoadingScreen) for s in app.screen_stack)


async def test_each_loading_step_is_reported(monkeypatch):
    monkeypatch.chdir(ROOT)
    reported: list[str] = []
    app = make_app(ROOT / "sample_configs" / "default.yaml", stable=True, in_background=True)
    original = app.loader
    app.loader = lambda progress: original(lambda step: (reported.append(step),
                                                         progress(step)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
    assert reported[:2] == ["reading default.yaml", "importing torch"]
    assert any(step.startswith("loading the data (digits)") for step in reported)
    assert any("1797 samples" in step for step in reported)
    assert reported[-1] == "starting the train routine"


async def test_a_problem_found_while_loading_stays_on_screen(tmp_path):
    config = tmp_path / "missing_data.yaml"
    config.write_text("data: {type: csv, path: nowhere.csv, target: y}\nmodel: {type: mlp}\n")
    app = make_app(config, stable=True, in_background=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoadingScreen) and app.session is None
        text = screen_text(app, "#loading")
        assert "cannot open the debugger" in text
        assert "missing_data.yaml:1" in text and "nowhere.csv" in text
        await pilot.press("q")
    assert app.return_code == 0


def test_help_and_version_import_neither_torch_sklearn_nor_textual():
    code = ("import sys, contextlib, io\n"
            "from app.cli import main\n"
            "for argv in (['--help'], ['--version'], ['no-such-command']):\n"
            "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()),"
            " contextlib.redirect_stderr(io.StringIO()):\n"
            "        main(argv)\n"
            "print(sorted(m for m in ('torch', 'sklearn', 'textual', 'numpy')"
            " if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "[]"
