"""Selection: `latest` is by numeric epoch, whatever the digit count."""

from __future__ import annotations

import numpy as np

from devface_core.selection import select_snapshot
from devface_core.types import Snapshot


def _snapshots(epochs):
    return [Snapshot(epoch=e, images=np.zeros((1, 4, 4, 3), np.uint8)) for e in epochs]


def test_latest_is_the_highest_epoch_not_the_last_in_text_order():
    # Sorted as text, "900" comes after "1000": the original published epoch 900.
    shuffled = _snapshots([900, 1, 1000, 100])
    choice = select_snapshot(shuffled, "latest")
    assert choice.snapshot.epoch == 1000
    assert choice.sample_index == 0


def test_best_falls_back_to_latest_and_says_so():
    choice = select_snapshot(_snapshots([1, 100, 900, 1000]), "best")
    assert choice.snapshot.epoch == 1000
    assert "fell back" in choice.reason
