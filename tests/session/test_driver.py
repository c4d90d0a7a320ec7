"""The routine's thread and the session: abandoning a run never waits for an answer that
will not come."""

from __future__ import annotations

import queue
import threading
import time

from app.session.driver import Advance, RoutineDriver


class SlowToExit(queue.SimpleQueue):
    """An outbox whose last answer is followed by a slow exit of the routine's thread, as
    on a loaded machine: the thread is still alive after it has answered for good."""

    def put(self, item, block=True, timeout=None):
        super().put(item, block, timeout)
        if getattr(threading.current_thread(), "finishing", False):
            time.sleep(0.5)


class FakeRun:
    mode, split, finished = "train", "train", False

    def close(self) -> None:
        self.finished = True


def test_abandoning_a_finished_run_whose_thread_has_not_exited_returns():
    def pump(run, command):
        threading.current_thread().finishing = True  # the next answer is the last
        return "finished"

    driver = RoutineDriver(pump)
    driver._outbox = SlowToExit()
    driver.begin(FakeRun())
    assert driver.send(Advance(None, "continue")) == "finished"
    assert driver.alive  # answered, still exiting
    done = threading.Event()
    threading.Thread(target=lambda: (driver.abandon(), done.set()), daemon=True).start()
    assert done.wait(5), "abandon() waited for an answer the ended routine never gives"
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
