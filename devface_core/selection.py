"""Choose the sample to publish: `latest` (newest snapshot) or `best` (most realistic snapshot, then sample).

Both strategies skip candidates that are near copies of a liked image (see `quality.near_copy_limit`):
a copy of someone's liked photo is never published. If every candidate is one, NearCopyError.
"""

from __future__ import annotations

from typing import Sequence

import attrs
import numpy as np

from devface_core import quality
from devface_core.errors import ConfigError, NearCopyError
from devface_core.types import Snapshot


@attrs.frozen
class Selection:
    """The chosen snapshot, which of its samples, its score (if scored) and why it won."""

    snapshot: Snapshot
    sample_index: int
    score: float | None
    reason: str


@attrs.frozen
class Candidate:
    """One sample of one snapshot, with its distance to the nearest liked image."""

    snapshot: Snapshot
    index: int
    copy_distance: float

    @property
    def pixels(self) -> np.ndarray:
        return self.snapshot.images[self.index]


def candidates(snapshots: Sequence[Snapshot], liked: np.ndarray | None) -> tuple[list[Candidate], float]:
    """Every sample, newest snapshot first, that is not a near copy; and the near-copy limit used."""
    if not snapshots:
        raise ConfigError("selection: no snapshots to choose from")
    ordered = sorted(snapshots, key=lambda snapshot: int(snapshot.epoch), reverse=True)
    if liked is None or len(liked) == 0:
        return [Candidate(s, i, float("inf")) for s in ordered for i in range(len(s.images))], 0.0
    limit = quality.near_copy_limit(liked)
    kept, total = [], 0
    for snapshot in ordered:
        distances = quality.nearest_distances(snapshot.images, liked)
        total += len(distances)
        kept += [Candidate(snapshot, i, float(d)) for i, d in enumerate(distances) if d >= limit]
    if not kept:
        raise NearCopyError(f"all {total} generated candidates are near copies of liked images "
                            f"(closer than {limit:.3f}); nothing was published")
    return kept, limit


def select_latest(snapshots: Sequence[Snapshot], liked: np.ndarray | None = None) -> Selection:
    """The first sample of the newest snapshot (by numeric epoch) that is not a near copy."""
    kept, limit = candidates(snapshots, liked)
    choice = kept[0]
    reason = f"latest snapshot (epoch {choice.snapshot.epoch}), sample {choice.index}"
    return Selection(choice.snapshot, choice.index, None, reason + _copy_note(choice, limit))


def select_best(snapshots: Sequence[Snapshot], liked: np.ndarray | None = None) -> Selection:
    """The most realistic sample (lowest 7×7 patch SWD against the liked images) of the snapshot whose
    samples score best on average (see `best_in_best_snapshot`)."""
    kept, limit = candidates(snapshots, liked)
    if liked is None or len(liked) == 0:
        raise ConfigError("select=best needs the liked images to compare with")
    scores = quality.sample_scores(np.stack([c.pixels for c in kept]), liked)
    epochs = [c.snapshot.epoch for c in kept]
    winner = best_in_best_snapshot(epochs, scores)
    means = snapshot_means(epochs, scores)
    choice, epoch, latest = kept[winner], epochs[winner], epochs[0]
    reason = (f"best of {len(means)} snapshots ({len(kept)} candidates) by mean patch realism: epoch {epoch} "
              f"(mean SWD {means[epoch]:.1f}, lower is better; the latest, epoch {latest}, {means[latest]:.1f}), "
              f"its sample {choice.index} at SWD {scores[winner]:.1f}")
    return Selection(choice.snapshot, choice.index, round(scores[winner], 3), reason + _copy_note(choice, limit))


def best_in_best_snapshot(epochs: Sequence[int], scores: Sequence[float]) -> int:
    """Index of the lowest score within the snapshot of lowest mean score (a tie goes to the first listed).

    The snapshot is chosen by its mean because one sample's score against a few liked faces is noisy, and
    the lowest of many noisy scores is sometimes a poor snapshot's lucky sample: benchmarks/selection.py
    measures how good the chosen snapshot is under this rule and under the lowest single score."""
    means = snapshot_means(epochs, scores)
    epoch = min(means, key=means.get)
    return min((i for i, e in enumerate(epochs) if e == epoch), key=scores.__getitem__)


def snapshot_means(epochs: Sequence[int], scores: Sequence[float]) -> dict[int, float]:
    """Mean score of each epoch's candidates, in the order the epochs first appear."""
    grouped: dict[int, list[float]] = {}
    for epoch, score in zip(epochs, scores):
        grouped.setdefault(epoch, []).append(score)
    return {epoch: float(np.mean(values)) for epoch, values in grouped.items()}


def _copy_note(choice: Candidate, limit: float) -> str:
    if not limit:
        return ""
    return f"; nearest liked image at {choice.copy_distance:.3f} (near-copy limit {limit:.3f})"


STRATEGIES = {"latest": select_latest, "best": select_best}


def select_snapshot(snapshots: Sequence[Snapshot], strategy: str = "latest",
                    liked: np.ndarray | None = None) -> Selection:
    """Apply a named selection strategy, comparing with the liked images when given."""
    try:
        strategy_function = STRATEGIES[strategy]
    except KeyError:
        raise ConfigError(f"select {strategy!r}: expected one of {', '.join(STRATEGIES)}") from None
    return strategy_function(snapshots, liked)
