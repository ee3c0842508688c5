"""Checkpoints: an interrupted run resumed from its last checkpoint ends exactly where an uninterrupted one does."""

from __future__ import annotations

import json

import attrs
import numpy as np
import pytest

from devface_core.config import Config
from devface_core.errors import ConfigError
from devface_core.gan.checkpoints import user_checkpoint_dir
from devface_core.gan.trainer import Trainer


@pytest.fixture
def dataset():
    return np.random.default_rng(1).integers(0, 255, (12, 16, 16, 3), dtype=np.uint8)


@pytest.fixture
def config(tiny_config, tmp_path):
    return attrs.evolve(tiny_config, epochs=4, sample_every=2, checkpoint_every=2, checkpoint_dir=str(tmp_path))


def train(config: Config, images, folder):
    trainer = Trainer(config, folder)
    return trainer, list(trainer.train(images))


# With noise inputs their random draws resume too; with LeCam, its averages of D's logits.
@pytest.mark.parametrize("options", [{}, {"noise_inputs": True}, {"lecam": 0.3}], ids=["plain", "noise", "lecam"])
def test_resumed_run_matches_the_uninterrupted_run_byte_for_byte(config, dataset, tmp_path, options):
    config = attrs.evolve(config, **options)
    straight, uninterrupted = train(config, dataset, tmp_path / "straight")
    train(attrs.evolve(config, max_steps=4), dataset, tmp_path / "split")  # "killed" at step 4, mid-epoch 2
    trainer, resumed = train(attrs.evolve(config, resume=True), dataset, tmp_path / "split")
    assert trainer.resumed_from_step == 4
    assert trainer.steps_done == 4 * 3
    assert [s.step for s in resumed] == [2, 4, 6, 8, 10, 12]  # earlier snapshots come back from the checkpoint
    for whole, split in zip(uninterrupted, resumed):
        assert np.array_equal(whole.images, split.images)
    # The discriminator too: a small difference in it may not yet show in 8-bit snapshots.
    for whole, split in zip(straight.models.discriminator.variables, trainer.models.discriminator.variables):
        assert np.array_equal(whole.numpy(), split.numpy())


def test_resume_with_other_training_settings_is_refused(config, dataset, tmp_path):
    train(config, dataset, tmp_path / "u")
    with pytest.raises(ConfigError, match=r"image_size 16 → 48"):
        next(Trainer(attrs.evolve(config, resume=True, image_size=48), tmp_path / "u").train(
            np.zeros((4, 48, 48, 3), np.uint8)))


def test_a_run_without_resume_starts_over_and_replaces_old_checkpoints(config, dataset, tmp_path):
    train(config, dataset, tmp_path / "u")
    trainer, snapshots = train(attrs.evolve(config, epochs=1), dataset, tmp_path / "u")
    assert trainer.resumed_from_step is None and [s.step for s in snapshots] == [2, 3]
    assert sorted(p.name for p in (tmp_path / "u").glob("snapshots-*")) == ["snapshots-2.npz", "snapshots-3.npz"]
    assert sorted(p.name for p in (tmp_path / "u").glob("ckpt-*.index")) == ["ckpt-2.index", "ckpt-3.index"]


def test_resume_with_nothing_saved_trains_from_the_start(config, dataset, tmp_path):
    trainer, snapshots = train(attrs.evolve(config, resume=True, epochs=1), dataset, tmp_path / "new")
    assert trainer.resumed_from_step is None and trainer.steps_done == 3


def test_only_the_latest_two_checkpoints_are_kept(config, dataset, tmp_path):
    train(config, dataset, tmp_path / "u")
    assert sorted(p.name for p in (tmp_path / "u").glob("snapshots-*")) == ["snapshots-10.npz", "snapshots-12.npz"]


def test_a_checkpoint_counted_in_epochs_is_refused_with_what_to_do(config, dataset, tmp_path):
    train(attrs.evolve(config, epochs=1), dataset, tmp_path / "old")
    saved = tmp_path / "old" / "snapshots-3.npz"
    with np.load(saved) as data:
        arrays = dict(data)
    arrays["meta"] = np.array(json.dumps([{"epoch": 1, "losses": {}, "scores": None}] * 2))
    np.savez(saved, **arrays)  # what devface wrote before snapshots counted steps
    with pytest.raises(ConfigError, match="counted snapshots in epochs; start without --resume"):
        next(Trainer(attrs.evolve(config, resume=True), tmp_path / "old").train(dataset))


@pytest.mark.parametrize("user_id", ["alice", "../etc", "a/b", ".hidden", "アリス", "100%"])
def test_each_user_id_gets_its_own_folder_inside_the_root(tmp_path, user_id):
    folder = user_checkpoint_dir(tmp_path, user_id)
    assert folder.parent == tmp_path and folder.name not in (".", "..") and "/" not in folder.name


def test_distinct_user_ids_never_share_a_folder(tmp_path):
    ids = ["a.b", "a%2Eb", "a/b", "a%2Fb", "A.b"]
    assert len({user_checkpoint_dir(tmp_path, user_id) for user_id in ids}) == len(ids)


def test_resume_without_a_checkpoint_dir_is_a_config_error():
    from devface_core.config_loading import load_config

    with pytest.raises(ConfigError, match="resume needs checkpoint_dir"):
        load_config(overrides={"resume": True})
