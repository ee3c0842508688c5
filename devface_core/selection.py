"""Choose the snapshot sample to publish: `latest` by numeric epoch, or `best` by quality score."""

from __future__ import annotations

import logging
from typing import Sequence

import attrs

from devface_core.errors import ConfigError
from devface_core.types import Snapshot

logger = logging.getLogger(__name__)


@attrs.frozen
class Selection:
    """The chosen snapshot, which of its samples, its score (if scored) and why it won."""

    snapshot: Snapshot
    sample_index: int
    score: float | None
    reason: str


def select_latest(snapshots: Sequence[Snapshot]) -> Selection:
    """The snapshot with the highest epoch number (1000 is later than 900), its first sample."""
    if not snapshots:
        raise ConfigError("selection: no snapshots to choose from")
    latest = max(snapshots, key=lambda snapshot: int(snapshot.epoch))
    return Selection(latest, 0, None, f"latest snapshot (epoch {latest.epoch})")


def select_best(snapshots: Sequence[Snapshot]) -> Selection:
    """Placeholder until quality scoring lands: falls back to `latest` and says so."""
    logger.info("select=best: no quality scorer yet, falling back to the latest snapshot")
    choice = select_latest(snapshots)
    return attrs.evolve(choice, reason=f"best unavailable, fell back to {choice.reason}")


STRATEGIES = {"latest": select_latest, "best": select_best}


def select_snapshot(snapshots: Sequence[Snapshot], strategy: str = "latest") -> Selection:
    """Apply a named selection strategy."""
    try:
        return STRATEGIES[strategy](snapshots)
    except KeyError:
        raise ConfigError(f"select {strategy!r}: expected one of {', '.join(STRATEGIES)}") from None
