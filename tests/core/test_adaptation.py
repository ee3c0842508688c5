"""Teaching a base to draw at its encoder's codes: the last stage of pretraining, and `devface adapt`."""

from __future__ import annotations

import json
import shutil

import attrs
import keras
import numpy as np
import pytest
from click.testing import CliRunner

from devface_adapters.cli import main
from devface_core.adapting import adapt_to_codes, load_sampler_and_discriminator
from devface_core.config import Config
from devface_core.config_loading import load_config
from devface_core.gan import latent
from devface_core.gan.bases import load_model_weights, save_adapted, save_compact_base
from devface_core.gan.encoder import build_encoder, encode, pyramid_l1
from devface_core.gan.trainer import Trainer
from devface_core.imaging import decode_image, to_array
from devface_core.pipeline import run_pretraining
from tests.helpers.images import face_like
from tests.helpers.sources import two_users

# A tiny base (16², 8-D noise) with an encoder, not yet taught its codes.
BASE = Config(epochs=100_000, max_steps=12, batch_size=4, image_size=16, z_dim=8, sample_every=12,
              samples_per_snapshot=2, ema=0.9, encoder_steps=40, adapt_steps=0, upscaler_steps=0)


@pytest.fixture(scope="module")
def crowd():
    """Two users' likes in a memory store of their own."""
    return two_users("adaptation-test")


@pytest.fixture(scope="module")
def base(crowd, tmp_path_factory):
    """The tiny base, pretrained once for this file."""
    folder = tmp_path_factory.mktemp("adaptation") / "base"
    run_pretraining(crowd, ["ann", "bob"], BASE, folder)
    return folder


def crowd_faces() -> np.ndarray:
    """The crowd's likes as uint8 arrays (tests.helpers.sources.two_users draws them so)."""
    return np.stack([to_array(decode_image(face_like(index + 7 * len(user), 16), "like"))
                     for user in ("ann", "bob") for index in range(4)])


def redraw_error(lb: latent.LatentBase, faces: np.ndarray) -> float:
    """How far the sampler redraws faces from their codes (the pyramid L1 the adaptation lowers)."""
    drawn = lb.draw(encode(lb.encoder, faces)).astype(np.float32) / 127.5 - 1.0
    return float(pyramid_l1(drawn, faces.astype(np.float32) / 127.5 - 1.0))


def test_the_adapted_sampler_redraws_the_crowd_from_their_codes_more_closely(base):
    config = load_config(environ={}, overrides={"init_from": str(base), "adapt_steps": 20})
    before = latent.LatentBase.load(config)
    faces = crowd_faces()
    _, discriminator = load_sampler_and_discriminator(config)
    adaptation, steps, losses = adapt_to_codes(before.sampler, discriminator, before.encoder, faces, config)
    after = latent.LatentBase(adaptation.generator, before.encoder)  # the average (decay 0.99) follows it
    assert steps == 20 and set(losses) == {"d_loss", "g_loss", "redraw"}
    assert redraw_error(after, faces) < 0.9 * redraw_error(before, faces)
    assert after.draw(np.zeros((2, 8), np.float32)).shape == (2, 16, 16, 3)  # the prior's noise still draws


def test_pretraining_teaches_the_base_its_codes_after_the_encoder(crowd, base, tmp_path):
    taught = run_pretraining(crowd, ["ann", "bob"], attrs.evolve(BASE, adapt_steps=3), tmp_path / "taught")
    assert (taught.encoder_steps, taught.adapt_steps) == (40, 3)
    config = load_config(environ={}, overrides={"init_from": str(base)})
    untaught = latent.LatentBase.load(config).sampler.get_weights()
    adapted = latent.LatentBase.load(attrs.evolve(config, init_from=str(tmp_path / "taught"))).sampler.get_weights()
    # Pretraining is deterministic up to the encoder: only the three steps at the codes differ.
    assert not all(np.array_equal(a, b) for a, b in zip(untaught, adapted))


