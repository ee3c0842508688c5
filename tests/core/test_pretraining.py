"""Long pretraining: checkpoints and --resume, a time budget, a contact sheet per snapshot, and a gentle stop
(Ctrl-C or SIGTERM) that still leaves a usable base."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import threading

import attrs
import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from devface_adapters.cli import main
from devface_core.config import PRETRAIN_STEPS
from devface_core.config_loading import load_config
from devface_core.gan.checkpoints import has_checkpoint
from devface_core.gan.trainer import Trainer
from devface_core.pipeline import run_pretraining
from tests.helpers.images import face_like
from tests.helpers.sources import two_users
from tests.helpers.scripts import script


@pytest.fixture
def crowd():
    """Two users' likes in a memory store of its own."""
    return two_users("pretraining-test")


@pytest.fixture
def config(tiny_config):
    return attrs.evolve(tiny_config, epochs=100_000, sample_every=4, checkpoint_every=4, ema=0.9)


def weights(base) -> dict[str, np.ndarray]:
    """Every array in a base's weight files, by file and path."""
    arrays = {}
    for name in ("generator", "discriminator", "sampler"):
        with h5py.File(base / f"{name}.weights.h5") as h5:
            h5.visititems(lambda path, item: arrays.update({f"{name}/{path}": item[()]})
                          if isinstance(item, h5py.Dataset) else None)
    return arrays


def test_a_resumed_pretraining_saves_the_base_an_uninterrupted_one_does(crowd, config, tmp_path):
    users = ("ann", "bob")
    straight = run_pretraining(crowd, users, attrs.evolve(config, max_steps=8), tmp_path / "straight")
    split = attrs.evolve(config, checkpoint_dir=str(tmp_path / "ck"), contact_sheets=str(tmp_path / "sheets"))
    first = run_pretraining(crowd, users, attrs.evolve(split, max_steps=4), tmp_path / "split")
    assert first.steps == 4 and has_checkpoint(tmp_path / "ck")
    second = run_pretraining(crowd, users, attrs.evolve(split, max_steps=8, resume=True), tmp_path / "split")
    assert (second.resumed_from_step, second.steps, straight.steps) == (4, 8, 8)
    expected, resumed = weights(tmp_path / "straight"), weights(tmp_path / "split")
    assert expected.keys() == resumed.keys() and len(expected) > 10
    assert all(np.array_equal(expected[key], resumed[key]) for key in expected)
    assert sorted(p.name for p in (tmp_path / "sheets").iterdir()) == ["pretrain-step-0000004.png",
                                                                       "pretrain-step-0000008.png"]


def test_a_stop_request_ends_pretraining_early_with_a_base_and_a_checkpoint_to_resume(crowd, config, tmp_path):
    stop = threading.Event()
    config = attrs.evolve(config, max_steps=10_000, checkpoint_dir=str(tmp_path / "ck"))
    report = run_pretraining(crowd, ("ann", "bob"), config, tmp_path / "base", progress=lambda _: stop.set(),
                             stop=stop)
    assert report.stopped and 0 < report.steps <= 4  # the first chunk ends at the first snapshot step
    assert (tmp_path / "base" / "sampler.weights.h5").exists()
    with np.load(next((tmp_path / "ck").glob("snapshots-*.npz"))) as saved:  # hours of them would not fit
        assert json.loads(str(saved["meta"])) == [], "a pretraining keeps no snapshots"
    resumed = run_pretraining(crowd, ("ann", "bob"), attrs.evolve(config, max_steps=8, resume=True), tmp_path / "base")
    assert (resumed.resumed_from_step, resumed.steps, resumed.stopped) == (report.steps, 8, False)


def test_a_base_defaults_to_precision_auto_and_a_users_run_to_float32():
    assert load_config(environ={}, pretraining=True).precision == "auto"
    assert load_config(environ={}, overrides={"precision": "float32"}, pretraining=True).precision == "float32"
    assert load_config(environ={}).precision == "float32"


