"""The documentation that is generated stays in step with the code."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import settings_reference  # noqa: E402


def test_the_settings_reference_matches_the_config_declarations():
    assert (ROOT / "docs" / "settings.md").read_text() == settings_reference.render(), (
        "docs/settings.md is out of date: run python scripts/settings_reference.py")


def test_every_setting_is_in_the_reference_with_its_help():
    from devface_core.config import FIELDS

    text = settings_reference.render()
    assert all(f"| `{field.name}` |" in text and field.metadata["help"] in text for field in FIELDS)
