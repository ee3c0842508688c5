"""A contact sheet: one row per snapshot (labelled with its step), one column per sample, as a PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from PIL import Image, ImageDraw

from devface_core.atomic import write_atomically
from devface_core.imaging import encode_png
from devface_core.types import Snapshot
from devface_core.userid import encoded_user_id

GAP = 2
LABEL_WIDTH = 56
BACKGROUND = (24, 24, 24)
LABEL_COLOUR = (230, 230, 230)


def contact_sheet(snapshots: Sequence[Snapshot], scale: int = 1) -> Image.Image:
    """The snapshots' samples in a grid, oldest at the top, each row labelled 'step N'."""
    ordered = sorted(snapshots, key=lambda snapshot: int(snapshot.step))
    count, side = max(len(s.images) for s in ordered), ordered[0].images.shape[1] * scale
    width = LABEL_WIDTH + count * (side + GAP) + GAP
    sheet = Image.new("RGB", (width, len(ordered) * (side + GAP) + GAP), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    for row, snapshot in enumerate(ordered):
        top = GAP + row * (side + GAP)
        draw.text((4, top + side // 2 - 6), f"step {snapshot.step}", fill=LABEL_COLOUR)
        for column, pixels in enumerate(snapshot.images):
            tile = Image.fromarray(pixels, "RGB").resize((side, side), Image.Resampling.NEAREST)
            sheet.paste(tile, (LABEL_WIDTH + GAP + column * (side + GAP), top))
    return sheet


def write_contact_sheet(folder: str | Path, user_id: str, snapshots: Sequence[Snapshot]) -> Path:
    """Write `<folder>/<encoded user id>.png` atomically; return its path."""
    scale = max(1, 96 // snapshots[0].images.shape[1])  # small training sizes are enlarged to be seen
    path = Path(folder) / f"{encoded_user_id(user_id)}.png"
    write_atomically(path, encode_png(contact_sheet(snapshots, scale)))
    return path
