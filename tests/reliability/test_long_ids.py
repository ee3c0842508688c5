"""User ids too long for a sink are refused before a single like is read; long ids still get safe,
distinct internal names; a NUL byte in a path setting is a clear error."""

from __future__ import annotations

import subprocess

import pytest

from devface_adapters.filesystem import DirectoryAdapter
from devface_adapters.memory import MemoryAdapter
from devface_core import Config, run_pipeline
from devface_core.config_loading import load_config
from devface_core.errors import ConfigError
from devface_core.userid import NAME_MAX_BYTES, encoded_user_id
from tests.helpers import images
from tests.helpers.sources import CountingSource
from tests.helpers.scripts import script

CJK_ID = "顔" * 100  # 300 bytes of UTF-8: a file name of it does not exist
LONG_ID = "u" * 240  # fits as "<id>.png", not as the temporary beside it


@pytest.mark.parametrize("user_id", [CJK_ID, LONG_ID])
def test_an_id_too_long_for_the_dir_sink_is_refused_before_any_like_is_read(tmp_path, user_id):
    source = CountingSource(space="long-ids")
    source.add(user_id, images.face_like(0, 16), "0.png")
    CountingSource.reads = 0
    with pytest.raises(ConfigError, match="too long for a file name in dir:"):
        run_pipeline(source, DirectoryAdapter(path=str(tmp_path)), user_id, Config(image_size=16, max_steps=1))
    assert CountingSource.reads == 0
    assert list(tmp_path.iterdir()) == []


def test_the_cli_reports_a_too_long_id_as_a_usage_error(tmp_path):
    result = subprocess.run([script("devface-run"), "--source", "demo", "--sink", f"dir:{tmp_path}", "--user",
                             CJK_ID, "--max-steps", "1"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert "too long for a file name" in result.stderr and "Traceback" not in result.stderr


def test_long_ids_get_distinct_internal_names_that_fit_with_a_temporary():
    names = {encoded_user_id(user_id) for user_id in (CJK_ID, CJK_ID + "x", LONG_ID, "顔" * 256)}
    assert len(names) == 4
    assert max(len(name.encode()) for name in names) + len(".png") + 22 <= NAME_MAX_BYTES
    assert encoded_user_id("alice") == "alice"  # short ids keep their readable names


def test_long_ids_train_with_checkpoints_and_contact_sheets(tmp_path):
    source = MemoryAdapter(space="long-ids-train")
    for index in range(2):
        source.add(CJK_ID, images.face_like(index, 16), f"{index}.png")
    config = Config(image_size=16, batch_size=2, z_dim=8, max_steps=2, checkpoint_dir=str(tmp_path / "ckpt"),
                    contact_sheets=str(tmp_path / "sheets"))
    report = run_pipeline(source, source, CJK_ID, config)
    assert report.steps == 2 and len(list((tmp_path / "sheets").iterdir())) == 1


@pytest.mark.parametrize("setting", ["checkpoint_dir", "contact_sheets", "init_from", "save_generator"])
def test_a_nul_byte_in_a_path_setting_names_the_setting(setting):
    with pytest.raises(ConfigError, match=f"option --{setting.replace('_', '-')} \\(setting {setting}\\) = .*NUL byte"):
        load_config(environ={}, overrides={setting: "out\x00put"})
