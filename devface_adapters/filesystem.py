"""The `dir:PATH` adapter: liked images as files in a folder, the published face as `<user>.png` + sidecar.

Layout for reading: if PATH has sub-folders, each is a user (`PATH/<user>/*`); if it has none, every file
in PATH belongs to whichever user is asked for (a flat folder of one person's likes). Every file is
offered to the core, which skips and reports the ones that are not images. Hidden files are ignored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Iterator

from devface_adapters.base import Adapter, devface_version
from devface_adapters.files import atomic_write, atomic_write_all, check_writable_folder, unique_path
from devface_adapters.hookspecs import hookimpl
from devface_core.errors import AdapterError, ConfigError
from devface_core.types import PublishedImage, SourceImage
from devface_core.userid import check_file_name, path_safe_user_id


class DirectoryAdapter(Adapter):
    """Images in a local folder: source, sink and store (`dir:PATH`)."""

    name = "dir"
    summary = "local folder: PATH/<user>/* in, PATH/<user>.png + .json out"

    def __init__(self, *, path: str):
        if "\x00" in path:
            raise ConfigError(f"dir:{path!r}: a path cannot contain a NUL byte")
        self.root = Path(path).expanduser()

    @classmethod
    def from_spec(cls, argument, options):
        """`dir:PATH`."""
        path = argument or options.pop("path", None)
        if not path:
            raise ConfigError("dir: needs a folder, as dir:PATH")
        return cls(path=path, **options)

    def iter_images(self, user_id: str, max_bytes: int | None = None) -> Iterator[SourceImage]:
        """Yield each file of the user's folder, sorted by name, read one at a time and never past
        `max_bytes` + 1 bytes; a file over it, or a link that is broken, loops or leads out of the likes
        folder, comes with a `problem` instead of data (and is skipped by name)."""
        folder = self._user_folder(path_safe_user_id(user_id))
        if folder is None:
            return
        for file in sorted(self._children(folder)):
            problem = self._link_problem(file) or self._size_problem(file, max_bytes)
            if problem is None and not file.is_file():
                continue  # a folder inside the user's folder is not a like
            data = b"" if problem else self._read(file, max_bytes)
            yield SourceImage(key=f"{self.name}:{file}", data=data, user_id=user_id, problem=problem,
                              created_at=None if problem else self._modified(file))

    def _link_problem(self, file: Path) -> str | None:
        """Why a symbolic link is not followed (broken, a loop, or leading out of the likes folder), or None.
        A like inside the likes folder may be a link to another one there: that is followed."""
        if not file.is_symlink():
            return None
        try:
            target = file.resolve(strict=True)
        except RuntimeError:
            return "symbolic link loop"
        except OSError as exc:
            return "broken symbolic link" if isinstance(exc, FileNotFoundError) else f"cannot follow link ({exc.strerror})"
        if not target.is_relative_to(self.root.resolve()):
            return "symbolic link leads out of the likes folder (not followed)"
        return None

    @staticmethod
    def _size_problem(file: Path, max_bytes: int | None) -> str | None:
        """Why a file is too large to read (checked before reading a byte), or None."""
        try:
            size = file.stat().st_size
        except OSError as exc:
            return f"cannot read ({exc.strerror})"
        if max_bytes is not None and size > max_bytes:
            return f"file is {size} bytes, larger than max_image_bytes ({max_bytes})"
        return None

    @staticmethod
    def _modified(file: Path) -> dt.datetime:
        return dt.datetime.fromtimestamp(file.stat().st_mtime, dt.timezone.utc)

    def users(self) -> list[str]:
        """Every user folder (the per-user layout); a flat folder has no named users."""
        self._check_root()
        return sorted(child.name for child in self._children(self.root) if child.is_dir())

    def _check_root(self) -> None:
        """A likes folder that is not there is a mistake in the spec (exit 2), not a storage failure."""
        if not self.root.is_dir():
            raise ConfigError(f"dir:{self.root}: folder does not exist (check the spec's path)")

    def _user_folder(self, user_id: str) -> Path | None:
        self._check_root()
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

    def _read(self, file: Path, max_bytes: int | None = None) -> bytes:
        try:
            with file.open("rb") as opened:  # one byte past the limit: a file that grew is still caught
                return opened.read(-1 if max_bytes is None else max_bytes + 1)
        except OSError as exc:
            raise AdapterError(f"dir:{file}: cannot read ({exc.strerror})") from None

    def check_can_publish(self, user_id: str) -> None:
        """Raise unless this user's face could be written here: the id must name a file (ConfigError) and
        the folder must exist or be creatable, and be writable (AdapterError). Asked before training."""
        check_file_name(user_id, f"{path_safe_user_id(user_id)}.json", f"dir:{self.root}")
        check_writable_folder(self.root, f"dir:{self.root}")

    def publish(self, user_id: str, image: PublishedImage) -> str:
        """Write `<user>.json` and `<user>.png` so that a full disk changes neither, and the face goes
        live last: its sidecar (which holds the PNG's sha256) is never older than the face."""
        check_file_name(user_id, f"{path_safe_user_id(user_id)}.json", f"dir:{self.root}")
        target = self.root / f"{path_safe_user_id(user_id)}.png"
        sidecar = json.dumps(sidecar_data(user_id, image), indent=2, sort_keys=True).encode()
        atomic_write_all([(target.with_suffix(".json"), sidecar), (target, image.png)], f"dir:{self.root}")
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
    """What a sidecar says about a published face: step, epoch, score, size, why, settings, when, by which version."""
    metadata_without_user = {k: v for k, v in image.metadata.items() if k != "user_id"}
    return {
        "user_id": user_id,
        "step": image.step,
        "epoch": image.epoch,
        "score": image.score,
        "width": image.width,
        "height": image.height,
        "published_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "devface_version": devface_version(),
        "png_sha256": hashlib.sha256(image.png).hexdigest(),
        **metadata_without_user,
    }


@hookimpl
def devface_register_adapters(register):
    """Register the dir adapter."""
    register(DirectoryAdapter)
