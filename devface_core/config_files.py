"""Where settings come from besides the command line: TOML/YAML files and DEVFACE_* variables."""

from __future__ import annotations

import difflib
import logging
import os
import tomllib
from pathlib import Path
from typing import Any, Iterable, Mapping

from devface_core.errors import ConfigError

ENV_PREFIX = "DEVFACE_"
logger = logging.getLogger(__name__)


def environment_settings(environ: Mapping[str, str], names: Iterable[str]) -> dict[str, str]:
    """The DEVFACE_<SETTING> variables that name a setting; a warning for one that looks like a mistyped
    setting (others, e.g. DEVFACE_DATABASE_URL, are someone else's and pass silently)."""
    found, names = {}, list(names)
    for name in names:
        value = environ.get(ENV_PREFIX + name.upper())
        if value is not None:
            found[name] = value
    variables = [ENV_PREFIX + name.upper() for name in names]
    for variable in (name for name in environ if name.startswith(ENV_PREFIX) and name not in variables):
        close = difflib.get_close_matches(variable, variables, n=1, cutoff=0.85)
        if close:
            logger.warning("environment variable %s is not a setting; did you mean %s?", variable, close[0])
    return found


def read_config_file(path: str | os.PathLike) -> dict[str, Any]:
    """Settings from a TOML or YAML file: top-level keys, or the keys of a `devface` table."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"config file {file}: cannot read ({exc.strerror})") from None
    data = _parse(text, file)
    if not isinstance(data, dict):
        raise ConfigError(f"config file {file}: expected a table of settings")
    section = data.get("devface", data)
    return {str(key).replace("-", "_"): value for key, value in section.items()}


def _parse(text: str, file: Path) -> Any:
    """Parse by suffix: .toml with tomllib, .yaml/.yml with PyYAML."""
    suffix = file.suffix.lower()
    try:
        if suffix == ".toml":
            return tomllib.loads(text)
        if suffix in (".yaml", ".yml"):
            import yaml

            return yaml.safe_load(text) or {}
    except Exception as exc:  # each parser has its own error class; all mean "not valid syntax"
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"config file {file}: invalid {suffix[1:].upper()} ({first_line})") from None
    raise ConfigError(f"config file {file}: expected a .toml, .yaml or .yml file")
