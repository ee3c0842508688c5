"""The command line: the main job end to end, one-line errors with distinct exit codes, JSON reports."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner
from PIL import Image

from devface_adapters.cli import main, run_command
from tests.helpers import images
from tests.helpers.scripts import script

TINY = ["--epochs", "2", "--image-size", "32", "--batch-size", "4", "--z-dim", "8"]


def node_constant(js_file, identifier="DEVFACE_IMAGE_B64") -> str:
    """Evaluate a JavaScript file in node and return the value of one constant."""
    script = (
        "const fs=require('fs'),vm=require('vm');"
        f"process.stdout.write(vm.runInThisContext(fs.readFileSync(process.argv[1],'utf8')+';{identifier}'))"
    )
    return subprocess.run(["node", "-e", script, str(js_file)], capture_output=True, text=True, check=True).stdout


def data_url_png_size(data_url: str) -> tuple[int, int]:
    prefix = "data:image/png;base64,"
    assert data_url.startswith(prefix)
    image = Image.open(io.BytesIO(base64.b64decode(data_url[len(prefix) :])))
    assert image.format == "PNG"
    return image.size


def test_main_job_demo_to_jsfile_as_a_real_command(tmp_path):
    if shutil.which("node") is None:
        pytest.fail("node is required to check the JavaScript sink")
    out = tmp_path / "out" / "imgb64.js"
    command = [script("devface-run"), "--source", "demo", "--sink", f"jsfile:{out}", "--user", "alice", *TINY]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "oneDNN" not in result.stderr
    subprocess.run(["node", "--check", str(out)], check=True)
    assert data_url_png_size(node_constant(out)) == (500, 492)
    # stderr is a pipe, not a terminal: each phase and the training's progress still show, as plain lines
    lines = result.stderr.splitlines()
    for start in ("devface: alice: reading likes from demo", "devface: alice: training on",
                  "devface: training: step ", "devface: alice: trained", "devface: alice: publishing to jsfile"):
        assert any(line.startswith(start) for line in lines), f"no line starting {start!r} in:\n{result.stderr}"


def test_progress_lines_count_steps_towards_the_run_total_and_quiet_silences_them(tmp_path):
    command = ["--source", "demo", "--sink", f"jsfile:{tmp_path / 'face.js'}", "--user", "alice", *TINY]
    result = CliRunner().invoke(run_command, [*command, "--max-steps", "60", "--epochs", "1000"])
    assert result.exit_code == 0, result.output
    progress = [line for line in result.stderr.splitlines() if line.startswith("devface: training: step")]
    # the first tick (25 steps, or fewer to the first snapshot) and the last always show; others at most
    # every few seconds
    assert re.match(r"devface: training: step ([1-9]|1\d|2[0-5])/60 \(\d+%\) · d -?\d\.\d\d g -?\d", progress[0])
    assert progress[-1].startswith("devface: training: step 60/60 (100%) · d ")
    quiet = CliRunner().invoke(run_command, [*command, "--max-steps", "2", "--quiet"])
    assert quiet.exit_code == 0 and quiet.stderr == "" and quiet.stdout.startswith("published alice's face")


def test_dir_to_dir_round_trip_with_mixed_images(tmp_path):
    likes = tmp_path / "likes" / "alice"
    likes.mkdir(parents=True)
    (likes / "a_rgba.png").write_bytes(images.rgba_png())
    (likes / "b_rotated.jpg").write_bytes(images.exif_rotated_jpeg())
    (likes / "c_notes.txt").write_text("not an image")
    (likes / "d_truncated.png").write_bytes(images.truncated_png())
    out = tmp_path / "faces"
    args = ["--source", f"dir:{tmp_path / 'likes'}", "--sink", f"dir:{out}", "--user", "alice", "--json", *TINY]
    result = CliRunner().invoke(run_command, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["images_used"] == 2
    assert {os.path.basename(s["key"]): s["reason"].split(" (")[0] for s in report["skipped"]} == {
        "c_notes.txt": "not an image",
        "d_truncated.png": "not an image",
    }
    assert Image.open(out / "alice.png").size == (500, 492)
    sidecar = json.loads((out / "alice.json").read_text())
    assert (sidecar["step"], sidecar["epoch"]) == (report["steps"], 2) and sidecar["config"]["image_size"] == 32 and "published_at" in sidecar
    plain = CliRunner().invoke(run_command, [*args[:-len(TINY) - 1], *TINY, "--max-steps", "1"])
    assert plain.exit_code == 0, plain.output
    assert plain.stderr.count("c_notes.txt") == 1 and plain.stderr.count("d_truncated.png") == 1  # logged once


@pytest.mark.parametrize(
    "args,code,message",
    [
        (["--source", "nope", "--sink", "memory"], 2, "unknown adapter 'nope' (known sources: demo, dir, memory"),
        (["--source", "demo", "--sink", "demo"], 2, "'demo' cannot be used as a sink"),
        (["--source", "demo", "--sink", "memory", "--epochs", "0"], 2, "epochs"),
        (["--source", "demo", "--sink", "memory", "--sink-opt", "colour=red"], 2, "unknown option colour"),
        (["--source", "dir:{tmp}/missing", "--sink", "memory"], 2, "folder does not exist"),
        (["--source", "dir:{tmp}", "--sink", "memory"], 3, "no usable liked images"),
        (["--source", "demo", "--sink", "jsfile:{tmp}/x.js", "--sink-opt", "identifier=const"], 2, "identifier"),
    ],
)
def test_errors_are_one_line_with_distinct_exit_codes(tmp_path, args, code, message):
    (tmp_path / "other-user").mkdir()
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(run_command, [*TINY, *args, "--user", "alice"])
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_bad_user_id_for_a_folder_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(run_command, ["--source", f"dir:{tmp_path}", "--sink", "memory", "--user", "../etc"])
    assert result.exit_code == 2 and "cannot be used in a path" in result.output


def test_seed_refuses_a_folder_with_a_bad_image_and_stores_nothing(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "good.png").write_bytes(images.png())
    (source / "bad.png").write_bytes(images.truncated_png())
    target = tmp_path / "store"
    args = ["seed", "--from", f"dir:{source}", "--to", f"dir:{target}", "--user", "alice"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 5 and "nothing stored" in result.output
    assert not target.exists()
    result = CliRunner().invoke(main, [*args, "--skip-invalid"])
    assert result.exit_code == 0, result.output
    assert [p.name for p in (target / "alice").iterdir()] == ["good.png"]


def test_plugins_lists_builtins_with_capabilities_and_provider():
    result = CliRunner().invoke(main, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    listed = {entry["name"]: entry for entry in json.loads(result.stdout)}
    assert {"memory", "dir", "jsfile", "demo"} <= set(listed)
    assert listed["dir"]["capabilities"] == ["source", "sink", "store"]
    assert listed["jsfile"]["capabilities"] == ["sink"]
    assert listed["memory"]["provider"] == "devface"


def test_config_file_is_read_and_options_override_it(tmp_path):
    config = tmp_path / "devface.toml"
    config.write_text("epochs = 3\nimage_size = 32\nz_dim = 8\nbatch_size = 4\n")
    args = ["--source", "demo:4", "--sink", "memory:cli-config", "--user", "u", "--config", str(config), "--json"]
    result = CliRunner().invoke(run_command, [*args, "--epochs", "1"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["epochs"] == 1 and report["config"]["image_size"] == 32


def test_minibatch_stddev_is_switched_on_from_the_command_line():
    # From scratch, 'auto' is off (tests/core/test_minibatch_stddev.py), so the flag is what turns it on.
    args = ["--source", "demo:4", "--sink", "memory:cli-stddev", "--user", "u", *TINY, "--epochs", "1", "--json"]
    result = CliRunner().invoke(run_command, [*args, "--minibatch-stddev"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["config"]["minibatch_stddev"] is True


def test_version_and_short_help_options():
    from importlib import metadata

    for command in (main, run_command):
        assert CliRunner().invoke(command, ["--version"]).output.strip() == f"devface {metadata.version('devface')}"
        assert CliRunner().invoke(command, ["-h"]).exit_code == 0


def option_entries(help_text: str) -> dict[str, str]:
    """Each option's help, whitespace collapsed, by its long flag (an entry starts at a line "  -")."""
    entries, current = {}, None
    for line in help_text.split("Options:")[1].splitlines():
        if re.match(r"^  -", line):
            current = re.search(r"--[a-z0-9-]+", line)[0]
            entries[current] = ""
        if current and line.strip():
            entries[current] += " " + line.strip()
    return {flag: " ".join(text.split()) for flag, text in entries.items()}


