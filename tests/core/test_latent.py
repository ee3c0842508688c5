"""Taste in seconds: a base's encoder, faces drawn at mixes of a user's likes' codes (personalize latent),
and the choice between latent, finetune and both."""

from __future__ import annotations

import attrs
import numpy as np
import pytest
from click.testing import CliRunner

from devface_adapters.cli import main, run_command
from devface_adapters.memory import MemoryAdapter
from devface_core import quality, selection
from devface_core.config import Config
from devface_core.config_loading import load_config
from devface_core.errors import ConfigError
from devface_core.gan import latent
from devface_core.gan.bases import save_compact_base
from devface_core.gan.encoder import build_encoder, encode
from devface_core.gan.recipe import plan_training
from devface_core.gan.trainer import Trainer
from devface_core.imaging import decode_image, to_array
from devface_core.pipeline import run_pipeline, run_pretraining
from devface_core.saved_settings import has_encoder
from tests.helpers.images import face_like
from tests.helpers.reports import run_report_line
from tests.helpers.sources import two_users

# A tiny base (16², 8-D noise): trained a few steps, then its encoder.
BASE = Config(epochs=100_000, max_steps=12, batch_size=4, image_size=16, z_dim=8, sample_every=12,
              samples_per_snapshot=2, ema=0.9, encoder_steps=150, adapt_steps=0, upscaler_steps=0)


@pytest.fixture(scope="module")
def crowd():
    """Two users' likes in a memory store of its own."""
    return two_users("latent-test")


@pytest.fixture(scope="module")
def latent_base(crowd, tmp_path_factory):
    """The tiny base with its encoder, pretrained once for this file: (folder, report)."""
    folder = tmp_path_factory.mktemp("latent") / "base"
    return folder, run_pretraining(crowd, ["ann", "bob"], BASE, folder)


def latent_run(folder, **settings) -> Config:
    return attrs.evolve(load_config(environ={}, overrides={"init_from": str(folder), "batch_size": 4}), **settings)


def test_pretraining_trains_an_encoder_that_finds_the_samplers_own_noise(latent_base):
    folder, report = latent_base
    assert report.encoder_steps == 150 and has_encoder(folder)
    base = latent.LatentBase.load(latent_run(folder))
    noise = np.random.default_rng(3).standard_normal((64, 8)).astype(np.float32)
    drawn = base.draw(noise)
    untrained = build_encoder(16, 8, seed=0)
    error = np.mean((encode(base.encoder, drawn) - noise) ** 2)
    # The noise has variance 1: an encoder that learnt nothing misses it by about that much.
    assert error < 0.5 * np.mean((encode(untrained, drawn) - noise) ** 2) and error < 0.5


def test_each_code_is_a_likes_code_plus_a_step_as_long_as_it():
    rng = np.random.default_rng(0)
    direction = np.eye(8)[0] * 3.0
    ann, bob = (rng.normal(size=(6, 8)) * 0.3 + sign * direction for sign in (1, -1))
    stepped = latent.stepped_codes(ann, 200, seed=1)
    assert np.all(np.linalg.norm(stepped - ann.mean(0), axis=1) < np.linalg.norm(stepped - bob.mean(0), axis=1))
    # Some like of ann's lies exactly one step (SPREAD times its length) from each code.
    apart = np.linalg.norm(stepped[:, None] - ann[None], axis=-1)
    steps = latent.SPREAD * np.linalg.norm(ann, axis=1)
    assert np.all(np.isclose(apart, steps[None], rtol=1e-5).any(axis=1))
    assert stepped.dtype == np.float32 and np.array_equal(stepped, latent.stepped_codes(ann, 200, seed=1))
    assert not np.array_equal(stepped, latent.stepped_codes(ann, 200, seed=2))
    assert apart.min() > 0  # no like drawn as it was


def test_refining_codes_finds_the_code_a_face_was_drawn_from(latent_base):
    folder, _ = latent_base
    base = latent.LatentBase.load(latent_run(folder))
    truth = np.random.default_rng(5).standard_normal((6, 8)).astype(np.float32)
    faces = base.draw(truth)
    start = truth + 0.5 * np.random.default_rng(6).standard_normal((6, 8)).astype(np.float32)

    def error(codes):
        return np.abs(base.draw(codes).astype(int) - faces).mean()

    refined = base.refined(start, faces, 40)
    assert error(refined) < 0.5 * error(start), (error(start), error(refined))


