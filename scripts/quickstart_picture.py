"""The README's quick-start picture: alice's demo likes beside the face the quick start published.

Run after the quick start: python scripts/quickstart_picture.py [out/imgb64.js] [docs/quickstart.png]
"""

from __future__ import annotations

import base64
import re
import sys
from pathlib import Path

from PIL import Image, ImageDraw

TILE, GAP, BACKGROUND, INK = 96, 4, (255, 255, 255), (40, 40, 40)


def published_face(js_file: Path) -> Image.Image:
    """The PNG inside the jsfile sink's data URL."""
    encoded = re.search(r"base64,([A-Za-z0-9+/=]+)", js_file.read_text())[1]
    from io import BytesIO

    return Image.open(BytesIO(base64.b64decode(encoded))).convert("RGB")


def main() -> None:
    js_file = Path(sys.argv[1] if len(sys.argv) > 1 else "out/imgb64.js")
    target = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/quickstart.png")
    from devface_adapters.demo import DemoAdapter
    from devface_core.imaging import decode_image

    likes = [decode_image(image.data, image.key).resize((TILE, TILE)) for image in DemoAdapter().iter_images("alice")]
    face = published_face(js_file).resize((2 * TILE + GAP, 2 * TILE + GAP))
    columns = (len(likes) + 1) // 2
    width = columns * (TILE + GAP) + 3 * GAP + face.width + GAP
    sheet = Image.new("RGB", (width, 2 * TILE + 3 * GAP + 16), BACKGROUND)
    for index, like in enumerate(likes):
        sheet.paste(like, (GAP + (index % columns) * (TILE + GAP), 16 + GAP + (index // columns) * (TILE + GAP)))
    sheet.paste(face, (width - face.width - GAP, 16 + GAP))
    draw = ImageDraw.Draw(sheet)
    draw.text((GAP, 2), "alice's 12 demo likes", fill=INK)
    draw.text((width - face.width - GAP, 2), "the published face", fill=INK)
    target.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(target, optimize=True)
    print(target)


if __name__ == "__main__":
    main()
