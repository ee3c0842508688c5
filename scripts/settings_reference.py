"""Write docs/settings.md, the settings reference, from Config's own declarations.

    python scripts/settings_reference.py          # rewrite docs/settings.md
A test fails when docs/settings.md differs from what this prints, so the reference cannot go stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devface_core.config import FIELDS, PRETRAIN_DEFAULTS, SECTIONS  # noqa: E402

TARGET = ROOT / "docs" / "settings.md"
SECTION_TITLES = {"budget": "How long to train", "ingest": "Reading the likes", "shape": "The model's shape",
                  "recipe": "How it learns", "snapshots": "Snapshots", "outputs": "What is published",
                  "checkpoints": "Checkpoints"}


def default_text(field) -> str:
    """A setting's default as a reader writes it."""
    if field.name in PRETRAIN_DEFAULTS:
        return f"`{field.default}` (`{PRETRAIN_DEFAULTS[field.name]}` for `devface pretrain`)"
    if field.default is None:
        return "auto" if field.metadata["kind"] in ("switch", "float") else "not set"
    if isinstance(field.default, tuple):
        return "`" + "x".join(str(side) for side in field.default) + "`"
    return f"`{str(field.default).lower() if isinstance(field.default, bool) else field.default}`"


def option_text(field) -> str:
    """The command-line option of a setting, or a dash when it has none."""
    if field.metadata["cli"] is None:
        return "—"
    flag = "--" + field.name.replace("_", "-")
    return f"`{flag}/--no-{flag[2:]}`" if field.metadata["kind"] == "switch" else f"`{flag}`"


def render() -> str:
    """The whole reference as Markdown."""
    lines = ["# Settings", "",
             "Generated from `devface_core/config.py` by `python scripts/settings_reference.py`; do not edit.", "",
             "Each setting comes from, highest first: its command-line option, the environment variable "
             "`DEVFACE_<NAME>` (`DEVFACE_MAX_STEPS=3000`), the same variable in a `.env` file in the working "
             "directory, a `--config` file (TOML or YAML: top-level keys or a `[devface]` table), then the "
             "default. Choices are listed in the help.", ""]
    for section in SECTIONS:
        lines += [f"## {SECTION_TITLES[section]}", "", "| setting | option | default | what it does |",
                  "|---|---|---|---|"]
        for field in (field for field in FIELDS if field.metadata["section"] == section):
            choices = f" One of: {', '.join(field.metadata['choices'])}." if field.metadata["choices"] else ""
            lines.append(f"| `{field.name}` | {option_text(field)} | {default_text(field)} | "
                         f"{field.metadata['help']}{choices} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    TARGET.write_text(render())
    print(f"wrote {TARGET}")
