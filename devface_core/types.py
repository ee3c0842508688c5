"""Value types that flow through the pipeline: liked images in, snapshots, the published face, the report."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

import attrs
import numpy as np


@attrs.frozen
class SourceImage:
    """One liked image as a source stores it: raw bytes, base64 text or a data URL."""

    key: str
    data: bytes | str = attrs.field(repr=lambda d: f"<{len(d)} {type(d).__name__}>")
    user_id: str
    created_at: dt.datetime | None = None
    # Why the source could not read it (a file over the size limit, a link out of the likes folder): the
    # image is then skipped with this reason, and `data` is empty.
    problem: str | None = None


@attrs.frozen(eq=False)
class Snapshot:
    """Samples of the generator after `step` training steps: individual uint8 images (never a grid)."""

    step: int
    images: np.ndarray = attrs.field(repr=lambda a: f"<{a.shape} {a.dtype}>")
    losses: dict[str, float] = attrs.field(factory=dict)
    scores: tuple[float, ...] | None = None
    epoch: int | None = None  # the pass over the images that step fell in, for reports


@attrs.frozen
class PublishedImage:
    """The face a sink publishes: PNG bytes and where it came from."""

    png: bytes = attrs.field(repr=lambda d: f"<{len(d)} bytes>")
    width: int
    height: int
    step: int
    epoch: int | None = None
    score: float | None = None
    metadata: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class SkippedImage:
    """A liked image the pipeline could not use, and why."""

    key: str
    reason: str


class StopFlag(Protocol):
    """Asks a run to end early (a threading.Event does): it stops after its current chunk of steps."""

    def is_set(self) -> bool: ...


@attrs.frozen
class Progress:
    """One tick of training progress, handed to the `progress` callback every few steps (at most 25)."""

    epoch: int
    epochs: int
    step: int
    losses: dict[str, float]
    elapsed_s: float
    total_steps: int | None = None  # where the run will stop: its epochs' steps, or the step limit if sooner


@attrs.frozen
class RunReport:
    """What one pipeline run did: images read and skipped, training, the chosen snapshot, where it went."""

    user_id: str
    images_read: int
    images_used: int
    skipped: tuple[SkippedImage, ...]
    epochs: int
    steps: int
    snapshot_step: int
    snapshot_epoch: int | None
    sample_index: int
    score: float | None
    selection_reason: str
    published_uri: str
    timings_s: dict[str, float]
    config: dict[str, Any]
    resumed_from_step: int | None = None
    personalization: str = "finetune"  # latent (no training), finetune (or from scratch) or both
    detail_size: int | None = None  # the side the published face's detail comes from (upscaling.detail_side)
    detail_likes: int = 0  # how many likes lent the published face their finest detail (likes_detail.py)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        return attrs.asdict(self, recurse=True)


@attrs.frozen
class PretrainReport:
    """What pretraining used and where the base went."""

    users: tuple[str, ...]
    images_used: int
    images_skipped: int
    steps: int
    base: str
    config: dict
    resumed_from_step: int | None = None
    stopped: bool = False  # asked to stop before its budget ran out (the base holds what it had learnt)
    encoder_steps: int = 0  # steps its encoder trained (0: the base has none)
    upscaler_steps: int = 0  # steps its upscaler trained (0: the base has none)
    adapt_steps: int = 0  # steps teaching it to draw at its encoder's codes (adapting.py)

    def to_dict(self) -> dict:
        """The report as plain JSON-ready data."""
        return attrs.asdict(self)