def test_help_shows_every_settings_default_and_the_spec_syntax():
    from devface_core.config import FIELDS, PRETRAIN_DEFAULTS

    pretrain = main.commands["pretrain"]
    for command, groups in ((run_command, ("train", "run", "personal")), (pretrain, ("train", "pretrain"))):
        text = CliRunner().invoke(command, ["--help"]).output
        entries = option_entries(text)
        for field in FIELDS:
            if field.metadata["cli"] in groups and field.default is not None and field.metadata["kind"] != "flag":
                default = PRETRAIN_DEFAULTS.get(field.name, field.default) if command is pretrain else field.default
                shown = ("on" if default else "off") if isinstance(default, bool) else default
                entry = entries[f"--{field.name.replace('_', '-')}"]
                assert entry.endswith(f"[default: {shown}]"), entry
    run_help = CliRunner().invoke(run_command, ["--help"]).output
    assert "s3://BUCKET/PREFIX" in run_help and "devface-run --source dir:likes --sink dir:faces" in run_help


def test_each_base_part_command_says_what_it_does_to_the_base():
    expected = {"encoder": "The base folder to add the encoder to. [required]",
                "upscaler": "The base folder to add the upscaler to. [required]",
                "adapt": "The base folder to teach its codes. [required]"}
    for name, text in expected.items():
        entries = option_entries(CliRunner().invoke(main.commands[name], ["--help"]).output)
        assert entries["--base"] == f"--base DIRECTORY {text}"


