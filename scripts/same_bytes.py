"""Digests of what training publishes, to prove that a refactor changed no behaviour on this machine.

    python scripts/same_bytes.py record digests.json   # before the change
    python scripts/same_bytes.py compare digests.json  # after it: exit 1 and the differing runs if any

Each run trains a tiny model for fixed seeds and digests the published PNG and the report (less its
timings): (a) from scratch, (b) a pretrained base and a fine-tune from it, (c) a growing run, (d) a run
stopped at a checkpoint and resumed, (e) the original `seed` architecture. Digests hold on one machine
only: floating-point results differ between CPUs, so record and compare on the same one.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devface_adapters.registry import get_registry  # noqa: E402
from devface_core import Config, run_pipeline  # noqa: E402
from devface_core.pipeline import run_pretraining  # noqa: E402

TINY = dict(image_size=16, batch_size=4, z_dim=8, sample_every=3, samples_per_snapshot=4, output_size=(40, 36))


def liked_pngs(count: int, seed: int) -> list[bytes]:
    """Blurry colour blobs as PNG bytes, drawn from a seed."""
    rng = np.random.default_rng(seed)
    pngs = []
    for _ in range(count):
        small = rng.integers(0, 255, (4, 4, 3), dtype=np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(small).resize((32, 32), Image.BILINEAR).save(buffer, format="PNG")
        pngs.append(buffer.getvalue())
    return pngs


def store(name: str):
    """A memory space holding users 'crowd' (12 likes) and 'alice' (6 likes)."""
    space = get_registry().resolve(f"memory:{name}", {}, role="store")
    for user, count, seed in (("crowd", 12, 1), ("alice", 6, 2)):
        for index, png in enumerate(liked_pngs(count, seed)):
            space.add(user, png, f"{index}.png")
    return space


def digest(space, report, folder: Path | None = None) -> str:
    """sha256 of the published PNG and the report without its timings (and the temporary folder's name)."""
    published = space.space.published("alice")
    facts = {key: value for key, value in report.to_dict().items() if key != "timings_s"}
    text = json.dumps(facts, sort_keys=True, default=str)
    text = text.replace(str(folder), "FOLDER").encode() if folder else text.encode()
    return hashlib.sha256(published.png + text).hexdigest()


def run(name: str, config: Config):
    """Train alice from scratch (or as configured) and digest what was published."""
    space = store(name)
    return digest(space, run_pipeline(space, space, "alice", config))


def scenarios(folder: Path) -> dict[str, str]:
    """Every scenario's digest."""
    digests = {"scratch": run("scratch", Config(max_steps=12, **TINY))}
    crowd = store("base")
    run_pretraining(crowd, ["crowd"], Config(max_steps=15, **TINY), folder / "base")
    tuned = Config(init_from=str(folder / "base"), finetune_steps=9, **TINY)
    digests["pretrain+finetune"] = digest(crowd, run_pipeline(crowd, crowd, "alice", tuned), folder)
    digests["growing"] = run("grow", Config(max_steps=16, **{**TINY, "image_size": 32, "grow_from": 16}))
    resumable = dict(checkpoint_dir=str(folder / "ckpt"), checkpoint_every=2, **TINY)
    stopped = store("resume")
    run_pipeline(stopped, stopped, "alice", Config(max_steps=6, **resumable))
    resumed = run_pipeline(stopped, stopped, "alice", Config(max_steps=14, resume=True, **resumable))
    digests["killed+resumed"] = digest(stopped, resumed, folder)
    digests["seed architecture"] = run("seed", Config(max_steps=8, architecture="seed", **TINY))
    return digests


def main(mode: str, path: str) -> int:
    """Record digests to `path`, or compare with the ones recorded there."""
    with tempfile.TemporaryDirectory() as folder:
        found = scenarios(Path(folder))
    if mode == "record":
        Path(path).write_text(json.dumps(found, indent=2) + "\n")
        print(json.dumps(found, indent=2))
        return 0
    recorded = json.loads(Path(path).read_text())
    differing = [name for name in recorded if recorded[name] != found.get(name)]
    for name in recorded:
        print(f"{'same' if name not in differing else 'DIFFERENT'}  {name}")
    return 1 if differing else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("record", "compare"):
        sys.exit("usage: same_bytes.py record|compare DIGESTS.json")
    sys.exit(main(sys.argv[1], sys.argv[2]))
