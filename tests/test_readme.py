"""Every command the README shows runs, with tiny settings from a `.env` file. The quick start's two
commands are what `.ci/run` runs (the second is this suite), so they are not repeated here."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from pathlib import Path

from click.testing import CliRunner

from devface_adapters.cli import main, run_command
from devface_core.imaging import to_data_url
from tests.helpers import images, pg
from tests.helpers.scripts import script

README = Path(__file__).parents[1] / "README.md"
TINY_ENV = ("DEVFACE_MAX_STEPS=2\nDEVFACE_FINETUNE_STEPS=2\nDEVFACE_IMAGE_SIZE=16\nDEVFACE_BATCH_SIZE=4\n"
            "DEVFACE_ENCODER_STEPS=2\nDEVFACE_ADAPT_STEPS=2\nDEVFACE_LATENT_REFINE_STEPS=2\nDEVFACE_LATENT_PIVOT_STEPS=2\n"
            "DEVFACE_Z_DIM=8  # tiny: the commands are checked, not the faces\n")
TINY_PYTHON = "Config(max_steps=2, image_size=16, batch_size=4, z_dim=8)"


def readme_block(heading: str, language: str) -> str:
    """The first fenced block of `language` after `heading`."""
    after = README.read_text(encoding="utf-8").split(heading, 1)[1]
    return after.split(f"```{language}\n", 1)[1].split("```", 1)[0]


def shell_commands(block: str) -> list[str]:
    """Each command of a shell block: comments dropped, `a && b` split."""
    lines = [line.split("  #")[0].strip() for line in block.splitlines()]
    return [command for line in lines if line and not line.startswith("#") for command in line.split(" && ")]


def watch_until_ready(words: list[str], env: dict) -> None:
    """Start `devface watch`, wait for it to say it is watching, stop it as a service manager would."""
    watch = subprocess.Popen([script(words[0]), *words[1:]], env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert any("watching" in line for line in watch.stderr), "devface watch never said it was watching"
    finally:
        watch.send_signal(signal.SIGTERM)
    assert watch.wait(timeout=60) == 0


def test_every_everyday_command_in_the_readme_runs(tmp_path, monkeypatch, pg_dsn, pg_schema, environment):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(TINY_ENV)
    (tmp_path / "likes" / "alice").mkdir(parents=True)
    for index in range(4):
        (tmp_path / "likes" / "alice" / f"{index}.png").write_bytes(images.face_like(index, 16))
    database = pg.dsn_with_search_path(pg_dsn, pg_schema)
    for command in shell_commands(readme_block("## Everyday tasks", "sh")):
        words = shlex.split(command)
        if words[0] == "export":  # the README's placeholder database becomes this test's schema
            monkeypatch.setenv(words[1].split("=", 1)[0], database)
        elif words[:2] == ["devface", "watch"]:
            watch_until_ready(words, dict(os.environ))
        else:
            result = CliRunner().invoke(run_command if words[0] == "devface-run" else main, words[1:])
            assert result.exit_code == 0, f"{command}: {result.output}"
        if words[:3] == ["devface", "db", "init"] and len(words) == 3:  # the deployed app's likes arrive
            for index in range(4):
                pg.insert_like(pg_dsn, pg_schema, "alice", to_data_url(images.face_like(index, 16)))
    assert (tmp_path / "faces" / "alice.png").exists() and (tmp_path / "web" / "imgb64.js").exists()
    assert (tmp_path / "base" / "settings.json").exists()


def test_the_readmes_python_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "likes" / "alice").mkdir(parents=True)
    for index in range(4):
        (tmp_path / "likes" / "alice" / f"{index}.png").write_bytes(images.face_like(index, 16))
    code = readme_block("From Python, every backend calls the same pipeline:", "python")
    assert "Config(max_steps=500)" in code
    exec(compile(code.replace("Config(max_steps=500)", TINY_PYTHON), "README.md", "exec"), {})