def test_tuning_the_sampler_to_the_likes_codes_redraws_the_likes_closer(latent_base, crowd):
    folder, _ = latent_base
    base = latent.LatentBase.load(latent_run(folder))
    liked = np.stack([to_array(decode_image(image.data, image.key)) for image in crowd.iter_images("ann")])
    codes = base.codes(liked)

    def error():
        return np.abs(base.draw(codes).astype(int) - liked).mean()

    before = error()
    base.tune(codes, liked, 100)
    assert error() < 0.8 * before, (before, error())


def test_tuning_moves_only_the_layers_that_read_the_code(latent_base, crowd):
    folder, _ = latent_base
    base = latent.LatentBase.load(latent_run(folder))
    before = {weight.path: np.array(weight) for weight in base.sampler.weights}
    liked = np.stack([to_array(decode_image(image.data, image.key)) for image in crowd.iter_images("ann")])
    base.tune(base.codes(liked), liked, 5)
    after = {weight.path: np.array(weight) for weight in base.sampler.weights}
    moved = {path for path, value in before.items() if not np.array_equal(value, after[path])}
    convolutions = {path for path, value in before.items() if value.ndim == 4}
    # The dense layer that reads the code (and its batch norm) moved; every convolution kept the base's weights.
    assert convolutions and moved and all(path.startswith("g_dense") for path in moved), moved
    assert not moved & convolutions


def test_personalize_both_tunes_a_copy_and_leaves_the_fine_tuned_sampler_as_it_was(latent_base, crowd):
    folder, _ = latent_base
    sampler = latent.LatentBase.load(latent_run(folder)).sampler
    weights = [w.copy() for w in sampler.get_weights()]
    liked = np.stack([to_array(decode_image(image.data, image.key)) for image in crowd.iter_images("bob")])
    copy = latent.LatentBase.load(latent_run(folder), sampler)
    copy.personal_faces(liked, 4, pivot_steps=5)
    assert all(np.array_equal(w, v) for w, v in zip(weights, sampler.get_weights()))
    assert not all(np.array_equal(w, v) for w, v in zip(weights, copy.sampler.get_weights()))


def test_personalize_latent_publishes_a_users_face_without_training(latent_base, crowd, tmp_path):
    folder, _ = latent_base
    sink = MemoryAdapter(space="latent-test-faces")
    sheets = tmp_path / "sheets"
    report = run_pipeline(crowd, sink, "ann", latent_run(folder, personalize="latent", latent_faces=8,
                                                         contact_sheets=str(sheets)))
    assert report.personalization == "latent" and report.steps == 0 and "draw" in report.timings_s
    published = to_array(decode_image(sink.space.published("ann").png, "ann"))
    assert published.shape == (492, 500, 3)
    assert report.config["personalize"] == "latent" and "likes' codes" in run_report_line(report)
    assert [path.name for path in sheets.iterdir()] == ["ann.png"]  # the drawn faces, as a run's snapshots


def test_a_latent_run_saves_the_tuned_sampler_that_drew_its_faces(latent_base, crowd, tmp_path):
    import keras

    folder, _ = latent_base
    path = tmp_path / "ann.keras"
    run_pipeline(crowd, MemoryAdapter(space="latent-test-save"), "ann",
                 latent_run(folder, personalize="latent", latent_faces=4, latent_pivot_steps=5, save_generator=str(path)))
    saved, base = keras.models.load_model(path), latent.LatentBase.load(latent_run(folder)).sampler
    assert saved.output_shape == base.output_shape == (None, 16, 16, 3)
    # Tuned to ann's likes: not the base's sampler any more.
    assert not all(np.array_equal(w, v) for w, v in zip(saved.get_weights(), base.get_weights()))


def test_a_latent_run_tunes_for_its_pivot_steps(latent_base, crowd):
    folder, _ = latent_base
    published = {}
    for steps in (0, 20):
        sink = MemoryAdapter(space=f"latent-test-pivot-{steps}")
        run_pipeline(crowd, sink, "ann", latent_run(folder, personalize="latent", latent_faces=4,
                                                    latent_pivot_steps=steps))
        published[steps] = sink.space.published("ann").png
    assert published[0] != published[20]  # the setting reaches the draw


def test_a_near_copy_of_a_like_drawn_from_the_codes_is_never_published(latent_base, crowd, monkeypatch):
    folder, _ = latent_base
    liked = np.stack([to_array(decode_image(image.data, image.key)) for image in crowd.iter_images("ann")])
    drawn = latent.LatentBase.load(latent_run(folder)).personal_faces(liked, 7)
    planted = np.concatenate([liked[:1], drawn])
    # Without the near-copy rule, `best` would publish the planted like: nearest the likes, most detailed of those.
    scores = quality.sample_scores(planted, quality.liked_distribution(liked))
    assert selection.shortlist_pick(planted, scores)[0] == 0
    monkeypatch.setattr(latent.LatentBase, "personal_faces", lambda self, *args: planted)
    sink = MemoryAdapter(space="latent-test-copy")
    report = run_pipeline(crowd, sink, "ann", latent_run(folder, personalize="latent"))
    assert report.sample_index != 0 and "near-copy limit" in report.selection_reason


