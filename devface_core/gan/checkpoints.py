"""Training checkpoints: every variable that decides what comes next, and the snapshots taken so far.

A checkpoint holds both models' variables (weights, batch-norm statistics and the dropout seed states that
Keras keeps as variables), both optimizers' variables, the batch/noise RNG and the step reached (checkpoints
are numbered by it). Beside it, `snapshots-STEP.npz` holds the snapshots so far, so a resumed run chooses
among all of them.
TensorFlow commits a checkpoint by rewriting its small `checkpoint` state file atomically, after the data
files; the snapshot file is written (atomically) before that, so a kill at any point leaves the previous
complete checkpoint in force.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from devface_core.atomic import write_atomically
from devface_core.config import CHECKPOINT_SETTINGS, Config
from devface_core.errors import ConfigError
from devface_core.saved_settings import SETTINGS_FILE, read_checkpoint_settings
from devface_core.types import Snapshot
from devface_core.userid import encoded_user_id

logger = logging.getLogger(__name__)
# Whether the run was fine-tuned from a base (init_from) is recorded, not the base's path (paths move):
# a fine-tune resumed without --init-from would go on at full learning rates and without its step cap.
FINE_TUNED = "fine_tuned_from_base"


def user_checkpoint_dir(root: str | Path, user_id: str) -> Path:
    """A user's own folder under `root`: the id percent-encoded, so any id names exactly one folder."""
    return Path(root) / encoded_user_id(user_id)


def training_state(models, augment_probability: tf.Variable, rng: tf.random.Generator,
                   progress: tf.Variable) -> tf.train.Checkpoint:
    """Everything a resumed run needs to continue exactly (variable lists, so seed states are included);
    `progress` holds [epochs begun, steps done]."""
    return tf.train.Checkpoint(
        generator=[v.value for v in models.generator.variables],
        discriminator=[v.value for v in models.discriminator.variables],
        g_optimizer=[v.value for v in models.g_optimizer.variables],
        d_optimizer=[v.value for v in models.d_optimizer.variables],
        ema_generator=[v.value for v in models.average.variables] if models.average is not None else [],
        lecam_anchors=[models.anchors] if models.anchors is not None else [],
        augment_probability=augment_probability,
        rng=rng,
        progress=progress,
    )


def has_checkpoint(directory: str | Path) -> bool:
    """Whether a folder holds a complete checkpoint."""
    return tf.train.latest_checkpoint(str(directory)) is not None


def clear_checkpoints(directory: str | Path) -> None:
    """Forget a folder's checkpoints: a run that does not resume starts over and replaces them."""
    directory = Path(directory)
    if has_checkpoint(directory):
        logger.info("not resuming: replacing the checkpoints in %s", directory)
    for path in list(directory.glob("ckpt-*")) + list(directory.glob("snapshots-*.npz")):
        path.unlink(missing_ok=True)
    (directory / "checkpoint").unlink(missing_ok=True)


class TrainingCheckpoints:
    """Saves and restores one trainer's state in a folder, keeping the latest `keep` checkpoints."""

    def __init__(self, directory: Path, state: tf.train.Checkpoint, config: Config, keep: int = 2):
        self.directory = Path(directory)
        self._state = state
        self._config = config
        self._keep = keep
        self._manager = tf.train.CheckpointManager(state, str(self.directory), max_to_keep=keep)

    def latest_step(self) -> int | None:
        """The step of the newest complete checkpoint, or None."""
        latest = self._manager.latest_checkpoint
        return int(latest.rsplit("-", 1)[1]) if latest else None

    def save(self, step: int, snapshots: list[Snapshot]) -> None:
        """Commit a checkpoint at `step` with the snapshots taken so far."""
        self.directory.mkdir(parents=True, exist_ok=True)
        write_atomically(self.directory / SETTINGS_FILE, _settings_json(self._config))
        write_atomically(self._snapshot_path(step), _snapshots_npz(snapshots))
        self._manager.save(checkpoint_number=step)
        self._prune_snapshot_files()
        logger.debug("checkpoint: step %d saved in %s", step, self.directory)

    def restore(self) -> tuple[int, list[Snapshot]] | None:
        """Load the newest checkpoint into the trainer's variables; (step, snapshots) or None if none."""
        step = self.latest_step()
        if step is None:
            return None
        self._check_settings()
        self._state.restore(self._manager.latest_checkpoint).assert_existing_objects_matched()
        logger.info("resuming from the checkpoint of step %d in %s", step, self.directory)
        return step, _load_snapshots(self._snapshot_path(step))

    def _snapshot_path(self, step: int) -> Path:
        return self.directory / f"snapshots-{step}.npz"

    def _prune_snapshot_files(self) -> None:
        kept = {f"snapshots-{path.rsplit('-', 1)[1]}.npz" for path in self._manager.checkpoints}
        for path in self.directory.glob("snapshots-*.npz"):
            if path.name not in kept:
                path.unlink(missing_ok=True)

    def _check_settings(self) -> None:
        saved = read_checkpoint_settings(self.directory)
        current = json.loads(_settings_json(self._config))
        changed = [f"{name} {saved[name]!r} → {current[name]!r}" for name in current
                   if name in saved and saved[name] != current[name]]
        if changed:
            forgot_base = saved.get(FINE_TUNED) and not current[FINE_TUNED]
            hint = " (give --init-from as the first run did)" if forgot_base else ""
            raise ConfigError(f"cannot resume from {self.directory}: it was trained with other settings "
                              f"({'; '.join(changed)}){hint}; use the same settings or another checkpoint folder")


def _settings_json(config: Config) -> bytes:
    settings = config.to_dict()
    chosen = {name: settings[name] for name in CHECKPOINT_SETTINGS}
    if not config.init_from:
        del chosen["finetune_lr_scale"]  # unused from scratch: changing it must not block a resume
    chosen[FINE_TUNED] = bool(config.init_from)
    return json.dumps(chosen, sort_keys=True).encode()


def _snapshots_npz(snapshots: list[Snapshot]) -> bytes:
    buffer = io.BytesIO()
    meta = [{"step": s.step, "epoch": s.epoch, "losses": s.losses, "scores": s.scores} for s in snapshots]
    arrays: dict[str, Any] = {f"images_{i}": s.images for i, s in enumerate(snapshots)}
    np.savez(buffer, meta=np.array(json.dumps(meta)), **arrays)
    return buffer.getvalue()


def _load_snapshots(path: Path) -> list[Snapshot]:
    with np.load(path) as data:
        meta = json.loads(str(data["meta"]))
        if any("step" not in m for m in meta):
            raise ConfigError(f"cannot resume from {path.parent}: its checkpoint comes from a devface that counted "
                              "snapshots in epochs; start without --resume or use another checkpoint folder")
        return [Snapshot(step=m["step"], images=data[f"images_{i}"], losses=m["losses"], epoch=m["epoch"],
                         scores=tuple(m["scores"]) if m["scores"] is not None else None)
                for i, m in enumerate(meta)]
