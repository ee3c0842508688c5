"""The `dir:PATH` adapter: liked images as files in a folder, the published face as `<user>.png` + sidecar.

Layout for reading: if PATH has sub-folders, each is a user (`PATH/<user>/*`); if it has none, every file
in PATH belongs to whichever user is asked for (a flat folder of one person's likes). Every file is
offered to the core, which skips and reports the ones that are not images. Hidden files are ignored.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Iterator

from devface_adapters.base import Adapter, devface_version
from devface_adapters.files import atomic_write, unique_path
from devface_adapters.hookspecs import hookimpl
from devface_core.errors import AdapterError, ConfigError
from devface_core.types import PublishedImage, SourceImage
from devface_core.userid import path_safe_user_id


class DirectoryAdapter(Adapter):
    """Images in a local folder: source, sink and store (`dir:PATH`)."""

    name = "dir"
    summary = "local folder: PATH/<user>/* in, PATH/<user>.png + .json out"

    def __init__(self, *, path: str):
        self.root = Path(path).expanduser()

    @classmethod
    def from_spec(cls, argument, options):
        """`dir:PATH`."""
        path = argument or options.pop("path", None)
        if not path:
            raise ConfigError("dir: needs a folder, as dir:PATH")
        return cls(path=path, **options)

    def iter_images(self, user_id: str) -> Iterator[SourceImage]:
        """Yield each file of the user's folder, sorted by name, read one at a time."""
        folder = self._user_folder(path_safe_user_id(user_id))
        if folder is None:
            return
        for file in sorted(child for child in self._children(folder) if child.is_file()):
            yield SourceImage(key=f"{self.name}:{file}", data=self._read(file), user_id=user_id,
                              created_at=dt.datetime.fromtimestamp(file.stat().st_mtime, dt.timezone.utc))

    def users(self) -> list[str]:
        """Every user folder (the per-user layout); a flat folder has no named users."""
        if not self.root.is_dir():
            raise AdapterError(f"dir:{self.root}: folder does not exist")
        return sorted(child.name for child in self._children(self.root) if child.is_dir())

    def _user_folder(self, user_id: str) -> Path | None:
        if not self.root.is_dir():
            raise AdapterError(f"dir:{self.root}: folder does not exist")
        user_folder = self.root / user_id
        if user_folder.is_dir():
            return user_folder
        has_user_folders = any(child.is_dir() for child in self._children(self.root))
        return None if has_user_folders else self.root

    @staticmethod
    def _children(folder: Path) -> list[Path]:
        try:
            return [child for child in folder.iterdir() if not child.name.startswith(".")]
        except OSError as exc:
            raise AdapterError(f"dir:{folder}: cannot list ({exc.strerror})") from None

    def _read(self, file: Path) -> bytes:
        try:
            return file.read_bytes()
        except OSError as exc:
            raise AdapterError(f"dir:{file}: cannot read ({exc.strerror})") from None

    def publish(self, user_id: str, image: PublishedImage) -> str:
        """Write `<user>.png`, then its `<user>.json` sidecar, each atomically."""
        target = self.root / f"{path_safe_user_id(user_id)}.png"
        atomic_write(target, image.png, f"dir:{self.root}")
        sidecar = json.dumps(sidecar_data(user_id, image), indent=2, sort_keys=True).encode()
        atomic_write(target.with_suffix(".json"), sidecar, f"dir:{self.root}")
        return target.resolve().as_uri()

    def add(self, user_id: str, data: bytes, name: str) -> str:
        """Save a liked image as a new file in the user's folder (never overwriting one)."""
        safe_name = Path(name).name
        if not safe_name or safe_name.startswith("."):
            raise ConfigError(f"dir:{self.root}: cannot store an image named {name!r}")
        target = unique_path(self.root / path_safe_user_id(user_id), safe_name)
        atomic_write(target, data, f"dir:{self.root}")
        return str(target)

    def _describe(self):
        return {"path": str(self.root)}


def sidecar_data(user_id: str, image: PublishedImage) -> dict:
    """What a sidecar says about a published face: epoch, score, size, why, settings, when, by which version."""
    metadata_without_user = {k: v for k, v in image.metadata.items() if k != "user_id"}
    return {
        "user_id": user_id,
        "epoch": image.epoch,
        "score": image.score,
        "width": image.width,
        "height": image.height,
        "published_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "devface_version": devface_version(),
        **metadata_without_user,
    }


@hookimpl
def devface_register_adapters(register):
    """Register the dir adapter."""
    register(DirectoryAdapter)
