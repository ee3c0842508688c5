"""Bases as an older devface saved them."""

from __future__ import annotations

import json
from pathlib import Path


def forget_saved_settings(base: Path, *names: str) -> None:
    """Drop settings from a base's settings.json, as a base saved before those settings existed lacks them."""
    settings = Path(base) / "settings.json"
    saved = json.loads(settings.read_text())
    settings.write_text(json.dumps({name: value for name, value in saved.items() if name not in names}))
