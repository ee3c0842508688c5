"""User ids: what any adapter may receive, and what may become part of a file or object path."""

from __future__ import annotations

import unicodedata
import urllib.parse

from devface_core.errors import ConfigError

MAX_USER_ID_LENGTH = 256


def validate_user_id(user_id: str) -> str:
    """Return the user id unchanged, or raise ConfigError if no adapter could take it safely."""
    if not isinstance(user_id, str) or not user_id:
        raise ConfigError("user id: must be a non-empty string")
    if len(user_id) > MAX_USER_ID_LENGTH:
        raise ConfigError(f"user id: longer than {MAX_USER_ID_LENGTH} characters")
    if any(unicodedata.category(ch) == "Cc" for ch in user_id):
        raise ConfigError(f"user id {user_id!r}: contains a control character")
    return user_id


def path_safe_user_id(user_id: str) -> str:
    """Return the user id if it can name a file or folder without escaping its parent, else raise."""
    validate_user_id(user_id)
    if "/" in user_id or "\\" in user_id or user_id.startswith(".") or ".." in user_id:
        raise ConfigError(f"user id {user_id!r}: cannot be used in a path ('/', '\\', '..' or a leading '.')")
    return user_id


def encoded_user_id(user_id: str) -> str:
    """A file or folder name for any valid user id: percent-encoded (dots too), so distinct ids never share
    a name and none can escape its parent ('..' becomes '%2E%2E')."""
    return urllib.parse.quote(validate_user_id(user_id), safe="").replace(".", "%2E")
