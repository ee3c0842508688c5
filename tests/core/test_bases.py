"""A shared base model: pretrain on every user's likes, then fine-tune one user from it."""

from __future__ import annotations

import json

import attrs
import numpy as np
import pytest
from click.testing import CliRunner

from devface_adapters.cli import main, run_command
from devface_adapters.memory import MemoryAdapter
from devface_core.pipeline import run_pretraining as pretrain
from devface_core.config import PRETRAIN_STEPS
from devface_core.config_loading import load_config
from devface_core.gan.recipe import R1_FOR_BASES, r1_strength
from devface_core.errors import ConfigError
from devface_core.gan.trainer import Trainer
from tests.helpers.bases import forget_saved_settings
from tests.helpers.images import face_like


@pytest.fixture
def tiny_config(tiny_config):
    """This file's checks are written for 32×32 (its images, sizes and stages), not conftest's 16×16."""
    return attrs.evolve(tiny_config, image_size=32)

TINY = ["--epochs", "1", "--image-size", "16", "--batch-size", "4", "--z-dim", "8"]


@pytest.fixture
def likes(tmp_path):
    for user in ("ann", "bob", "cy"):
        (tmp_path / "likes" / user).mkdir(parents=True)
        for index in range(3):
            (tmp_path / "likes" / user / f"{index}.png").write_bytes(face_like(index + 10 * len(user), 16))
    return tmp_path / "likes"


