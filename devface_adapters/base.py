"""What every adapter class shares: a name, URL schemes, a spec-string constructor, a safe description.

An adapter's capabilities follow from the methods it has: `iter_images` makes it a source, `publish`
a sink, `add` (with `iter_images`) a store.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any, ClassVar, Mapping

from devface_core.errors import ConfigError


class Adapter:
    """Base class for adapters; subclasses set `name` and implement the protocol methods they support."""

    name: ClassVar[str] = ""
    schemes: ClassVar[tuple[str, ...]] = ()
    summary: ClassVar[str] = ""

    @classmethod
    def from_spec(cls, argument: str | None, options: Mapping[str, str]) -> "Adapter":
        """Build from the part of the spec after `name:` (or the whole URL) and `key=value` options."""
        if argument:
            raise ConfigError(f"{cls.name}: takes no argument, got {argument!r}")
        return cls(**dict(options))

    @classmethod
    def capabilities(cls) -> tuple[str, ...]:
        """Which roles this adapter can play: source, sink, store."""
        roles = []
        if hasattr(cls, "iter_images"):
            roles.append("source")
        if hasattr(cls, "publish"):
            roles.append("sink")
        if hasattr(cls, "add") and hasattr(cls, "iter_images"):
            roles.append("store")
        return tuple(roles)

    def _describe(self) -> dict[str, Any]:
        """Fields that identify this adapter in messages; never credentials."""
        return {}

    def describe(self) -> str:
        """A short, credential-free description such as `dir:/data/faces`."""
        fields = ", ".join(f"{k}={v}" for k, v in self._describe().items())
        return f"{self.name}({fields})" if fields else self.name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


def flag(value: str | bool, what: str) -> bool:
    """Parse a true/false option value."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{what}: expected true or false, got {value!r}")


def positive_int(value: str | int, what: str) -> int:
    """Parse an option that must be a positive whole number."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise ConfigError(f"{what}: expected a positive whole number, got {value!r}")
    return number


def devface_version() -> str:
    """The installed devface version, or 'unknown' in an uninstalled source tree."""
    try:
        return metadata.version("devface")
    except metadata.PackageNotFoundError:
        return "unknown"
