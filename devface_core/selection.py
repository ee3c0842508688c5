"""Choose the sample to publish: `latest` (newest snapshot) or `best` (most realistic snapshot, then, of its
samples nearest the likes, the one with the most detail in its centre).

Both strategies skip candidates that are near copies of a liked image (see `quality.near_copy_limit`):
a copy of someone's liked photo is never published. If every candidate is one, NearCopyError.
"""

from __future__ import annotations

from typing import Sequence

import attrs
import numpy as np

from devface_core import quality
from devface_core.errors import ConfigError, NearCopyError
from devface_core.likes_detail import finest_detail
from devface_core.types import Snapshot

# `best` shortlists this share (one in SHORTLIST_SHARE) of a snapshot's samples, those whose patches lie nearest the
# likes', and publishes the one with the most detail in its centre. On 240 pools of 64 faces drawn by `personalize
# latent` from the shipped base (six tastes), MTCNN found a face at 0.99 in 94 % of these picks against 89 % of the
# nearest sample's alone, for the same taste, at 0.70 of a photo's sharpness against 0.60 (docs/benchmarks.md,
# "The published face"). The whole pool's most detailed faces lose the taste. On a weaker base the shortlist
# can fall on one like's faces run after run (user1 on a 3 000-step crowd-only base: "Spreading the published face");
# keeping only the shortlisted faces of one seeded like undid that but cost MTCNN and sharpness on every base
# ("The choice led by one like per run").
SHORTLIST_SHARE = 4


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
    ordered = sorted(snapshots, key=lambda snapshot: int(snapshot.step), reverse=True)
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
    """The first sample of the newest snapshot (by step) that is not a near copy."""
    kept, limit = candidates(snapshots, liked)
    choice = kept[0]
    reason = f"latest snapshot (step {choice.snapshot.step}), sample {choice.index}"
    return Selection(choice.snapshot, choice.index, None, reason + _copy_note(choice, limit))


def select_best(snapshots: Sequence[Snapshot], liked: np.ndarray | None = None) -> Selection:
    """Of the snapshot whose samples, taken together, score best (see `best_snapshot`), the sample with the
    most detail in its centre among those nearest the likes by 7×7 patch SWD (shortlist_pick)."""
    kept, limit = candidates(snapshots, liked)
    if liked is None or len(liked) == 0:
        raise ConfigError("select=best needs the liked images to compare with")
    reference = quality.liked_distribution(liked)
    groups = by_step(kept)
    set_scores = {step: quality.set_score(np.stack([c.pixels for c in group]), reference)
                  for step, group in groups.items()}
    step, latest = best_snapshot(set_scores), kept[0].snapshot.step
    faces = np.stack([c.pixels for c in groups[step]])
    scores = quality.sample_scores(faces, reference)
    winner, shortlisted = shortlist_pick(faces, scores)
    choice = groups[step][winner]
    reason = (f"best of {len(groups)} snapshots ({len(kept)} candidates) by the patch realism of each snapshot's "
              f"samples together: step {step} (SWD {set_scores[step]:.1f}, lower is better; the latest, step "
              f"{latest}, {set_scores[latest]:.1f}), its sample {choice.index} at SWD {scores[winner]:.1f} alone, "
              f"the most detailed centre of its {shortlisted} nearest")
    return Selection(choice.snapshot, choice.index, round(scores[winner], 3), reason + _copy_note(choice, limit))


def shortlist_pick(faces: np.ndarray, scores: Sequence[float]) -> tuple[int, int]:
    """(the index of the uint8 face `best` publishes, how many were shortlisted): of the lowest `scores`, one in
    SHORTLIST_SHARE of them (at least one), the face with the most centre_detail (the lowest score on a tie)."""
    shortlist = np.argsort(scores, kind="stable")[:max(1, len(scores) // SHORTLIST_SHARE)]
    return int(max(shortlist, key=lambda index: centre_detail(faces[index]))), len(shortlist)


def centre_detail(face: np.ndarray) -> float:
    """The finest detail (likes_detail.finest_detail) of a uint8 face's middle half: the face, not the background."""
    quarter = face.shape[0] // 4
    return finest_detail(face[quarter:face.shape[0] - quarter, quarter:face.shape[1] - quarter])


def by_step(kept: Sequence[Candidate]) -> dict[int, list[Candidate]]:
    """The candidates grouped by snapshot step, in the order the steps first appear (newest first)."""
    groups: dict[int, list[Candidate]] = {}
    for candidate in kept:
        groups.setdefault(candidate.snapshot.step, []).append(candidate)
    return groups


def best_snapshot(set_scores: dict[int, float]) -> int:
    """The step of the lowest set score (a tie goes to the first listed, the newest).

    A snapshot is judged by its samples together, not by their scores one by one: one image's patches
    are far from a set of liked faces' whatever it shows (single scores were about 215–228 for every
    snapshot of a run after its first few, while its snapshots' SWD as sets ran from 73 to 125), so the
    lowest mean of single scores was close to a random pick; benchmarks/selection.py measures both."""
    return min(set_scores, key=set_scores.__getitem__)


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
