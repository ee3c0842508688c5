"""The `jsfile:PATH` sink: the face as a JavaScript constant holding a PNG data URL, for a web page to load.

Writes `const DEVFACE_IMAGE_B64 = "data:image/png;base64,…";` (identifier configurable and validated;
`module=true` writes `export const` for an ES module). The original wrote `imgb64.js` the same way.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from devface_adapters.base import Adapter, flag
from devface_adapters.files import atomic_write, check_writable_folder
from devface_adapters.hookspecs import hookimpl
from devface_core.errors import AdapterError, ConfigError
from devface_core.imaging import to_data_url
from devface_core.types import PublishedImage
from devface_core.userid import validate_user_id

DEFAULT_IDENTIFIER = "DEVFACE_IMAGE_B64"
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
RESERVED_WORDS = frozenset(
    "await break case catch class const continue debugger default delete do else enum export extends false "
    "finally for function if implements import in instanceof interface let new null package private "
    "protected public return static super switch this throw true try typeof var void while with yield "
    "undefined NaN Infinity eval arguments".split()
)


def check_identifier(identifier: str) -> str:
    """Return the identifier if JavaScript accepts it as a constant name, else raise ConfigError."""
    if not _IDENTIFIER.match(identifier) or identifier in RESERVED_WORDS:
        raise ConfigError(f"jsfile: {identifier!r} is not a valid JavaScript identifier")
    return identifier


def javascript_source(identifier: str, data_url: str, module: bool = False) -> str:
    """The file's text: one constant declaration (exported for an ES module)."""
    keyword = "export const" if module else "const"
    return f"{keyword} {identifier} = {json.dumps(data_url)};\n"


class JavaScriptFileAdapter(Adapter):
    """Publishes the face as a JavaScript constant in a file (`jsfile:PATH`, default `imgb64.js`)."""

    name = "jsfile"
    summary = "JavaScript file with a data-URL constant, for web pages"

    def __init__(self, *, path: str = "imgb64.js", identifier: str = DEFAULT_IDENTIFIER, module: str = "false"):
        if "\x00" in path:
            raise ConfigError(f"jsfile:{path!r}: a path cannot contain a NUL byte")
        self.path = Path(path).expanduser()
        self.identifier = check_identifier(identifier)
        self.module = flag(module, "jsfile option module")

    @classmethod
    def from_spec(cls, argument, options):
        """`jsfile:PATH` (PATH defaults to imgb64.js)."""
        if argument:
            options["path"] = argument
        return cls(**options)

    def check_can_publish(self, user_id: str) -> None:
        """AdapterError unless the file could be written: not a folder, in a folder that exists or can be
        created and is writable. Asked before any like is read."""
        where = f"jsfile:{self.path}"
        if self.path.is_dir():
            raise AdapterError(f"{where}: is a folder; name the file to write")
        check_writable_folder(self.path.parent, where)

    def publish(self, user_id: str, image: PublishedImage) -> str:
        """Write the file atomically; the user id is not part of it (one file per page)."""
        validate_user_id(user_id)
        text = javascript_source(self.identifier, to_data_url(image.png), self.module)
        atomic_write(self.path, text.encode("ascii"), f"jsfile:{self.path}")
        return self.path.resolve().as_uri()

    def _describe(self):
        return {"path": str(self.path), "identifier": self.identifier}


@hookimpl
def devface_register_adapters(register):
    """Register the jsfile adapter."""
    register(JavaScriptFileAdapter)
