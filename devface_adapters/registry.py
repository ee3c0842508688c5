"""The adapter registry: loads plugins once through pluggy, and turns spec strings into adapters.

Spec strings: a bare name (`memory`), `name:argument` (`dir:./faces`), or a URL whose scheme names the
adapter (`postgresql://…`, `s3://bucket/prefix`). Options come separately as `key=value` pairs.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
import os
import sys
import types
from importlib import metadata
from typing import Iterable, Mapping

import attrs
import pluggy

from devface_adapters.secrets import mask_secrets, remember_secrets
from devface_adapters import hookspecs
from devface_adapters.base import Adapter
from devface_core.errors import ConfigError

ENTRY_POINT_GROUP = "devface"
DEFAULT_PLUGINS = (
    "devface_adapters.memory",
    "devface_adapters.filesystem",
    "devface_adapters.jsfile",
    "devface_adapters.demo",
    "devface_adapters.postgres",
    "devface_adapters.s3",
)


@attrs.frozen
class AdapterInfo:
    """One registered adapter as `devface plugins` shows it."""

    name: str
    schemes: tuple[str, ...]
    capabilities: tuple[str, ...]
    provider: str
    summary: str


class AdapterRegistry:
    """Adapter classes by name and by URL scheme; a plugin's hook receives `register` (this object's `add`)."""

    def __init__(self) -> None:
        self._by_name: dict[str, type[Adapter]] = {}
        self._by_scheme: dict[str, type[Adapter]] = {}

    def add(self, cls: type[Adapter]) -> type[Adapter]:
        """Register one adapter class under its `name` and `schemes`."""
        if not cls.name or not cls.capabilities():
            raise ConfigError(f"adapter {cls.__qualname__}: needs a name and at least one protocol method")
        known = self._by_name.get(cls.name)
        if known is not None and known is not cls:
            raise ConfigError(f"adapter name {cls.name!r} registered twice ({_module(known)} and {_module(cls)})")
        self._by_name[cls.name] = cls
        for scheme in cls.schemes:
            self._by_scheme[scheme] = cls
        return cls

    @property
    def adapters(self) -> Mapping[str, type[Adapter]]:
        """A read-only view of the registered adapter classes by name."""
        return types.MappingProxyType(self._by_name)

    def info(self) -> list[AdapterInfo]:
        """Every adapter with its capabilities and providing distribution, sorted by name."""
        return [
            AdapterInfo(name, cls.schemes, cls.capabilities(), provider_of(cls), cls.summary)
            for name, cls in sorted(self._by_name.items())
        ]

    def resolve(self, spec: str, options: Mapping[str, str] | None = None, role: str | None = None) -> Adapter:
        """The adapter instance a spec string names, checked to support `role` (source, sink or store)."""
        remember_secrets(spec)
        for value in (options or {}).values():
            remember_secrets(value)
        cls, argument = self.lookup(spec, role)
        _check_options(cls, options or {})
        return cls.from_spec(argument, dict(options or {}))

    def lookup(self, spec: str, role: str | None = None) -> tuple[type[Adapter], str | None]:
        """(adapter class, argument) for a spec string, without building the adapter; ConfigError if unknown
        or, given a role (source, sink or store), if the adapter cannot play it."""
        spec = spec.strip()
        if "://" in spec:
            scheme = spec.split("://", 1)[0].lower()
            table = _able(self._by_scheme, role)
            return _known(self._by_scheme.get(scheme), f"{scheme}://", table, role), spec
        name, _, argument = spec.partition(":")
        return _known(self._by_name.get(name), name, _able(self._by_name, role), role), argument or None


def _able(table: Mapping[str, type[Adapter]], role: str | None) -> dict[str, type[Adapter]]:
    """The adapters of a table that can play `role` (all of them without one)."""
    return {key: cls for key, cls in table.items() if role is None or role in cls.capabilities()}


def _known(cls, what: str, table: Mapping[str, type[Adapter]], role: str | None) -> type[Adapter]:
    """The adapter found, or a ConfigError naming the nearest one that can play the role."""
    if cls is not None and role is not None and role not in cls.capabilities():
        can = ", ".join(cls.capabilities())
        raise ConfigError(f"{cls.name!r} cannot be used as a {role} (it can be: {can}; {role}s: "
                          f"{', '.join(sorted(table)) or 'none'})")
    if cls is None:
        remember_secrets(what)
        close = difflib.get_close_matches(what, list(table), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        hint += "; a keyword connection string goes in postgres's dsn option" if "=" in what else ""
        known = f"{'known ' + role + 's' if role else 'known'}: {', '.join(sorted(table)) or 'none'}"
        raise ConfigError(mask_secrets(f"unknown adapter {what!r} ({known}{hint})"))
    return cls


def _check_options(cls: type[Adapter], options: Mapping[str, str]) -> None:
    """Unknown `key=value` options fail with the list of known ones."""
    parameters = inspect.signature(cls.__init__).parameters
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return
    known = [name for name, p in parameters.items() if p.kind is p.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ConfigError(f"{cls.name}: unknown option {', '.join(unknown)} (known: {', '.join(known) or 'none'})")


def _module(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def provider_of(cls: type) -> str:
    """The distribution that ships an adapter class (its top-level package's distribution)."""
    top = cls.__module__.split(".")[0]
    providers = metadata.packages_distributions().get(top)
    return providers[0] if providers else top


def parse_options(pairs: Iterable[str]) -> dict[str, str]:
    """`key=value` strings to a dict; a pair without '=' is a ConfigError."""
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"option {pair!r}: expected key=value")
        options[key.strip()] = value
    return options


def _plugin_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    if os.environ.get("DEVFACE_TRACE_PLUGINS"):
        manager.trace.root.setwriter(lambda message: print(message, end="", file=sys.stderr))
        manager.enable_tracing()
    return manager


def _load_plugins(manager: pluggy.PluginManager) -> None:
    """Entry-point plugins (built-ins included), or the built-ins by module name when not installed."""
    allowed = os.environ.get("DEVFACE_PLUGINS")
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        is_builtin = entry_point.value in DEFAULT_PLUGINS
        if allowed is not None and not is_builtin and entry_point.name not in allowed.split(","):
            continue
        if manager.get_plugin(entry_point.name) is None:
            manager.register(entry_point.load(), name=entry_point.name)
    for module_name in DEFAULT_PLUGINS:  # running from a source tree that was never pip-installed
        module = importlib.import_module(module_name)
        if not manager.is_registered(module):
            manager.register(module, name=module_name)
    manager.check_pending()


def build_registry(extra_plugins: Iterable[object] = ()) -> AdapterRegistry:
    """A fresh registry from every installed plugin plus `extra_plugins` (modules or objects with the hook)."""
    manager = _plugin_manager()
    _load_plugins(manager)
    for plugin in extra_plugins:
        if not manager.is_registered(plugin):
            manager.register(plugin)
    manager.check_pending()
    registry = AdapterRegistry()
    manager.hook.devface_register_adapters(register=registry.add)
    return registry


@functools.cache
def get_registry() -> AdapterRegistry:
    """The process-wide registry, loaded once on first use."""
    return build_registry()
