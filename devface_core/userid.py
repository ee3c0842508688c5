"""User ids: what any adapter may receive, and what may become part of a file or object path."""

from __future__ import annotations

import hashlib
import unicodedata
import urllib.parse

from devface_core.errors import ConfigError

MAX_USER_ID_LENGTH = 256
NAME_MAX_BYTES = 255  # the longest file name Linux file systems take
# Room a temporary file needs around a name: ".NAME.PID.XXXXXXXX.tmp" (pid up to 7 digits).
TEMPORARY_OVERHEAD = len(".." + "4194304" + ".XXXXXXXX.tmp")
ENCODED_MAX = 220  # longer encodings end in a digest instead (220, ".png" and a temporary's 22 fit 255)


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
    a name and none can escape its parent ('..' becomes '%2E%2E'); an encoding over ENCODED_MAX characters
    (a long id, or one in a script that encodes to 9 characters a letter) keeps its start and ends in a
    digest of the whole id, so it still fits a file name with room for a temporary's."""
    encoded = urllib.parse.quote(validate_user_id(user_id), safe="").replace(".", "%2E")
    if len(encoded) <= ENCODED_MAX:
        return encoded
    return f"{encoded[:ENCODED_MAX - 33]}~{hashlib.sha256(user_id.encode()).hexdigest()[:32]}"


def check_file_name(user_id: str, name: str, where: str) -> None:
    """ConfigError unless `name`, made from the user id, fits a file name with room for its temporary."""
    size = len(name.encode("utf-8")) + TEMPORARY_OVERHEAD
    if size > NAME_MAX_BYTES:
        raise ConfigError(f"user id {user_id[:40]!r}…: too long for a file name in {where} "
                          f"({len(user_id.encode('utf-8'))} bytes of UTF-8; file names take {NAME_MAX_BYTES})")
