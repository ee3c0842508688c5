"""Modules imported on first use, so the commands start without the database and S3 client libraries.

The registry loads every adapter module to list the adapters, but psycopg2 (about 0.1 s) and boto3 (about
0.3 s, and over a hundred modules) are only needed once a postgres or S3 adapter talks to its server. An
adapter module names its client library with `lazy_module` instead of `import`; the real import happens at
the first attribute read, and a library that is not installed becomes one line saying what to install.
"""

from __future__ import annotations

import importlib
import types

from devface_core.errors import ConfigError


class LazyModule(types.ModuleType):
    """Stands in for a module until an attribute is first read, then forwards every read to it."""

    def __init__(self, name: str, needed_by: str, install: str):
        super().__init__(name)
        self.__dict__["_needed_by"], self.__dict__["_install"] = needed_by, install
        self.__dict__["_module"] = None

    def __getattr__(self, attribute: str):
        module = self.__dict__["_module"] or self._load()
        return getattr(module, attribute)

    def _load(self) -> types.ModuleType:
        try:
            module = importlib.import_module(self.__name__)
        except ImportError as exc:
            raise ConfigError(f"the {self._needed_by} adapter needs {self.__name__.split('.')[0]}, which is "
                              f"not installed ({exc.msg}): pip install {self._install}") from None
        self.__dict__["_module"] = module
        return module


def lazy_module(name: str, needed_by: str, install: str) -> LazyModule:
    """`name` (a module or a submodule such as `psycopg2.sql`), imported when first used."""
    return LazyModule(name, needed_by, install)
