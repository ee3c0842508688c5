"""Four users trained at once through each store: each face comes only from that user's likes, and no
checkpoint or temporary file of one user touches another's. Every user likes one solid colour; the faces must match."""

from __future__ import annotations

import base64
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attrs
import numpy as np
import pytest
from PIL import Image

from devface_adapters.filesystem import DirectoryAdapter
from devface_adapters.memory import MemoryAdapter
from devface_adapters.postgres import PostgresAdapter
from devface_core.gan.checkpoints import user_checkpoint_dir
from devface_core.imaging import to_data_url
from devface_core.pipeline import run_pipeline
from tests.helpers import pg
from tests.helpers.images import png

COLOURS = {"black": (0, 0, 0), "white": (255, 255, 255), "red": (255, 0, 0), "green": (0, 255, 0),
           "blue": (0, 0, 255), "cyan": (0, 255, 255), "magenta": (255, 0, 255), "yellow": (255, 255, 0)}
# Four users, each judged against all eight colours. Each user's models take about 6 s of tracing under
# the GIL: eight users made each test about 50 s, and on 2 cores four threads contend as eight did.
USERS = {f"user-{name}": COLOURS[name] for name in ("black", "white", "red", "blue")}

pytestmark = pytest.mark.long  # minutes of training: scheduled first


def nearest_colour(pixels: np.ndarray) -> tuple[int, int, int]:
    mean = pixels.reshape(-1, 3).astype(float).mean(axis=0)
    return min(COLOURS.values(), key=lambda colour: float(np.linalg.norm(mean - colour)))


def decoded(png_bytes: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png_bytes)).convert("RGB"))


@pytest.fixture
def config(tiny_config, tmp_path):
    return attrs.evolve(tiny_config, image_size=16, z_dim=8, epochs=20, sample_every=20, checkpoint_every=20,
                        checkpoint_dir=str(tmp_path / "checkpoints"), output_size=(24, 24), decode_threads=2)


def seed_users(add) -> None:
    for user_id, colour in USERS.items():
        for index in range(8):
            add(user_id, png(colour, size=(20, 20)), f"{index}.png")


def train_all_at_once(source, sink, config) -> None:
    with ThreadPoolExecutor(len(USERS)) as pool:
        reports = list(pool.map(lambda user_id: run_pipeline(source, sink, user_id, config), USERS))
    assert [report.user_id for report in reports] == list(USERS)
    assert all(report.images_used == 8 for report in reports)


def assert_checkpoints_are_per_user(config) -> None:
    root = Path(config.checkpoint_dir)
    assert sorted(path.name for path in root.iterdir()) == sorted(
        user_checkpoint_dir(root, user_id).name for user_id in USERS)
    for user_id, colour in USERS.items():
        newest = max(user_checkpoint_dir(root, user_id).glob("snapshots-*.npz"), key=lambda p: int(p.stem[10:]))
        with np.load(newest) as saved:
            last = max((name for name in saved.files if name.startswith("images_")), key=lambda n: int(n[7:]))
            assert nearest_colour(saved[last]) == colour, f"{user_id}'s checkpoint holds another user's face"


def test_memory_users_train_concurrently_without_mixing(config):
    store = MemoryAdapter(space="isolation-memory")
    seed_users(store.add)
    train_all_at_once(store, store, config)
    for user_id, colour in USERS.items():
        assert nearest_colour(decoded(store.space.published(user_id).png)) == colour, user_id
    assert_checkpoints_are_per_user(config)


def test_dir_users_train_concurrently_without_mixing(config, tmp_path):
    likes, out = DirectoryAdapter(path=str(tmp_path / "likes")), DirectoryAdapter(path=str(tmp_path / "out"))
    (tmp_path / "likes").mkdir()
    seed_users(likes.add)
    train_all_at_once(likes, out, config)
    for user_id, colour in USERS.items():
        assert nearest_colour(decoded((tmp_path / "out" / f"{user_id}.png").read_bytes())) == colour, user_id
    files = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert files == sorted(f"{user_id}{suffix}" for user_id in USERS for suffix in (".json", ".png")), \
        "no temporary file is left and no user's file is missing"
    assert_checkpoints_are_per_user(config)


def test_postgres_users_train_concurrently_without_mixing(config, pg_dsn, pg_schema):
    pg.create_deployed_tables(pg_dsn, pg_schema)
    adapter = PostgresAdapter(dsn=pg_dsn, schema=pg_schema)
    seed_users(lambda user_id, data, name: pg.insert_like(pg_dsn, pg_schema, user_id, to_data_url(data)))
    train_all_at_once(adapter, adapter, config)
    for user_id, colour in USERS.items():
        face = base64.b64decode(adapter.published_text(user_id))
        assert nearest_colour(decoded(face)) == colour, user_id
    assert_checkpoints_are_per_user(config)
