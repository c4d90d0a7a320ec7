"""Read/write dependencies: static reads, observed writes, and edits that break them."""

from __future__ import annotations

from app.session import static_access
from trainer_core.engine.context import CtxVar, Lifecycle
from trainer_core.trainers.torch_trainer import TorchTrainer


def reads_loss_task(ctx):
    ctx.seen_task = CtxVar(float(ctx.loss_task), Lifecycle.BATCH)


def reads_a_typo(ctx):
    return ctx.loss_tsak


def optional_reader(ctx):
    return ctx.get("loss_regular")


def test_static_access_of_the_default_hooks():
    forward = static_access(TorchTrainer._hook_on_batch_forward)
    assert {"data_batch", "model", "criterion", "device"} <= forward.reads
    assert {"y_true", "y_prob", "loss_batch", "batch_size"} <= forward.writes
    backward = static_access(TorchTrainer._hook_on_batch_backward)
    assert "loss_task" in backward.reads and not backward.writes
    end = static_access(TorchTrainer._hook_on_batch_end)
    assert {"num_samples", "loss_batch_total"} <= end.reads & end.writes
    assert "loss_regular" in end.optional and "loss_regular" not in end.reads
    assert "get" not in end.reads
    assert static_access(optional_reader).optional == {"loss_regular"}


def scale_loss(ctx, factor):
    ctx.scaled_loss = ctx.loss_batch * factor


class CountingHook:
    def __init__(self):
        self.calls = 0

    def __call__(self, ctx):
        self.calls += 1
        ctx.batches_seen = ctx.get("batches_seen", 0) + ctx.batch_size

    def method(self, ctx):
        ctx.last_size = ctx.batch_size


def test_static_access_through_partials_callable_objects_and_bound_methods():
    import functools

    partial = static_access(functools.partial(scale_loss, factor=2))
    assert partial.reads == {"loss_batch"} and partial.writes == {"scaled_loss"}
    counter = CountingHook()
    called = static_access(counter)
    assert called.reads == {"batch_size"} and called.optional == {"batches_seen"}
    assert called.writes == {"batches_seen"}
    bound = static_access(counter.method)
    assert bound.reads == {"batch_size"} and bound.writes == {"last_size"}


def test_moving_backward_before_the_forward_hooks_is_flagged_and_not_applied(make_session):
    session = make_session()
    before = session.hookset().snapshot()
    outcome = session.move("on_batch_backward", 0, 0, "on_batch_forward")
    assert not outcome.applied
    assert session.hookset().snapshot() == before
    broken = {(f.attribute, f.reader, f.writer, f.kind) for f in outcome.findings}
    assert ("loss_task", "_hook_on_batch_backward", "_hook_on_batch_forward_regularizer",
            "writer-after-reader") in broken
    assert "loss_task" in outcome.findings[0].describe()
    confirmed = session.move("on_batch_backward", 0, 0, "on_batch_forward", confirm=True)
    assert confirmed.applied and confirmed.findings == outcome.findings
    assert session.hookset().names("on_batch_forward")[0] == "_hook_on_batch_backward"


def test_inserting_a_reader_before_its_writer_is_flagged(make_session):
    session = make_session()
    outcome = session.insert(reads_loss_task, "on_batch_start")
    assert not outcome.applied
    [finding] = outcome.findings
    assert (finding.attribute, finding.reader, finding.writer) == (
        "loss_task", "reads_loss_task", "_hook_on_batch_forward_regularizer")
    assert session.insert(reads_loss_task, "on_batch_end", 0).applied  # after it: fine


def test_inserting_a_hook_that_reads_what_nothing_writes_is_flagged(make_session):
    session = make_session()
    outcome = session.insert(reads_a_typo, "on_batch_end")
    assert [f.kind for f in outcome.findings] == ["never-written"]
    assert "loss_tsak" in outcome.findings[0].message


def test_removing_a_writer_that_later_hooks_read_is_flagged(make_session):
    session = make_session()
    outcome = session.remove("on_batch_forward", 1)  # the regularizer writes loss_task
    assert not outcome.applied
    assert {(f.attribute, f.reader, f.kind) for f in outcome.findings} == {
        ("loss_task", "_hook_on_batch_backward", "writer-removed")}
    removal = session.remove("on_batch_forward", 0)  # forward writes what four hooks read
    readers = {f.reader for f in removal.findings}
    assert {"_hook_on_batch_forward_regularizer", "_hook_on_batch_end"} <= readers


def test_harmless_edits_have_no_findings(make_session):
    session = make_session()
    assert session.insert(optional_reader, "on_batch_end").findings == []
    assert session.reset("on_epoch_end").findings == []  # empty trigger: nothing read


def test_writes_made_through_helpers_are_learnt_while_the_routine_runs(make_session):
    def helper(ctx):
        setattr_via_helper(ctx)

    def setattr_via_helper(ctx):
        ctx.hidden = CtxVar(1, Lifecycle.BATCH)

    def reads_hidden(ctx):
        return ctx.hidden

    session = make_session()
    session.insert(helper, "on_batch_start")
    session.insert(reads_hidden, "on_batch_end", confirm=True)
    assert "hidden" not in static_access(helper).writes
    session.step_epoch()
    assert "hidden" in session.access.access(helper).writes
    outcome = session.remove("on_batch_start", 1)  # the helper hook
    assert [(f.attribute, f.reader) for f in outcome.findings] == [("hidden", "reads_hidden")]


def collect_ys_prob(ctx):
    """Reads the list it writes itself (FederatedScope's ys_prob accumulator)."""
    ctx.ys_prob = [*ctx.ys_prob, ctx.y_prob.detach()]


def test_a_hook_that_reads_what_it_writes_itself_is_not_flagged(make_session):
    session = make_session()
    assert session.insert(collect_ys_prob, "on_batch_end").findings == []


def test_loading_a_pipeline_that_drops_a_writer_asks_first(make_session, tmp_path):
    session = make_session()
    session.remove("on_batch_forward", 1, confirm=True)  # drop the regularizer
    path = session.export_pipeline(tmp_path / "no_regularizer.yaml")
    session.undo()
    before = session.hookset("train").snapshot()
    findings = session.load_pipeline(path)
    assert [(f.attribute, f.kind) for f in findings] == [("loss_task", "writer-removed")]
    assert session.hookset("train").snapshot() == before  # nothing changed
    session.load_pipeline(path, confirm=True)
    assert len(session.hookset("train")["on_batch_forward"]) == 1
