"""Choose the sample to publish: `latest` (newest snapshot) or `best` (most realistic patch statistics).

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
    """The candidate whose 7×7 patch statistics are closest to the liked images' (lowest SWD)."""
    kept, limit = candidates(snapshots, liked)
    if liked is None or len(liked) == 0:
        raise ConfigError("select=best needs the liked images to compare with")
    scores = quality.sample_scores(np.stack([c.pixels for c in kept]), liked)
    winner = int(np.argmin(scores))
    choice, latest_score = kept[winner], scores[0]
    reason = (f"best of {len(kept)} candidates by patch realism: epoch {choice.snapshot.epoch} sample "
              f"{choice.index}, SWD {scores[winner]:.1f} (lower is better; the latest sample scored "
              f"{latest_score:.1f})")
    return Selection(choice.snapshot, choice.index, round(scores[winner], 3), reason + _copy_note(choice, limit))


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
