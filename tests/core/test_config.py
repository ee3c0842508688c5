"""Config: validated values, and precedence command line > DEVFACE_* environment > file > defaults."""

from __future__ import annotations

import pytest

from devface_core.config import PRETRAIN_STEPS, Config
from devface_core.config_loading import load_config
from devface_core.errors import ConfigError


def test_defaults_publish_the_front_end_size():
    config = load_config(environ={})
    assert config.output_size == (500, 492)
    assert config.fit == "crop"


def test_defaults_are_the_recipe_that_won_the_quality_benchmark():
    config = load_config(environ={})
    assert (config.architecture, config.augment, config.ada_target, config.mirror, config.ema) == (
        "fast", "color,translation,cutout", 0.6, True, 0.999)
    assert (config.select, config.max_steps, config.batch_size, config.grow_from) == ("best", 1500, 16, 0)


def test_a_base_pretrains_for_pretrain_steps_unless_a_file_the_environment_or_an_option_names_max_steps(tmp_path):
    assert load_config(environ={}, pretraining=True).max_steps == PRETRAIN_STEPS != load_config(environ={}).max_steps
    file = tmp_path / "devface.toml"
    file.write_text("max_steps = 7\n")
    assert load_config(file, environ={}, pretraining=True).max_steps == 7
    assert load_config(environ={"DEVFACE_MAX_STEPS": "20"}, pretraining=True).max_steps == 20
    assert load_config(environ={}, overrides={"max_steps": 0}, pretraining=True).max_steps == 0


def test_a_base_augments_colour_alone_unless_told_and_a_user_run_keeps_the_full_policy():
    assert load_config(environ={}, pretraining=True).augment == "color"
    assert load_config(environ={}, pretraining=True).lecam == 0.3 and load_config(environ={}).lecam == 0.0
    assert load_config(environ={"DEVFACE_AUGMENT": "color,cutout"}, pretraining=True).augment == "color,cutout"
    assert load_config(environ={}, overrides={"augment": "none"}, pretraining=True).augment == ""
    assert load_config(environ={}).augment == "color,translation,cutout"


@pytest.mark.parametrize(
    "settings",
    [{"epochs": 0}, {"batch_size": -1}, {"image_size": 30}, {"select": "random"}, {"architecture": "vit"}],
)
def test_invalid_values_are_config_errors(settings):
    with pytest.raises(ConfigError):
        load_config(environ={}, overrides=settings)


def test_file_then_environment_then_options(tmp_path):
    file = tmp_path / "devface.toml"
    file.write_text("epochs = 7\nbatch_size = 16\nseed = 3\n")
    environ = {"DEVFACE_BATCH_SIZE": "32", "DEVFACE_SEED": "4", "DEVFACE_DATABASE_URL": "ignored"}
    config = load_config(file, environ=environ, overrides={"seed": 5, "z_dim": None})
    assert (config.epochs, config.batch_size, config.seed, config.z_dim) == (7, 32, 5, 100)


def test_yaml_file_with_a_devface_section(tmp_path):
    file = tmp_path / "settings.yaml"
    file.write_text("devface:\n  image-size: 32\n  output_size: 250x246\n  select: latest\n")
    config = load_config(file, environ={})
    assert (config.image_size, config.output_size, config.select) == (32, (250, 246), "latest")


def test_errors_name_the_variable_option_or_file_key_and_suggest_the_nearest_setting(tmp_path):
    with pytest.raises(ConfigError, match="^environment variable DEVFACE_EPOCHS = 'many': "):
        load_config(environ={"DEVFACE_EPOCHS": "many"})
    with pytest.raises(ConfigError, match=r"^option --max-steps \(setting max_steps\) = -5: "):
        load_config(environ={}, overrides={"max_steps": -5})
    file = tmp_path / "bad.toml"
    file.write_text("epoch = 3\n")
    with pytest.raises(ConfigError) as raised:
        load_config(file, environ={})
    assert str(raised.value) == f"config file {file}: setting epoch: unknown setting (did you mean 'epochs'?)"
    file.write_text("colour_scheme = 'dark'\n")  # nothing near it: a pointer, not a dump of every name
    with pytest.raises(ConfigError, match="unknown setting \\(docs/settings.md lists every setting\\)$"):
        load_config(file, environ={})


def test_unreadable_or_unparsable_files_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml", environ={})
    broken = tmp_path / "broken.toml"
    broken.write_text("epochs = = 3")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(broken, environ={})


def test_config_is_frozen():
    with pytest.raises(AttributeError):
        Config().epochs = 3


def test_mirrored_training_of_the_original_architecture_is_refused_up_front():
    with pytest.raises(ConfigError, match="strategy mirrored needs architecture fast"):
        load_config(overrides={"strategy": "mirrored", "architecture": "seed"})
    assert load_config(overrides={"strategy": "mirrored"}).architecture == "fast"


def test_a_mistyped_setting_variable_is_named_with_the_nearest_one(caplog):
    environ = {"DEVFACE_MAX_STPES": "5", "DEVFACE_DATABASE_URL": "postgresql://db/app", "DEVFACE_BROKER_URL": "x",
               "DEVFACE_VISIBILITY_TIMEOUT": "30", "DEVFACE_TEST_DSN": "postgresql://t/t"}
    with caplog.at_level("WARNING"):
        config = load_config(environ=environ)
    assert config.max_steps == Config().max_steps  # not applied, but not silent either
    assert [record.getMessage() for record in caplog.records] == [
        "environment variable DEVFACE_MAX_STPES is not a setting; did you mean DEVFACE_MAX_STEPS?"]
