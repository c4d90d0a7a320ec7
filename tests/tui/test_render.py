"""Text renderers whose output must not depend on timing noise."""

from __future__ import annotations

from app.session import TimingRow
from app.tui.render import timings_text


def test_hidden_timings_order_does_not_follow_measured_time():
    rows = [TimingRow("_hook_on_fit_start_init", "on_fit_start", 1, 0.002),
            TimingRow("_hook_on_batch_forward", "on_batch_forward", 3, 0.001),
            TimingRow("_hook_on_batch_start_init", "on_batch_start", 3, 0.003)]
    texts = {timings_text(order, show_time=False).plain for order in (rows, rows[::-1])}
    assert len(texts) == 1
    lines = texts.pop().splitlines()[1:]
    assert [line.split()[0] for line in lines] == [
        "_hook_on_batch_start_init", "_hook_on_batch_forward", "_hook_on_fit_start_init"]


def test_shown_timings_are_slowest_first_as_given():
    rows = [TimingRow("slow", "on_batch_end", 1, 0.5), TimingRow("fast", "on_batch_end", 9, 0.1)]
    lines = timings_text(rows).plain.splitlines()[1:]
    assert [line.split()[0] for line in lines] == ["slow", "fast"]
    assert "us" in lines[0] and "-" not in lines[0].split("x")[1]


def test_context_columns_keep_the_120_column_layout_and_widen_after():
    from app.tui.render import BASE_WIDTHS, CONTEXT_COLUMNS, context_widths

    assert context_widths(76) == BASE_WIDTHS  # the table's width at 120 columns
    assert context_widths(40) == BASE_WIDTHS  # never narrower than that layout
    wide = dict(zip([c for c, _ in CONTEXT_COLUMNS], context_widths(116), strict=True))
    assert wide["lifecycle"] >= len("lifecycle") and wide["device"] >= len("device")
    assert wide["set by"] > 11 and wide["name"] > 16
    assert sum(w + 1 for w in wide.values()) <= 116 - 2  # room for the scrollbar
