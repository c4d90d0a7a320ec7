"""Loading a config runs the code it names; --no-code (or HOOKSCOPE_NO_CODE=1) refuses every
such reference with its key, before anything is imported. User text is never markup."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.cli import main

HOSTILE = Path(__file__).resolve().parents[1] / "configs" / "hostile"
SAMPLES = Path(__file__).resolve().parents[2] / "sample_configs"

# config -> (line, key path) of the reference that would run code
REFERENCES = {
    "model_os_system.yaml": (3, "model.type"),
    "data_module_call.yaml": (2, "data.type"),
    "hook_file.yaml": (5, "hooks.train[0].insert"),
    "wrapper_module.yaml": (5, "trainer.wrappers[0]"),
}


@pytest.fixture
def hostile(tmp_path):
    """A copy of the hostile configs: the payload marks its import with imported.txt."""
    folder = tmp_path / "hostile"
    shutil.copytree(HOSTILE, folder)
    return folder


@pytest.mark.parametrize("command", ["run", "check", "hooks"])
@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_no_code_refuses_each_reference_with_its_key(hostile, capsys, name, command):
    line, key_path = REFERENCES[name]
    assert main([command, str(hostile / name), "--no-code"]) == 2
    first = capsys.readouterr().err.splitlines()[0]
    assert f"{hostile / name}:{line}, {key_path}: " in first, first
    assert "refused: this run imports no code" in first
    assert not (hostile / "imported.txt").exists()


def test_the_environment_variable_does_the_same(hostile, capsys, monkeypatch):
    monkeypatch.setenv("HOOKSCOPE_NO_CODE", "1")
    assert main(["check", str(hostile / "hook_file.yaml")]) == 2
    assert "refused" in capsys.readouterr().err
    assert not (hostile / "imported.txt").exists()
    monkeypatch.setenv("HOOKSCOPE_NO_CODE", "0")  # off again
    assert main(["hooks", str(hostile / "hook_file.yaml")]) == 0


def test_without_the_flag_the_hook_file_is_imported(hostile, capsys):
    """What --no-code prevents: listing hooks imports (runs) the hook file."""
    assert main(["hooks", str(hostile / "hook_file.yaml")]) == 0
    assert (hostile / "imported.txt").read_text() == "payload.py was imported\n"


@pytest.mark.parametrize("name", ["default.yaml", "fedprox.yaml", "ditto.yaml",
                                  "csv_regression.yaml"])
def test_configs_that_name_only_registered_hooks_run_without_code(capsys, name):
    assert main(["run", str(SAMPLES / name), "--no-code", "--epochs", "1", "--json"]) == 0


async def test_the_debugger_refuses_too_and_says_so_on_screen(hostile):
    from app.tui import make_app
    from app.tui.loading import LoadingScreen
    from tests.tui.conftest import SIZE, screen_text, settle

    app = make_app(hostile / "hook_file.yaml", stable=True, in_background=True,
                   allow_code=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoadingScreen) and app.session is None
        text = screen_text(app, "#loading")
        assert "hook_file.yaml:5" in text and "refused" in text
    assert not (hostile / "imported.txt").exists()


@pytest.mark.parametrize("command", ["run", "check", "hooks"])
def test_a_name_with_markup_and_escape_codes_is_printed_as_written(hostile, capsys, command):
    argv = [command, str(hostile / "markup_name.yaml")]
    assert main(argv + (["--epochs", "1"] if command == "run" else
                        ["--batches", "2"] if command == "check" else [])) == 0
    out = capsys.readouterr().out
    if command != "check":  # check names the file, not the experiment
        assert r"digits [/baseline] [bold red]x\x1b[31m" in out
    assert "\x1b" not in out