def test_pretrain_uses_every_user_and_a_run_fine_tunes_from_the_base(likes, tmp_path):
    result = CliRunner().invoke(main, ["pretrain", "--source", f"dir:{likes}", "--out", str(tmp_path / "base"),
                                       "--ema", "0.9", *TINY, "--encoder-steps", "4", "--adapt-steps", "2",
                                       "--upscaler-steps", "3", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["encoder_steps"], report["adapt_steps"], report["upscaler_steps"]) == (4, 2, 3)
    assert report["users"] == ["ann", "bob", "cy"] and report["images_used"] == 9
    assert report["config"]["r1_gamma"] == R1_FOR_BASES  # 'auto': a base trains with R1
    assert report["config"]["max_steps"] == PRETRAIN_STEPS  # a base's own default length (--epochs 1 ends it here)
    assert sorted(p.name for p in (tmp_path / "base").iterdir()) == [
        "discriminator.weights.h5", "encoder.weights.h5", "generator.weights.h5", "sampler.weights.h5", "settings.json",
        "upscaler.weights.h5"]
    # No --image-size or --z-dim: the fine-tune takes them from the base (16 and 8, not the defaults).
    result = CliRunner().invoke(run_command, ["--source", f"dir:{likes}", "--sink", "memory:base-test", "--user",
                                              "ann", "--init-from", str(tmp_path / "base"), "--epochs", "1",
                                              "--batch-size", "4", "--personalize", "finetune", "--json"])
    assert result.exit_code == 0, result.output
    assert MemoryAdapter(space="base-test").space.published("ann") is not None
    assert (json.loads(result.stdout)["config"]["image_size"], json.loads(result.stdout)["config"]["z_dim"]) == (16, 8)


def test_fine_tuning_starts_from_the_base_weights(tiny_config, tmp_path):
    images = np.random.default_rng(0).integers(0, 255, (8, 32, 32, 3), dtype=np.uint8)
    base_trainer = Trainer(attrs.evolve(tiny_config, epochs=1, ema=0.9, seed=5))
    list(base_trainer.train(images))
    base_trainer.save_base(tmp_path / "base")
    tuned = Trainer(attrs.evolve(tiny_config, ema=0.9, init_from=str(tmp_path / "base")))
    for loaded, saved in zip(tuned.generator.get_weights(), base_trainer.generator.get_weights()):
        assert np.array_equal(loaded, saved)
    for loaded, saved in zip(tuned.sampler.get_weights(), base_trainer.sampler.get_weights()):
        assert np.array_equal(loaded, saved)


def test_a_fine_tunes_weight_average_starts_at_the_base_and_keeps_the_full_decay(tiny_config, tmp_path):
    images = np.random.default_rng(0).integers(0, 255, (4, 32, 32, 3), dtype=np.uint8)  # one step per epoch
    Trainer(attrs.evolve(tiny_config, ema=0.9)).save_base(tmp_path / "base")
    tuned = Trainer(attrs.evolve(tiny_config, ema=0.9, epochs=1, init_from=str(tmp_path / "base")))
    base_average = [variable.numpy() for variable in tuned.ema_generator.trainable_variables]
    list(tuned.train(images))
    # The warm-up's decay at the first step would be 1/10: the average would be 90 % the new weights.
    for average, start, weight in zip(tuned.ema_generator.trainable_variables, base_average,
                                      tuned.generator.trainable_variables):
        assert np.allclose(average.numpy(), 0.9 * start + 0.1 * weight.numpy(), atol=1e-6)


def test_r1_on_auto_weighs_in_for_bases_and_fine_tunes_but_not_from_scratch(tiny_config, tmp_path):
    Trainer(tiny_config).save_base(tmp_path / "base")
    fine_tune = attrs.evolve(tiny_config, init_from=str(tmp_path / "base"))
    assert tiny_config.r1_gamma is None and load_config(overrides={"r1_gamma": "auto"}).r1_gamma is None
    assert Trainer(tiny_config).config.r1_gamma == 0.0
    assert Trainer(fine_tune).config.r1_gamma == R1_FOR_BASES
    assert Trainer(attrs.evolve(fine_tune, r1_gamma=0.0)).config.r1_gamma == 0.0  # a value given wins
    assert r1_strength(tiny_config, pretraining=True) == R1_FOR_BASES
    assert r1_strength(attrs.evolve(tiny_config, r1_gamma=3.0), pretraining=True) == 3.0


def test_fine_tuning_scales_both_learning_rates(tiny_config, tmp_path):
    Trainer(tiny_config).save_base(tmp_path / "base")
    scratch = Trainer(tiny_config)
    tuned = Trainer(attrs.evolve(tiny_config, init_from=str(tmp_path / "base"), finetune_lr_scale=0.5))
    for name in ("g_optimizer", "d_optimizer"):
        rates = [float(getattr(trainer.models, name).learning_rate.numpy()) for trainer in (scratch, tuned)]
        assert rates[1] == pytest.approx(rates[0] * 0.5) and rates[0] == pytest.approx(2e-4)
    with pytest.raises(ConfigError, match="finetune_lr_scale"):
        load_config(overrides={"finetune_lr_scale": 0})


def test_fine_tuning_stops_at_finetune_steps_unless_max_steps_comes_first(tiny_config, tmp_path):
    images = np.random.default_rng(1).integers(0, 255, (4, 32, 32, 3), dtype=np.uint8)  # one step per epoch
    Trainer(tiny_config).save_base(tmp_path / "base")
    # One snapshot at the end: a snapshot per epoch made this test 47 s on a slow host.
    tuned = attrs.evolve(tiny_config, epochs=8, max_steps=0, finetune_steps=3, sample_every=8,
                         init_from=str(tmp_path / "base"))
    for config, steps in ((tuned, 3), (attrs.evolve(tuned, max_steps=2), 2), (attrs.evolve(tuned, init_from=None), 8)):
        trainer = Trainer(config)
        list(trainer.train(images))
        assert trainer.steps_done == steps
        del trainer  # its engine goes back: the next fine-tune is lent it


def test_a_base_of_another_size_is_refused_with_what_differs(tiny_config, tmp_path):
    Trainer(tiny_config).save_base(tmp_path / "base")
    with pytest.raises(ConfigError, match=r"image_size 32 \(this run: 48\)"):
        Trainer(attrs.evolve(tiny_config, image_size=48, init_from=str(tmp_path / "base")))
    with pytest.raises(ConfigError, match="not a devface base model"):
        Trainer(attrs.evolve(tiny_config, init_from=str(tmp_path / "nowhere")))


def test_a_fine_tune_takes_the_bases_shape_unless_a_setting_names_another(tiny_config, tmp_path):
    shaped = attrs.evolve(tiny_config, grow_from=16, upsample="nearest", minibatch_stddev=True)
    Trainer(shaped).save_base(tmp_path / "base")
    base = str(tmp_path / "base")
    taken = load_config(environ={}, overrides={"init_from": base})
    assert (taken.image_size, taken.z_dim, taken.grow_from, taken.upsample, taken.minibatch_stddev) == (
        32, 8, 16, "nearest", True)
    assert Trainer(taken).steps_done == 0  # the base loads into it
    named = load_config(environ={"DEVFACE_IMAGE_SIZE": "64"}, overrides={"init_from": base, "upsample": "bilinear"})
    assert (named.image_size, named.upsample, named.z_dim) == (64, "bilinear", 8)
    with pytest.raises(ConfigError, match=r"image_size 32 \(this run: 64\).*upsample 'nearest'"):
        Trainer(named)
    with pytest.raises(ConfigError, match="init_from .*nowhere: not a devface base model"):
        load_config(environ={}, overrides={"init_from": str(tmp_path / "nowhere")})


def test_a_base_saved_before_the_upsample_setting_counts_as_nearest(tiny_config, tmp_path):
    Trainer(attrs.evolve(tiny_config, upsample="nearest")).save_base(tmp_path / "base")
    forget_saved_settings(tmp_path / "base", "upsample")
    with pytest.raises(ConfigError, match=r"upsample 'nearest' \(this run: 'bilinear'\)"):
        Trainer(attrs.evolve(tiny_config, upsample="bilinear", init_from=str(tmp_path / "base")))
    assert Trainer(attrs.evolve(tiny_config, upsample="nearest", init_from=str(tmp_path / "base"))).steps_done == 0


def test_pretrain_names_users_explicitly_when_the_source_cannot_list_them(tiny_config, tmp_path):
    store = MemoryAdapter(space="pretrain-users")
    for user in ("a", "b"):
        store.add(user, face_like(1, 32), "1.png")
    assert store.users() == ["a", "b"]
    report = pretrain(store, ["b"], attrs.evolve(tiny_config, epochs=1), tmp_path / "base")
    assert report.users == ("b",) and report.images_used == 1


def test_a_fine_tune_resumes_only_from_the_base_again(tiny_config, tmp_path):
    images = np.random.default_rng(2).integers(0, 255, (4, 32, 32, 3), dtype=np.uint8)
    Trainer(tiny_config).save_base(tmp_path / "base")
    tuned = attrs.evolve(tiny_config, epochs=2, init_from=str(tmp_path / "base"), checkpoint_dir=str(tmp_path))
    list(Trainer(tuned, tmp_path / "tuned").train(images))
    forgotten = attrs.evolve(tuned, init_from=None, resume=True)
    with pytest.raises(ConfigError, match=r"fine_tuned_from_base True → False.*give --init-from"):
        next(Trainer(forgotten, tmp_path / "tuned").train(images))
    with pytest.raises(ConfigError, match=r"mirror True → False\); use the same settings") as refused:
        next(Trainer(attrs.evolve(tuned, resume=True, mirror=False), tmp_path / "tuned").train(images))
    assert "--init-from" not in str(refused.value)  # it was given: only the hint that applies
    resumed = Trainer(attrs.evolve(tuned, resume=True, epochs=3), tmp_path / "tuned")
    list(resumed.train(images))
    assert resumed.resumed_from_step == 2 and resumed.steps_done == 3


def test_a_run_from_scratch_resumes_whatever_its_fine_tuning_rate(tiny_config, tmp_path):
    images = np.random.default_rng(3).integers(0, 255, (4, 32, 32, 3), dtype=np.uint8)
    scratch = attrs.evolve(tiny_config, epochs=2, checkpoint_dir=str(tmp_path))
    list(Trainer(scratch, tmp_path / "u").train(images))
    resumed = Trainer(attrs.evolve(scratch, resume=True, epochs=3, finetune_lr_scale=0.5), tmp_path / "u")
    list(resumed.train(images))
    assert resumed.resumed_from_step == 2
