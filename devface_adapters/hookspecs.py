"""The pluggy markers and the one hook every adapter plugin implements."""

from __future__ import annotations

import pluggy

PROJECT_NAME = "devface"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def devface_register_adapters(register):
    """Register adapter classes by calling `register(AdapterClass)` once per class."""