def test_devface_adapt_teaches_a_compact_base_in_place(tiny_config, tmp_path):
    trainer = Trainer(attrs.evolve(tiny_config, ema=0.9))
    save_compact_base(trainer.models, trainer.config, tmp_path / "base", build_encoder(16, 8))
    likes = tmp_path / "likes" / "ann"
    likes.mkdir(parents=True)
    for index in range(3):
        (likes / f"{index}.png").write_bytes(face_like(index, 16))
    before = compact_arrays(tmp_path / "base")
    result = CliRunner().invoke(main, ["adapt", "--base", str(tmp_path / "base"), "--source",
                                       f"dir:{tmp_path / 'likes'}", "--adapt-steps", "4", "--batch-size", "4", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["steps"] == 4
    assert sorted(p.name for p in (tmp_path / "base").iterdir()) == ["settings.json", "weights.float16.npz"]
    after = compact_arrays(tmp_path / "base")
    assert sorted(after) == sorted(before)  # the encoder kept, the sampler and discriminator replaced
    # Four steps move the discriminator past float16's rounding; the sampler's average (decay 0.99) not yet:
    # the next test proves that the sampler is written too.
    assert not all(np.array_equal(after[key], before[key]) for key in before if key.startswith("discriminator_"))
    assert all(np.array_equal(after[key], before[key]) for key in before if key.startswith("encoder_"))


def test_saving_an_adapted_compact_base_replaces_its_sampler_and_discriminator(tiny_config, tmp_path):
    models = Trainer(tiny_config).models
    folder = save_compact_base(models, tiny_config, tmp_path / "base", build_encoder(16, 8))
    before = compact_arrays(folder)
    models.sampler.set_weights([weight + 0.5 for weight in models.sampler.get_weights()])
    models.discriminator.set_weights([weight - 0.5 for weight in models.discriminator.get_weights()])
    save_adapted(folder, models.sampler, models.generator, models.discriminator)
    after = compact_arrays(folder)
    for name, model in (("sampler", models.sampler), ("discriminator", models.discriminator)):
        assert all(np.array_equal(after[f"{name}_{index:03d}"], weight.astype(np.float16))
                   for index, weight in enumerate(model.get_weights()))
    assert all(np.array_equal(after[key], before[key]) for key in before if key.startswith("encoder_"))


def test_saving_an_adapted_base_of_weight_files_replaces_its_three_models_and_keeps_its_encoder(base, tmp_path):
    folder = shutil.copytree(base, tmp_path / "base")
    encoder_file = (folder / "encoder.weights.h5").read_bytes()
    config = load_config(environ={}, overrides={"init_from": str(folder)})
    sampler, discriminator = load_sampler_and_discriminator(config)
    generator = keras.models.clone_model(sampler)  # the same shape: it stands in for the raw generator
    for model, shift in ((sampler, 0.5), (generator, -0.25), (discriminator, -0.5)):
        model.set_weights([weight + shift for weight in model.get_weights()])
    save_adapted(folder, sampler, generator, discriminator)
    read_sampler, read_discriminator = load_sampler_and_discriminator(config)
    read_generator = load_model_weights(keras.models.clone_model(sampler), folder, "generator")
    for written, read in ((sampler, read_sampler), (generator, read_generator), (discriminator, read_discriminator)):
        assert all(np.array_equal(a, b) for a, b in zip(written.get_weights(), read.get_weights()))
    assert (folder / "encoder.weights.h5").read_bytes() == encoder_file


def test_devface_adapt_refuses_a_base_without_an_encoder_before_reading_a_like(tiny_config, tmp_path):
    trainer = Trainer(tiny_config)
    save_compact_base(trainer.models, trainer.config, tmp_path / "base")
    missing = f"dir:{tmp_path / 'no-such-folder'}"  # read first, it would fail with another message
    result = CliRunner().invoke(main, ["adapt", "--base", str(tmp_path / "base"), "--source", missing, "--user", "ann"])
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert "has no encoder; add one first with `devface encoder --base" in result.output
    result = CliRunner().invoke(main, ["adapt", "--base", "builtin", "--source", missing, "--user", "ann"])
    assert result.exit_code == 2 and "not changed in place" in result.output


def compact_arrays(folder) -> dict[str, np.ndarray]:
    with np.load(folder / "weights.float16.npz") as saved:
        return {key: saved[key] for key in saved.files}

