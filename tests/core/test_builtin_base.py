"""The base that ships with devface: compact, found by `--init-from builtin`, and the demo source's faces."""

from __future__ import annotations

import attrs
import numpy as np
from PIL import Image, ImageOps

from devface_adapters.demo import FACES, DemoAdapter
from devface_core.config_loading import load_config
from devface_core.fields import BUILTIN_BASE
from devface_core.gan.bases import COMPACT_FILE, save_compact_base
from devface_core.gan.trainer import Trainer
from devface_core.imaging import decode_image, to_array
from devface_core.saved_settings import has_encoder, has_upscaler


def shipped_weights(model: str) -> list[np.ndarray]:
    with np.load(BUILTIN_BASE / COMPACT_FILE) as saved:
        return [saved[key].astype(np.float32) for key in sorted(saved.files) if key.startswith(model + "_")]


def test_the_shipped_base_is_at_most_10_mb_and_init_from_builtin_starts_from_it():
    assert sum(path.stat().st_size for path in BUILTIN_BASE.iterdir()) <= 10_000_000
    assert has_encoder(BUILTIN_BASE)  # so a run from it draws at the likes' codes by default
    assert has_upscaler(BUILTIN_BASE)  # and publishes its face from 128²
    config = load_config(environ={}, overrides={"init_from": "builtin"})
    assert config.init_from == str(BUILTIN_BASE) and config.image_size == 64  # the shape comes from the base
    trainer = Trainer(config)
    sampler, discriminator = shipped_weights("sampler"), shipped_weights("discriminator")
    # The raw generator starts from the weight average too: the compact base ships only that one.
    for model, expected in ((trainer.generator, sampler), (trainer.ema_generator, sampler),
                            (trainer.discriminator, discriminator)):
        loaded = model.get_weights()
        assert len(loaded) == len(expected) and all(np.array_equal(a, b) for a, b in zip(loaded, expected))


def test_a_compact_base_draws_what_its_full_base_drew_within_float16_rounding(tiny_config, tmp_path):
    images = np.random.default_rng(4).integers(0, 255, (8, 16, 16, 3), dtype=np.uint8)
    trainer = Trainer(attrs.evolve(tiny_config, epochs=1, ema=0.9))
    list(trainer.train(images))
    trainer.save_base(tmp_path / "full")
    save_compact_base(trainer.models, trainer.config, tmp_path / "compact")
    drawn = {}
    for name in ("full", "compact"):
        config = load_config(environ={}, overrides={"init_from": str(tmp_path / name), "batch_size": 4})
        drawn[name] = Trainer(config).generate(8).astype(int)
    assert np.abs(drawn["full"] - drawn["compact"]).mean() < 2.0  # of 255 levels
    assert not np.array_equal(drawn["full"], np.zeros_like(drawn["full"]))


def test_the_demo_source_serves_the_shipped_bases_faces_mirrored_once_they_run_out():
    shipped = [to_array(Image.open(path).convert("RGB")) for path in sorted(FACES.glob("*.png"))]
    assert len(shipped) >= 24
    liked = [to_array(decode_image(image.data, image.key))
             for image in DemoAdapter(count=str(len(shipped) + 1), size="64").iter_images("alice")]
    first_round = sorted(face.tobytes() for face in liked[: len(shipped)])
    assert first_round == sorted(face.tobytes() for face in shipped)  # each shipped face once, in alice's order
    again = next(face for face in shipped if np.array_equal(face, liked[0]))
    assert np.array_equal(liked[-1], to_array(ImageOps.mirror(Image.fromarray(again))))
    others = [image.data for image in DemoAdapter(count="3").iter_images("bob")]
    alices = [image.data for image in DemoAdapter(count="3").iter_images("alice")]
    assert others != alices
