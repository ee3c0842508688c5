"""TensorBoard logs of a training run: the losses at every progress tick and every snapshot's samples.

`devface-run --log-dir DIR` writes `DIR/<user id, percent-encoded>/`, `devface pretrain --log-dir DIR`
writes `DIR/pretrain/`; `tensorboard --logdir DIR` then shows the losses as curves over steps and each
snapshot's samples as images under the step they were drawn at. Without a folder nothing is written.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Callable, Iterator

import tensorflow as tf

from devface_core.types import Progress, Snapshot

ProgressCallback = Callable[[Progress], None]


class TrainingLog:
    """Writes one run's losses and snapshots as TensorBoard events in `folder`."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self._writer = tf.summary.create_file_writer(str(self.folder))

    def following(self, progress: ProgressCallback | None) -> ProgressCallback:
        """A progress callback that logs each tick's losses, then hands the tick on to `progress`."""

        def tick(update: Progress) -> None:
            with self._writer.as_default(step=update.step):
                for name, value in update.losses.items():
                    tf.summary.scalar(f"losses/{name}", value)
            if progress is not None:
                progress(update)

        return tick

    def snapshot(self, snapshot: Snapshot) -> Snapshot:
        """Log a snapshot's samples as one image summary at its step; return it unchanged."""
        with self._writer.as_default(step=snapshot.step):
            tf.summary.image("snapshot samples", snapshot.images, max_outputs=len(snapshot.images))
        return snapshot

    def close(self) -> None:
        """Flush and close the event file."""
        self._writer.close()


class NoLog:
    """What a run without a log folder gets: hands progress on and writes nothing."""

    def following(self, progress: ProgressCallback | None) -> ProgressCallback | None:
        """The progress callback itself."""
        return progress

    def snapshot(self, snapshot: Snapshot) -> Snapshot:
        """The snapshot itself."""
        return snapshot


@contextlib.contextmanager
def training_log(root: str | None, name: str) -> Iterator[TrainingLog | NoLog]:
    """A TrainingLog in `root/name` for the length of the block (closed after it), or a NoLog without a root."""
    if root is None:
        yield NoLog()
        return
    log = TrainingLog(Path(root) / name)
    try:
        yield log
    finally:
        log.close()
