"""--log-dir: TensorBoard events with every progress tick's losses and every snapshot's samples, per user."""

from __future__ import annotations

import importlib.util

import attrs
import pytest
import tensorflow as tf

from devface_adapters.memory import MemoryAdapter
from devface_core import run_pipeline
from devface_core.config_loading import load_config
from devface_core.errors import ConfigError
from devface_core.pipeline import run_pretraining
from devface_core.userid import encoded_user_id
from tests.helpers import images


def logged(folder) -> dict[str, list[tuple[int, object]]]:
    """Every summary value in a folder's event files, by tag: (step, value) in the order written."""
    found: dict[str, list[tuple[int, object]]] = {}
    for path in sorted(folder.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                found.setdefault(value.tag, []).append((event.step, tf.make_ndarray(value.tensor)))
    return found


def test_losses_and_snapshots_are_logged_at_their_steps_in_the_users_folder(tiny_config, tmp_path):
    store = MemoryAdapter(space="training-log")
    for index in range(6):
        store.add("a/b", images.face_like(index, 16), f"{index}.png")
    config = attrs.evolve(tiny_config, epochs=3, sample_every=4, log_dir=str(tmp_path / "logs"))
    report = run_pipeline(store, store, "a/b", config)
    assert report.steps == 6  # 3 epochs of 2 steps: ticks at 4 (a snapshot) and 6 (the last)
    events = logged(tmp_path / "logs" / encoded_user_id("a/b"))
    assert {"losses/d_loss", "losses/g_loss", "losses/augment_p", "snapshot samples"} <= set(events)
    assert [step for step, _ in events["losses/d_loss"]] == [4, 6]
    samples = events["snapshot samples"]
    assert [step for step, _ in samples] == [4, 6]
    # an image summary holds the width, the height and one encoded PNG per sample
    assert [len(value) for _, value in samples] == [2 + config.samples_per_snapshot] * 2
    assert samples[-1][1][:2].tolist() == [b"16", b"16"] and samples[-1][1][2].startswith(b"\x89PNG")


def test_pretraining_logs_in_its_own_folder(tiny_config, tmp_path):
    store = MemoryAdapter(space="training-log-pretrain")
    for user in ("a", "b"):
        store.add(user, images.face_like(len(user), 32), "1.png")
    config = attrs.evolve(tiny_config, image_size=32, epochs=1, max_steps=1, log_dir=str(tmp_path / "logs"))
    run_pretraining(store, ["a", "b"], config, tmp_path / "base")
    events = logged(tmp_path / "logs" / "pretrain")
    assert [step for step, _ in events["losses/d_loss"]] == [1]
    assert [step for step, _ in events["snapshot samples"]] == [1]


def test_a_log_dir_without_tensorboard_is_refused_before_anything_runs(monkeypatch, tmp_path):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *rest: None if name == "tensorboard" else real_find_spec(name, *rest))
    with pytest.raises(ConfigError, match=r"log_dir.*pip install 'devface\[tensorboard\]'"):
        load_config(environ={}, overrides={"log_dir": str(tmp_path)})