def test_a_time_budget_lifts_the_pretraining_step_limit_unless_one_is_given():
    assert load_config(pretraining=True).max_steps == PRETRAIN_STEPS
    assert load_config(overrides={"max_seconds": 60}, pretraining=True).max_steps == 0
    assert load_config(overrides={"max_seconds": 60, "max_steps": 50}, pretraining=True).max_steps == 50
    assert load_config(overrides={"max_seconds": 60}).max_steps == 1500  # a user's run keeps its own limit


def test_hours_cannot_be_given_with_max_seconds(tmp_path):
    result = CliRunner().invoke(main, ["pretrain", "--source", "demo", "--out", str(tmp_path / "base"), "--hours", "1",
                                       "--max-seconds", "5"])
    assert result.exit_code == 2 and "--hours or --max-seconds, not both" in result.output
    assert not (tmp_path / "base").exists()


def test_a_growing_run_resumed_with_a_longer_budget_stays_fully_faded_in(tmp_path):
    images = np.random.default_rng(3).integers(0, 255, (8, 64, 64, 3), dtype=np.uint8)
    config = load_config(overrides=dict(image_size=64, grow_from=16, batch_size=4, z_dim=8, max_steps=2,
                                        sample_every=2, checkpoint_every=2, samples_per_snapshot=2,
                                        checkpoint_dir=str(tmp_path)))
    first = Trainer(config, tmp_path / "run")
    first.grow_to_full_size()  # as if it had grown: checkpoints are written at full size only
    list(first.train(images))
    # 2 of 6 steps is a third of the budget: the schedule's second stage, its block half faded in; the
    # checkpoint is at full size, where a resumed run must stay (fade 1), not fade its newest block back.
    resumed = Trainer(attrs.evolve(config, max_steps=6, resume=True), tmp_path / "run")
    list(itertools.islice(resumed.train(images), 2))  # the checkpoint's own snapshot, then step 4's
    assert resumed.resumed_from_step == 2 and resumed.stage == 2
    assert float(resumed.stages.fade_alpha) == 1.0


def test_the_first_sigint_stops_an_hours_long_pretraining_gently_with_the_base_saved(tmp_path):
    likes = tmp_path / "likes" / "ann"
    likes.mkdir(parents=True)
    for index in range(3):
        (likes / f"{index}.png").write_bytes(face_like(index, 16))
    command = [script("devface"), "pretrain", "--source", f"dir:{tmp_path / 'likes'}", "--out", str(tmp_path / "base"),
               "--image-size", "16", "--batch-size", "4", "--z-dim", "8", "--hours", "1", "--json"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stderr:  # the first progress line: it is training
            if "training: step " in line:
                break
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        process.kill()  # a run that ignored the signal would train for an hour
    assert process.returncode == 0, stderr
    assert "SIGINT: stopping after the current steps" in stderr
    report = json.loads(stdout)
    assert report["stopped"] and 0 < report["steps"] < 1000
    assert (report["config"]["max_seconds"], report["config"]["max_steps"]) == (3600, 0)  # hours, no step limit
    assert (tmp_path / "base" / "sampler.weights.h5").exists()


def test_a_checkpoint_made_under_other_defaults_resumes_without_naming_its_settings(crowd, config, tmp_path):
    # A tiny base: its shape and recipe differ from devface pretrain's defaults in many settings.
    first = run_pretraining(crowd, ("ann", "bob"), attrs.evolve(config, max_steps=4, checkpoint_dir=str(tmp_path)),
                            tmp_path / "base")
    assert first.steps == 4
    resumed = load_config(environ={}, overrides={"resume": True, "checkpoint_dir": str(tmp_path), "max_steps": 8,
                                                 "encoder_steps": 0, "upscaler_steps": 0}, pretraining=True)
    assert (resumed.image_size, resumed.z_dim, resumed.augment) == (config.image_size, config.z_dim, config.augment)
    second = run_pretraining(crowd, ("ann", "bob"), resumed, tmp_path / "base")
    assert (second.resumed_from_step, second.steps) == (4, 8)
    # A setting the operator names still wins (training then refuses the checkpoint: tests/core/test_checkpoints).
    named = load_config(environ={}, overrides={"resume": True, "checkpoint_dir": str(tmp_path), "z_dim": 12},
                        pretraining=True)
    assert named.z_dim == 12 and named.image_size == config.image_size
