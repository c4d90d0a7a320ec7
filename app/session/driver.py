"""The thread a session's routine runs on, so that a routine started inside a hook can be
stepped into.

A hook that calls ``trainer.evaluate()`` runs a whole routine before it returns. To stop
inside that routine, its caller's frames (the hook, the outer routine) must stay alive while
the user looks around. So each session runs its routine on a thread of its own, the *driver
thread*: a command (step, continue...) is handed to it and the caller waits for the stop;
at a stop, at any depth, the driver thread parks, holding its frames, until the next
command. The routine itself is the same generator ``train()`` drains: only who pulls it
changes.

Cost: one hand-over each way per command (tens of microseconds), nothing per point.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trainer_core.engine.points import Point
from trainer_core.engine.routine import RoutineRun

StopRule = Callable[[Point], bool]


@dataclass(frozen=True, slots=True)
class Advance:
    """One stepping command: stop where ``stop`` says (None: only at breakpoints, errors,
    a pause or the end), with ``reason`` as the stop's description."""

    stop: StopRule | None
    reason: str
    breakpoints: bool = True
    #: the command may stop at a RELEASE point (a batch's or epoch's end): ask the routine
    #: for them only then, since each is one more point per batch
    releases: bool = False


class Abandon(BaseException):
    """Raised at a parked stop to abandon the routine: unwinds every nested routine (each
    restores its ctx state) and the hooks that started them (a BaseException, so a hook's
    ``except Exception`` does not swallow it)."""


#: Delivered to the driver thread to abandon the run.
ABANDON = object()


class RoutineDriver:
    """Runs one session's routines on its own thread (see the module docstring).

    ``pump(run, command)`` is the session's stepping loop; it calls :meth:`park` at every
    stop and gets the next command back. The engine hands nested runs to :meth:`drive`
    (through the trainer's ``routine_driver``).
    """

    def __init__(self, pump: Callable[[RoutineRun, Advance], Any]) -> None:
        self._pump = pump
        self._inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._outbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        #: The thread has given its last answer (its routine ended): it takes no more
        #: commands, though it may not have exited yet.
        self._finished = False
        #: The command the driver thread is carrying out (a nested run continues it).
        self.command: Advance | None = None

    @property
    def alive(self) -> bool:
        """True while a routine's thread runs or is parked at a stop."""
        return self._thread is not None and self._thread.is_alive()

    def begin(self, run: RoutineRun) -> None:
        """Give ``run`` a thread of its own; it waits for the first command."""
        self._finished = False
        self._thread = threading.Thread(target=self._serve, args=(run,), daemon=True,
                                        name=f"hookscope {run.mode}/{run.split}")
        self._thread.start()

    def send(self, command: Advance) -> Any:
        """Carry out a command; returns what the stop delivered (or raises what the routine
        raised)."""
        self._inbox.put(command)
        return self._answer()

    def abandon(self) -> None:
        """Abandon the run (every routine restores its state); returns once it has.

        A thread whose routine ended has answered for the last time but may still be
        exiting (for a moment, longer on a loaded machine): it is joined, never sent a
        command it would not answer."""
        thread = self._thread
        if thread is not None:
            if thread.is_alive() and not self._finished:
                self._inbox.put(ABANDON)
                self._answer()
            thread.join()
        self._thread = None

    def _answer(self) -> Any:
        kind, value = self._outbox.get()
        if kind == "raise":
            raise value
        return value

    # -- on the driver thread ----------------------------------------------------------------
    def _serve(self, run: RoutineRun) -> None:
        outcome: tuple[str, Any] = ("ok", None)
        try:
            command = self._inbox.get()
            if command is ABANDON:
                raise Abandon
            self.command = command
            outcome = ("ok", self._pump(run, command))
        except Abandon:
            outcome = ("ok", None)
        except BaseException as exc:
            outcome = ("raise", exc)
        finally:
            if not run.finished:
                run.close()
        self._finished = True  # before the last answer: abandon() must not wait for another
        self._outbox.put(outcome)

    def park(self, result: Any) -> Advance:
        """At a stop: hand ``result`` to the waiting caller, wait for the next command."""
        self._outbox.put(("ok", result))
        command = self._inbox.get()
        if command is ABANDON:
            raise Abandon
        self.command = command
        return command

    def drive(self, run: RoutineRun) -> bool:
        """Run a routine a hook started (the engine asks): on the driver thread, through
        the stepping loop, so its points can be stopped at; anywhere else, decline (the
        engine then runs it to the end)."""
        if threading.current_thread() is not self._thread or self.command is None:
            return False
        try:
            self._pump(run, self.command)
        finally:
            if not run.finished:
                run.close()
        return True
