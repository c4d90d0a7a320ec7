"""Is a size growing without bound? A rule over (step, bytes) samples, tolerant of flat steps.

A leak rises and keeps rising; a bounded buffer rises, then stops (a plateau), or rises and
is trimmed back (a sawtooth under a ceiling). So a series grows when:

* it rose at least ``min_rises`` times over at least ``min_span`` steps (flat steps between
  rises are fine: a list appended every second batch is still a leak), and
* it reached a new maximum in the last third of the span (a plateau or a sawtooth under a
  ceiling does not), and
* it ends above where it started.

While a routine runs the evidence asked for is strong (16 batch ends), so that a buffer
trimmed to its last 10 items is seen to plateau before anything is said; at the end of a
routine, or across rounds, the whole series is in and fewer steps suffice.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

#: (min_rises, min_span) while the routine runs, and once the series is complete.
RUNNING = (4, 16)
FINAL = (3, 3)
ROUNDS = (2, 2)


@dataclass(frozen=True, slots=True)
class Growth:
    """A rising series: from where to where, and how fast per step."""

    first_step: int
    last_step: int
    first_bytes: int
    last_bytes: int
    rises: int

    @property
    def span(self) -> int:
        return self.last_step - self.first_step

    @property
    def rate(self) -> float:
        """Bytes per step, over the whole series."""
        return (self.last_bytes - self.first_bytes) / self.span if self.span else 0.0

    def projected(self, steps_ahead: int) -> int:
        """The size ``steps_ahead`` steps after the last sample, at this rate."""
        return int(self.last_bytes + self.rate * max(steps_ahead, 0))


def growth(samples: Sequence[tuple[int, int]], rule: tuple[int, int] = RUNNING
           ) -> Growth | None:
    """The growth in ``samples`` ((step, bytes), steps increasing), or None (see module)."""
    min_rises, min_span = rule
    if len(samples) < 2:
        return None
    first_step, first_bytes = samples[0]
    last_step, last_bytes = samples[-1]
    span = last_step - first_step
    if span < min_span or last_bytes <= first_bytes:
        return None
    rises = sum(1 for (_, a), (_, b) in itertools.pairwise(samples) if b > a)
    if rises < min_rises:
        return None
    cut = first_step + span * 2 / 3
    before = max((b for step, b in samples if step < cut), default=first_bytes)
    after = max((b for step, b in samples if step >= cut), default=first_bytes)
    if after <= before:
        return None  # no new maximum lately: a plateau, or a sawtooth under a ceiling
    return Growth(first_step, last_step, first_bytes, last_bytes, rises)
