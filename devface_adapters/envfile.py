"""The `.env` file of the working directory: the commands read it once, under the real environment.

Every variable a command reads can be set there: the DEVFACE_* settings, DEVFACE_DATABASE_URL or
DATABASE_URL, libpq's PG* variables, AWS_* for S3, DEVFACE_BROKER_URL. A variable already set in the
environment wins over the file, so precedence is: command-line option > environment > .env > config file >
defaults. python-dotenv reads the file (quotes, `export`, inline `# comments`, multi-line values), rather
than a parser of our own that mistook an inline comment for part of the value.
"""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import dotenv_values

ENV_FILE = ".env"


def apply_env_file(path: str | os.PathLike | None = None) -> list[str]:
    """Set each variable of the .env file (default: in the working directory) that the environment lacks;
    the names set. A missing file sets nothing."""
    file = Path(path) if path is not None else Path.cwd() / ENV_FILE
    if not file.is_file():
        return []
    applied = []
    for name, value in dotenv_values(file).items():
        if value is not None and name not in os.environ:
            os.environ[name] = value
            applied.append(name)
    return applied
