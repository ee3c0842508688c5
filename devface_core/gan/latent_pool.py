"""Warm latent bases: a process that draws faces for user after user from one base (`devface watch`, a Celery
worker) loads the base and compiles its tuning once, and lends it to each run put back to the base's weights.

Loading afresh for every run cost each run the load and a trace of the tuning step, and a process grew by
30 to 60 MiB a run (docs/benchmarks.md, "Warm latent bases"). A lent base is restored (LatentBase.restore) to
the state a fresh load has, so it draws byte for byte the faces a fresh one draws (tests/core/test_latent_pool.py).
A base is lent to one run at a time; runs in parallel threads each get their own. A base folder rewritten in
place (a new `devface pretrain` into it) is loaded again: its files' sizes and times are part of the key.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Iterator

from devface_core.config import Config
from devface_core.gan.latent import LatentBase
from devface_core.gan.recipe import model_options
from devface_core.idle_pool import IdlePool

# At most 2 loaded bases (each a sampler, an encoder and the tuning's optimizer) wait idle in a process.
IDLE: IdlePool[LatentBase] = IdlePool(limit=2)


def base_key(config: Config) -> tuple | None:
    """What must match for two runs to share a loaded base: the base folder as it is on disk now, and the
    settings that shape its models; None when there is no base folder (LatentBase.load says why)."""
    folder = Path(config.init_from).resolve() if config.init_from else None
    if folder is None or not folder.is_dir():
        return None
    files = tuple((part.name, part.stat().st_size, part.stat().st_mtime_ns)
                  for part in sorted(folder.iterdir()) if part.is_file())
    shape = json.dumps({"architecture": config.architecture, "image_size": config.image_size,
                        "z_dim": config.z_dim, **model_options(config)}, sort_keys=True, default=str)
    return str(folder), files, shape


@contextlib.contextmanager
def lent(config: Config, sampler=None) -> Iterator[LatentBase]:
    """The base `config.init_from` as LatentBase.load gives it (with `sampler`'s weights when given), warm
    from an earlier run of this process when one is idle; it goes back to the idle pool afterwards."""
    key = base_key(config)
    base = IDLE.take(key) if key is not None else None
    if base is None:
        base = LatentBase.load(config, sampler)
    else:
        base.restore(sampler)
    try:
        yield base
    finally:
        if key is not None:
            IDLE.give_back(key, base)
