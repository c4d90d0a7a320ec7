"""The Warnings pane: one entry per lifecycle finding; enter on one shows its hook in the
tree (the hook is also marked ⚠ there), so a warning leads straight to the code that leaks."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from app.tui.render import relative_paths
from trainer_core.analysis.lifecycle import Finding


def finding_text(finding: Finding) -> Text:
    """One warning: what grows or outlives its scope, who did it (the assignment's line
    when the source shows it), and the fix."""
    text = Text()
    text.append("⚠ ", style="bold yellow")
    text.append(finding.where, style="bold")
    text.append(f" [{finding.kind.value}]", style="yellow")
    if finding.mode and finding.mode != "train":
        text.append(f" in {finding.mode}/{finding.split}", style="yellow")
    text.append(f"\n{finding.message}\n")
    text.append(f"{relative_paths(finding.blame)}\n", style="cyan")
    text.append(f"fix: {finding.hint}", style="green")
    return text


class FindingsList(OptionList):
    """Lifecycle findings; enter asks the screen to show the blamed hook (JumpToHook)."""

    class JumpToHook(Message):
        """Show ``finding``'s hook in the hook tree."""

        def __init__(self, finding: Finding) -> None:
            super().__init__()
            self.finding = finding

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.findings: list[Finding] = []

    def show_findings(self, findings: Sequence[Finding]) -> None:
        """Replace the entries (only when the findings changed: a rebuild moves the cursor)."""
        findings = list(findings)
        if findings == self.findings and self.option_count:
            return
        highlighted = self.highlighted
        self.findings = findings
        self.clear_options()
        if not findings:
            self.add_option(Option(Text("No lifecycle findings.", style="dim"), disabled=True))
            return
        for index, finding in enumerate(findings):
            if index:
                self.add_option(None)  # a separator line between warnings
            self.add_option(Option(finding_text(finding), id=str(index)))
        if highlighted is not None and highlighted < self.option_count:
            self.highlighted = highlighted

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.JumpToHook(self.findings[int(event.option.id)]))
