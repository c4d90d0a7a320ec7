"""Every sample config in the debugger: step, run to the end, switch views, restart, no
crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.session import RunState
from app.tui import make_app
from tests.tui.conftest import SIZE, screen_text, settle

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "sample_configs").glob("*.yaml"))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
async def test_every_sample_config_debugs_to_the_end(path, monkeypatch):
    monkeypatch.chdir(ROOT)
    app = make_app(path, stable=True, overrides={"train.local_update_steps": 1,
                                                 "train.batch_or_epoch": "epoch"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", "n", "n", "s", "s", "b")
        await settle(pilot)
        assert "batch 0 of" in screen_text(app, "#status")
        await pilot.press("t", "m", "t")
        await pilot.press("c")
        await settle(pilot)
        assert app.session.state is RunState.FINISHED, app.session.reason
        assert "FINISHED" in screen_text(app, "#status")
        label, metrics = app.session.metric_history[-1]
        assert label.startswith("train/train") and metrics
        expected_findings = path.stem == "leaky_hooks"
        assert bool(app.session.findings) == expected_findings
        await pilot.press("r", "y", "b")  # restart puts every model back and runs again
        await settle(pilot)
        assert app.session.state is RunState.PAUSED, app.session.log[-1]
        assert "batch 0 of" in screen_text(app, "#status")
