"""Wider and deeper networks (settings g_width, d_width, g_depth): the layers they give, and that a base keeps them."""

from __future__ import annotations

import attrs
import numpy as np
import pytest

from devface_core.config_loading import load_config
from devface_core.errors import ConfigError
from devface_core.gan.latent import build_sampler
from devface_core.gan.models import build_models
from devface_core.gan.trainer import Trainer
from tests.helpers.bases import forget_saved_settings

NOISE = np.random.default_rng(0).normal(size=(2, 8)).astype("float32")


def _conv_filters(model, prefix: str) -> dict[str, int]:
    """Output channels of each layer whose name starts with `prefix`, by name."""
    return {layer.name: layer.weights[0].shape[-1] for layer in model.layers if layer.name.startswith(prefix)}


def test_d_width_multiplies_every_discriminator_channel():
    _, plain = build_models("fast", 32, 8, seed=0)
    _, wide = build_models("fast", 32, 8, seed=0, d_width=2)
    narrow, doubled = _conv_filters(plain, "d_"), _conv_filters(wide, "d_")
    assert narrow.keys() == doubled.keys() and "d_conv4_32" in narrow and "d_from_rgb_32" in narrow
    for name, filters in narrow.items():
        assert doubled[name] == (1 if name == "d_logit" else 2 * filters), name


def test_g_width_multiplies_the_generator_blocks_up_to_the_first_blocks_channels():
    plain, _ = build_models("fast", 64, 8, seed=0)
    wide, _ = build_models("fast", 64, 8, seed=0, g_width=2)
    # GLU halves each block's convolution: 128, 64 and 32 channels leave the blocks, and 128, 128, 64 wide.
    assert _conv_filters(plain, "g_conv") == {"g_conv_16": 256, "g_conv_32": 128, "g_conv_64": 64}
    assert _conv_filters(wide, "g_conv") == {"g_conv_16": 256, "g_conv_32": 256, "g_conv_64": 128}
    assert wide(NOISE).shape == plain(NOISE).shape == (2, 64, 64, 3)


def test_g_depth_adds_a_convolution_at_each_generator_side_with_the_blocks_channels():
    plain, _ = build_models("fast", 64, 8, seed=0)
    deep, _ = build_models("fast", 64, 8, seed=0, g_depth=2)
    assert _conv_filters(deep, "g_conv") == {**_conv_filters(plain, "g_conv"), "g_conv2_16": 256, "g_conv2_32": 128,
                                             "g_conv2_64": 64}
    assert {"g_bn2_16", "g_bn2_32", "g_bn2_64"} <= {layer.name for layer in deep.layers}
    assert deep(NOISE).shape == (2, 64, 64, 3)


def test_a_base_keeps_its_depth_and_one_saved_before_it_has_depth_one(tiny_config, tmp_path):
    deep = Trainer(attrs.evolve(tiny_config, g_depth=2))
    deep.save_base(tmp_path / "deep")
    loaded = load_config(environ={}, overrides={"init_from": str(tmp_path / "deep")})
    assert loaded.g_depth == 2
    assert build_sampler(loaded).count_params() == deep.models.sampler.count_params()  # what latent loads into
    Trainer(tiny_config).save_base(tmp_path / "old")
    forget_saved_settings(tmp_path / "old", "g_depth")
    with pytest.raises(ConfigError, match=r"g_depth 1 \(this run: 2\)"):
        Trainer(attrs.evolve(tiny_config, g_depth=2, init_from=str(tmp_path / "old")))


def test_a_base_keeps_its_widths_and_its_fine_tunes_follow_it(tiny_config, tmp_path):
    config = attrs.evolve(tiny_config, g_width=2, d_width=2)
    trainer = Trainer(config)
    trainer.save_base(tmp_path / "base")
    base = str(tmp_path / "base")
    loaded = load_config(environ={}, overrides={"init_from": base})
    assert (loaded.g_width, loaded.d_width) == (2, 2)  # the base's shape stands in for the defaults
    assert build_sampler(loaded).count_params() == trainer.models.sampler.count_params()
    fine_tune = Trainer(attrs.evolve(config, init_from=base))
    np.testing.assert_array_equal(np.asarray(fine_tune.models.sampler(NOISE)), np.asarray(trainer.models.sampler(NOISE)))
    with pytest.raises(ConfigError, match=r"d_width 2 \(this run: 1\)"):
        Trainer(attrs.evolve(config, d_width=1, init_from=base))


def test_a_base_saved_before_the_widths_has_width_one(tiny_config, tmp_path):
    Trainer(tiny_config).save_base(tmp_path / "base")
    forget_saved_settings(tmp_path / "base", "g_width", "d_width")
    Trainer(attrs.evolve(tiny_config, init_from=str(tmp_path / "base")))  # fits: both count as 1
    with pytest.raises(ConfigError, match=r"g_width 1 \(this run: 2\)"):
        Trainer(attrs.evolve(tiny_config, g_width=2, init_from=str(tmp_path / "base")))


def test_pretraining_defaults_to_the_wider_discriminator_and_user_runs_do_not():
    assert load_config(environ={}, pretraining=True).d_width == 2
    assert load_config(environ={}, overrides={"d_width": 1}, pretraining=True).d_width == 1
    assert load_config(environ={}).d_width == 1
    assert load_config(environ={}, pretraining=True).g_width == 1
