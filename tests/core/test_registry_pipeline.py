"""Hook references (name, module:function, file.py:function) and pipeline export/load."""

from __future__ import annotations

import textwrap

import pytest

from tests.conftest import blobs, tiny_config, tiny_model
from tests.core import sample_hooks
from trainer_core.config.pipeline import (
    PipelineError,
    apply_pipeline,
    describe_pipeline,
    export_pipeline,
    load_pipeline,
)
from trainer_core.config.registry import Registry, hook_ref, resolve_hook
from trainer_core.errors import UnresolvedReference
from trainer_core.trainers.multi_model import MultiModelTrainer


@pytest.fixture
def hook_file(tmp_path):
    folder = tmp_path / "cfg"
    (folder / "hooks").mkdir(parents=True)
    (folder / "hooks" / "extra.py").write_text(textwrap.dedent("""
        def count_batches(ctx):
            ctx.count = ctx.get("count", 0) + 1
    """))
    return folder


def test_short_names_resolve_to_the_trainers_own_hooks(make_trainer):
    trainer = make_trainer()
    hook = resolve_hook("_hook_on_batch_forward", trainer=trainer)
    assert hook == trainer._hook_on_batch_forward
    assert hook in trainer.hooks_in_train["on_batch_forward"]


def test_registry_names_and_suggestions():
    registry = Registry.with_defaults()
    registry.add_hook("log_loss", sample_hooks.log_loss)
    assert resolve_hook("log_loss", registry=registry) is sample_hooks.log_loss
    with pytest.raises(UnresolvedReference, match=r"no hook of that name \(did you mean "
                                                  r"'log_loss'\?\)"):
        resolve_hook("log_los", registry=registry)
    assert "_hook_on_fit_end" in registry.hook_names()


def test_module_and_file_references(hook_file):
    assert resolve_hook("tests.core.sample_hooks:log_loss") is sample_hooks.log_loss
    assert resolve_hook("tests.core.sample_hooks:Hooks.nested") is sample_hooks.Hooks.nested
    counted = resolve_hook("hooks/extra.py:count_batches", base_dir=hook_file)
    assert counted.__name__ == "count_batches"
    assert resolve_hook("hooks/extra.py:count_batches", base_dir=hook_file) is counted


@pytest.mark.parametrize(("reference", "match"), [
    ("tests.core.sample_hooks:log_los", r"has no attribute 'log_los' \(did you mean "
                                        r"'log_loss'\?\)"),
    ("tests.core.no_such_module:f", r"importing 'tests.core.no_such_module' failed: "
                                    r"ModuleNotFoundError"),
    ("hooks/missing.py:f", r"file .*missing.py does not exist"),
    ("hooks/broken.py:f", r"running .*broken.py failed: ZeroDivisionError: division by zero"),
    ("tests.core.sample_hooks:Hooks", r"names a class"),
    (":f", r"expected a hook name"),
])
def test_bad_references_say_what_went_wrong(hook_file, reference, match):
    (hook_file / "hooks" / "broken.py").write_text("x = 1 / 0\n")
    with pytest.raises(UnresolvedReference, match=match) as info:
        resolve_hook(reference, base_dir=hook_file)
    assert info.value.reference == reference


def test_hook_ref_round_trips_and_refuses_lambdas(make_trainer, hook_file):
    trainer = make_trainer()
    registry = Registry()
    registry.add_hook("short", sample_hooks.Hooks.nested)
    counted = resolve_hook("hooks/extra.py:count_batches", base_dir=hook_file)
    cases = [trainer._hook_on_batch_end, sample_hooks.log_loss, sample_hooks.Hooks.nested,
             counted]
    for hook in cases:
        ref = hook_ref(hook, registry=registry, trainer=trainer, base_dir=hook_file)
        assert resolve_hook(ref, registry=registry, trainer=trainer, base_dir=hook_file) == hook
    assert hook_ref(counted, base_dir=hook_file) == "hooks/extra.py:count_batches"
    with pytest.raises(UnresolvedReference, match="lambdas and closures have no name"):
        hook_ref(lambda ctx: None)


def test_export_then_load_gives_identical_hook_sets(tmp_path, make_trainer, hook_file):
    trainer = make_trainer()
    counted = resolve_hook("hooks/extra.py:count_batches", base_dir=hook_file)
    trainer.register_hook_in_train(counted, "on_batch_end", insert_pos=0)
    trainer.register_hook_in_eval(sample_hooks.log_loss, "on_batch_forward")
    trainer.move_hook_in_train("on_batch_end", 0, 1)
    path = export_pipeline(trainer, hook_file / "pipeline.yaml", source="test")
    text = path.read_text()
    assert "hooks/extra.py:count_batches" in text and "exported from test" in text

    other = make_trainer()
    load_pipeline(other, path)
    for mine, theirs in zip(trainer.hook_sets(), other.hook_sets(), strict=True):
        assert theirs.hookset.same_hooks(mine.hookset.snapshot())
    assert other.train()[2]["train_total"] == 80


def test_multi_model_pipeline_round_trip(tmp_path):
    multi = MultiModelTrainer(2, "parallel", model=tiny_model(), data={"train": blobs(16)},
                              config=tiny_config())
    multi.reset_hook_in_train("on_fit_end", model_idx=1)
    path = export_pipeline(multi, tmp_path / "p.yaml")
    fresh = MultiModelTrainer(2, "parallel", model=tiny_model(), data={"train": blobs(16)},
                              config=tiny_config())
    load_pipeline(fresh, path)
    assert fresh.hook_set("train", 1).names("on_fit_end") == []
    assert fresh.hook_set("train", 0).names("on_fit_end") == ["_hook_on_fit_end"]
    apply_pipeline(fresh, {"train": {"on_fit_start": ["_hook_on_fit_start_init"]}})
    assert all(hs.names("on_batch_end") == [] for hs in fresh.hook_sets_of("train"))


@pytest.mark.parametrize(("mapping", "match"), [
    ({"trian": {}}, r"hooks\.pipeline\.trian: unknown hook set 'trian' \(did you mean 'train'"),
    ({"train": {"on_batch_fwd": []}}, r"hooks\.pipeline\.train\.on_batch_fwd: unknown trigger"),
    ({"train": {"on_fit_end": ["_hook_on_fit_start_init", "nope"]}},
     r"hooks\.pipeline\.train\.on_fit_end\[1\]: hook reference 'nope'"),
    ({"train": ["_hook_on_fit_end"]}, r"must map triggers to lists"),
])
def test_bad_pipeline_names_the_key_and_changes_nothing(make_trainer, mapping, match):
    trainer = make_trainer()
    before = [ref.hookset.snapshot() for ref in trainer.hook_sets()]
    with pytest.raises(PipelineError, match=match):
        apply_pipeline(trainer, {"eval": {}, **mapping})
    assert [ref.hookset.snapshot() for ref in trainer.hook_sets()] == before


def test_describe_pipeline_lists_every_hook_with_its_location(make_trainer):
    rows = describe_pipeline(make_trainer())
    train_rows = [(r.trigger, r.position, r.info.name) for r in rows if r.label == "train"]
    assert train_rows[:2] == [("on_fit_start", 0, "_hook_on_fit_start_init"),
                              ("on_epoch_start", 0, "_hook_on_epoch_start")]
    assert len(rows) == 8 + 6
    assert all(r.info.location.split(":")[0].endswith("torch_trainer.py") for r in rows)