def test_a_mistyped_adapter_suggests_the_nearest_name():
    result = CliRunner().invoke(run_command, ["--source", "demo", "--sink", "jsfil", "--user", "alice"])
    assert result.exit_code == 2 and "did you mean 'jsfile'?" in result.output


def test_sink_offers_only_adapters_that_can_publish():
    result = CliRunner().invoke(run_command, ["--source", "demo", "--sink", "dem", "--user", "alice"])
    assert "known sinks: dir, jsfile, memory, postgres, s3" in result.output
    assert "'demo'" not in result.output  # the source-only demo is not offered as a sink
    result = CliRunner().invoke(run_command, ["--source", "demo", "--sink", "demo", "--user", "alice"])
    assert result.exit_code == 2 and "'demo' cannot be used as a sink" in result.output


@pytest.mark.parametrize("arguments, expected", [
    (["run", "--source", "demo", "--sink", "jsfil", "--user", "a"], "Invalid value for '--sink'"),
    (["run", "--source", "demo", "--sink", "jsfile", "--user", "a", "--max-step", "3"], "'--max-steps'"),
    (["run", "--source", "demo", "--sink", "jsfile", "--user", "a", "--max-steps", "abc"], "'abc' is not a valid integer"),
    (["run", "--source", "demo", "--sink", "jsfile"], "Missing option '--user'"),
    (["frob"], "No such command 'frob'"),
])
def test_usage_errors_are_one_line_without_the_usage_block(arguments, expected):
    result = subprocess.run([script("devface"), *arguments], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("devface: error: "), result.stderr
    assert expected in result.stderr and "(see --help)" in result.stderr and "Usage:" not in result.stderr
