"""The working directory's .env: every DEVFACE_* setting and the connection, under the real environment,
with inline comments read as comments."""

from __future__ import annotations

import json

from click.testing import CliRunner

from devface_adapters.cli import run_command
from devface_adapters.envfile import apply_env_file
from devface_adapters.pgconnect import connection_target, find_dsn
from devface_core import load_config


def test_precedence_is_option_then_environment_then_env_file_then_config_file(tmp_path, environment):
    (tmp_path / ".env").write_text("DEVFACE_MAX_STEPS=7  # short runs while trying things\n"
                                   "export DEVFACE_SEED='3'\nDEVFACE_BATCH_SIZE=8\n")
    (tmp_path / "devface.toml").write_text("max_steps = 2\nseed = 1\nz_dim = 16\n")
    environment["DEVFACE_BATCH_SIZE"] = "32"
    assert apply_env_file(tmp_path / ".env") == ["DEVFACE_MAX_STEPS", "DEVFACE_SEED"]
    config = load_config(tmp_path / "devface.toml", overrides={"seed": 5})
    assert (config.max_steps, config.batch_size, config.seed, config.z_dim) == (7, 32, 5, 16)


def test_the_commands_read_the_env_file_of_the_working_directory(tmp_path, environment, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("DEVFACE_MAX_STEPS=2 # a comment, not part of the value\nDEVFACE_IMAGE_SIZE=16\n"
                                   "DEVFACE_BATCH_SIZE=4\nDEVFACE_Z_DIM=8\n")
    result = CliRunner().invoke(run_command, ["--source", "demo", "--sink", "jsfile:face.js", "--user", "a", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["steps"] == 2 and report["config"]["image_size"] == 16


def test_a_bad_value_in_the_env_file_names_the_variable(tmp_path, environment, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("DEVFACE_EPOCHS=many\n")
    result = CliRunner().invoke(run_command, ["--source", "demo", "--sink", "jsfile:face.js", "--user", "a"])
    assert result.exit_code == 2
    assert result.output.startswith("devface: error: environment variable DEVFACE_EPOCHS = 'many': ")


def test_the_connection_comes_from_the_environment_then_the_env_file(tmp_path):
    (tmp_path / ".env").write_text("export DATABASE_URL='postgresql://u:pw@db.example/app'  # the app's database\n")
    assert find_dsn(environ={}, cwd=tmp_path) == "postgresql://u:pw@db.example/app"
    # libpq's own variables no longer hide the file's connection string
    assert find_dsn(environ={"PGHOST": "x"}, cwd=tmp_path) == "postgresql://u:pw@db.example/app"
    assert find_dsn(environ={"DATABASE_URL": "postgresql://env/db"}, cwd=tmp_path) == "postgresql://env/db"
    assert find_dsn(environ={"DATABASE_URL": "postgresql://env/db", "DEVFACE_DATABASE_URL": "postgresql://ours/db"},
                    cwd=tmp_path) == "postgresql://ours/db"
    assert find_dsn(environ={}, cwd=tmp_path / "elsewhere") == ""


def test_the_target_shown_is_the_one_libpq_connects_to(monkeypatch):
    for name in ("PGHOST", "PGPORT", "PGDATABASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PGUSER", "dora")
    # no host: libpq uses the local socket; no database: the one named after the user (not 'postgres')
    assert connection_target("") == "local socket:5432/dora"
    monkeypatch.setenv("PGDATABASE", "likes")
    assert connection_target("host=db.internal port=6543") == "db.internal:6543/likes"
