"""Another backend embedding devface: seed liked images into memory, run the pipeline, read the face back.

Run: python examples/embed.py   (settings come from DEVFACE_* variables, e.g. DEVFACE_EPOCHS=20)
"""

from __future__ import annotations

import json

from devface_adapters.demo import DemoAdapter
from devface_adapters.memory import MemoryAdapter
from devface_core import load_config, run_pipeline


def main() -> None:
    """Train for one user entirely in memory and print the report."""
    likes = MemoryAdapter(space="embed-example")
    for liked in DemoAdapter(count="12").iter_images("carol"):
        likes.add("carol", liked.data, liked.key.rsplit("/", 1)[-1] + ".png")
    report = run_pipeline(likes, likes, "carol", load_config())
    face = likes.space.published("carol")
    print(json.dumps({"uri": report.published_uri, "png_bytes": len(face.png), "step": face.step}))


if __name__ == "__main__":
    main()
