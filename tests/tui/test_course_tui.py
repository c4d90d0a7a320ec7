"""The debugger over a federated course: the header names round and client, ] and } move
to the next client and round, c runs the course to its end."""

from __future__ import annotations

from pathlib import Path

from app.session import RunState
from app.tui import make_app
from app.tui.modals import ConfirmScreen
from tests.tui.conftest import SIZE, dialog_text, screen_text, settle

ROOT = Path(__file__).resolve().parents[2]
FEDAVG = ROOT / "sample_configs" / "fedavg.yaml"
SHORT = {"federate.total_round_num": 2, "train.local_update_steps": 1}


async def test_the_header_follows_clients_and_rounds(monkeypatch):
    monkeypatch.chdir(ROOT)
    app = make_app(FEDAVG, stable=True, overrides=SHORT)
    session = app.session
    first, second = session.course.sample(0)[:2]
    async with app.run_test(size=SIZE) as pilot:
        header = screen_text(app, "#status").splitlines()[0]
        assert f"train/train · round 0 of 2 · client {first} (1 of 3) · epoch - of 1" in header
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert f"round 0 of 2 · client {second} (2 of 3)" in screen_text(app, "#status")
        assert app.screen.query_one("#hooks-pane").border_title == "Hooks · train"
        await pilot.press("right_curly_bracket")
        await settle(pilot)
        status = screen_text(app, "#status")
        assert f"round 1 of 2 · client {session.course.sample(1)[0]} (1 of 3)" in status
        assert any(line.startswith("round 0 done") for line in session.log)
        accuracy = session.reports[0].global_metrics["test_acc"]
        assert f"test_acc/round {accuracy:.2f}" in screen_text(app, "#rounds")
        await pilot.press("c")
        await settle(pilot)
        assert session.state is RunState.FINISHED and "course finished" in screen_text(
            app, "#status")
        assert len(session.reports) == 2


async def test_the_course_keys_are_offered_only_over_a_course(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert app.screen.check_action("next_client", ()) is False
        assert app.session.point.trigger == "on_fit_start"  # nothing moved


async def test_the_palette_switches_edits_between_every_client_and_one(monkeypatch):
    monkeypatch.chdir(ROOT)
    app = make_app(FEDAVG, stable=True, overrides=SHORT)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.screen.query_one("#hooks-pane")
        assert pane.border_subtitle == "edits go to every client"
        titles = {c.title: c for c in app.get_system_commands(app.screen)}
        titles["Edits apply to the running client only"].callback()
        await pilot.pause()
        assert app.session.edit_all_clients is False
        assert pane.border_subtitle == "edits go to this client only"
        assert f"client {app.session.client} only" in app.session.log[-1]


async def test_the_palette_restarts_the_course_after_a_confirm(monkeypatch):
    monkeypatch.chdir(ROOT)
    app = make_app(FEDAVG, stable=True, overrides=SHORT)
    session = app.session
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right_curly_bracket")
        await settle(pilot)
        assert "round 1 of 2" in screen_text(app, "#status")
        titles = {c.title: c for c in app.get_system_commands(app.screen)}
        titles["Restart the course"].callback()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)  # a round would be undone
        assert "Restart the course?" in dialog_text(app)
        await pilot.press("y")
        await settle(pilot)
        first = session.course.sample(0)[0]
        assert f"round 0 of 2 · client {first} (1 of 3)" in screen_text(app, "#status")
        assert session.reports == [] and any("restarted the course" in line for line in session.log)
