"""The routine's thread and the session: abandoning a run never waits for an answer that
will not come."""

from __future__ import annotations

import queue
import threading

from app.session.driver import Advance, RoutineDriver


class SlowToExit(queue.SimpleQueue):
    """An outbox after whose last answer the routine's thread does not exit until ``gate``
    opens, as on a loaded machine: the thread is alive though it has answered for good."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def put(self, item, block=True, timeout=None):
        super().put(item, block, timeout)
        if getattr(threading.current_thread(), "finishing", False):
            self.gate.wait(10)


class FakeRun:
    mode, split, finished = "train", "train", False

    def close(self) -> None:
        self.finished = True


def test_abandoning_a_finished_run_whose_thread_has_not_exited_returns():
    def pump(run, command):
        threading.current_thread().finishing = True  # the next answer is the last
        return "finished"

    driver = RoutineDriver(pump)
    outbox = driver._outbox = SlowToExit()
    driver.begin(FakeRun())
    assert driver.send(Advance(None, "continue")) == "finished"
    assert driver.alive  # answered, held at the gate: still alive
    done = threading.Event()
    threading.Thread(target=lambda: (driver.abandon(), done.set()), daemon=True).start()
    outbox.gate.set()  # now it may exit; abandon() only has to join it
    assert done.wait(10), "abandon() waited for an answer the ended routine never gives"
    assert not driver.alive


def test_abandoning_a_parked_run_unwinds_it():
    parked = threading.Event()

    def pump(run, command):
        parked.set()
        driver.park("stopped")
        raise AssertionError("an abandoned run goes no further")

    driver = RoutineDriver(pump)
    run = FakeRun()
    driver.begin(run)
    assert driver.send(Advance(None, "step")) == "stopped"
    driver.abandon()
    assert run.finished and not driver.alive