def test_personalize_both_fine_tunes_then_draws_at_the_likes_codes(latent_base, crowd):
    folder, _ = latent_base
    sink = MemoryAdapter(space="latent-test-both")
    report = run_pipeline(crowd, sink, "bob", latent_run(folder, personalize="both", finetune_steps=3, sample_every=3,
                                                          latent_faces=4))
    assert report.personalization == "both" and report.steps == 3 and report.snapshot_step == 3
    assert "draw" in report.timings_s  # the published face was drawn at the codes, not a snapshot
    assert sink.space.published("bob") is not None


def test_auto_draws_from_a_base_with_an_encoder_and_fine_tunes_one_without(latent_base, tiny_config, tmp_path):
    folder, _ = latent_base
    Trainer(tiny_config).save_base(tmp_path / "plain")
    assert plan_training(latent_run(folder)).config.personalize == "latent"
    assert plan_training(latent_run(tmp_path / "plain")).config.personalize == "finetune"
    assert plan_training(tiny_config).config.personalize == "finetune"  # from scratch
    with pytest.raises(ConfigError, match=r"has no encoder; add one with `devface encoder --base"):
        plan_training(latent_run(tmp_path / "plain", personalize="latent"))
    with pytest.raises(ConfigError, match="personalize both needs a base: give --init-from"):
        plan_training(attrs.evolve(tiny_config, personalize="both"))


def test_a_latent_run_on_a_base_without_an_encoder_fails_before_reading_a_like(tiny_config, tmp_path):
    Trainer(tiny_config).save_base(tmp_path / "plain")
    # The user has no likes at all: a check made after reading would have said so instead.
    result = CliRunner().invoke(run_command, ["--source", "memory:latent-test-nobody", "--sink", "memory",
                                              "--user", "ann", "--init-from", str(tmp_path / "plain"),
                                              "--personalize", "latent"])
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert "has no encoder; add one with `devface encoder" in result.output


def test_devface_encoder_adds_an_encoder_to_a_compact_base(tiny_config, tmp_path):
    trainer = Trainer(attrs.evolve(tiny_config, ema=0.9))
    save_compact_base(trainer.models, trainer.config, tmp_path / "base")
    likes = tmp_path / "likes" / "ann"
    likes.mkdir(parents=True)
    for index in range(3):
        (likes / f"{index}.png").write_bytes(face_like(index, 16))
    assert not has_encoder(tmp_path / "base")
    result = CliRunner().invoke(main, ["encoder", "--base", str(tmp_path / "base"), "--source",
                                       f"dir:{tmp_path / 'likes'}", "--encoder-steps", "5", "--batch-size", "4", "--json"])
    assert result.exit_code == 0, result.output
    assert has_encoder(tmp_path / "base") and '"steps": 5' in result.stdout
    assert not (tmp_path / "base" / "encoder.weights.h5").exists()  # into the compact file, as shipped
    base = latent.LatentBase.load(latent_run(tmp_path / "base"))
    liked = np.stack([to_array(decode_image(face_like(index, 16), "like")) for index in range(2)])
    assert base.personal_faces(liked, 3).shape == (3, 16, 16, 3)
    assert plan_training(latent_run(tmp_path / "base")).config.personalize == "latent"


def test_a_base_saved_again_without_an_encoder_drops_the_old_one(tiny_config, tmp_path):
    trainer = Trainer(tiny_config)
    trainer.save_base(tmp_path / "base", build_encoder(16, 8))
    assert has_encoder(tmp_path / "base")
    trainer.save_base(tmp_path / "base")  # its noise space is not the old encoder's
    assert not has_encoder(tmp_path / "base")


def test_every_like_anchors_as_many_faces_as_any_other():
    rng = np.random.default_rng(0)
    for likes, count in ((16, 64), (10, 64), (7, 5)):
        anchors = latent.even_anchors(likes, count, rng)
        shares = np.bincount(anchors, minlength=likes)
        assert len(anchors) == count and shares.max() - shares.min() <= 1
    codes = np.eye(16, 64, dtype=np.float32) * 5.0  # far apart: each face lies nearest the like it starts from
    faces = latent.stepped_codes(codes, 64, seed=3)
    nearest = np.linalg.norm(faces[:, None] - codes[None], axis=-1).argmin(axis=1)
    assert np.bincount(nearest, minlength=16).tolist() == [4] * 16
