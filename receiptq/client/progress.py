"""The progress bar on stderr (rich): files done, submitted, skipped, completed, failed,
rate per minute and ETA."""

from __future__ import annotations

import sys
from typing import Any

from receiptq.client.entries import Entry
from receiptq.client.outputs import Summary


class Progress:
    """The rich progress bar on stderr; does nothing when `enabled` is False."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.enabled = enabled
        self._progress = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            ProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress
        from rich.text import Text

        class RateColumn(ProgressColumn):
            def render(self, task: Any) -> Text:
                speed = task.finished_speed or task.speed
                return Text(f"{speed * 60:.1f}/min" if speed else "-/min", style="cyan")

        self._progress = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=20),
            MofNCompleteColumn(),
            TextColumn(
                "{task.fields[submitted]} submitted {task.fields[skipped]} skipped"
                " [green]{task.fields[done]} completed[/] [red]{task.fields[failed]} failed[/]"
            ),
            RateColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(compact=True),
            console=Console(stderr=True),
            # Lines printed to stdout go above the bar only when stdout is the terminal
            # too; redirected to a file they must stay on stdout.
            redirect_stdout=sys.stdout.isatty(),
            redirect_stderr=False,
        )
        self._task = self._progress.add_task(
            "receipts", total=total, submitted=0, skipped=0, done=0, failed=0
        )

    def __enter__(self) -> Progress:
        if self._progress:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress:
            self._progress.stop()

    def update(self, entries: list[Entry], description: str | None = None) -> None:
        if not self._progress:
            return
        s = Summary.of(entries)
        self._progress.update(
            self._task,
            completed=sum(e.written for e in entries),
            submitted=s.submitted,
            skipped=s.skipped,
            done=s.completed,
            failed=s.failed,
            description=description or None,  # None: the description stays
        )
