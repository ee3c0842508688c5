"""An example third-party devface plugin: the `html:PATH` sink writes a page that shows the face."""

from __future__ import annotations

import html
from pathlib import Path

import devface_adapters
from devface_adapters.base import Adapter
from devface_adapters.files import atomic_write
from devface_core import to_data_url, validate_user_id

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title></head>
<body><img id="face" alt="{title}" width="{width}" height="{height}" src="{src}"></body></html>
"""


class HtmlPageAdapter(Adapter):
    """Publishes the face as an HTML page (`html:PATH`)."""

    name = "html"
    summary = "standalone HTML page showing the face (example plugin)"

    def __init__(self, *, path: str = "face.html"):
        self.path = Path(path)

    @classmethod
    def from_spec(cls, argument, options):
        """`html:PATH`."""
        return cls(path=argument or options.pop("path", "face.html"), **options)

    def publish(self, user_id, image):
        """Write the page atomically."""
        title = html.escape(f"devface: {validate_user_id(user_id)}")
        page = PAGE.format(title=title, width=image.width, height=image.height, src=to_data_url(image.png))
        atomic_write(self.path, page.encode("utf-8"), f"html:{self.path}")
        return self.path.resolve().as_uri()


@devface_adapters.hookimpl
def devface_register_adapters(register):
    """Register the html sink."""
    register(HtmlPageAdapter)
