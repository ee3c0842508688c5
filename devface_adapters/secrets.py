"""Passwords out of every message: find each password a user could have given, and mask it wherever it
appears, whether or not its connection string parses.

A URL's password is taken as everything between the first ':' of its user part and the last '@' of the
URL, so an unescaped '/', '#', '?' or '@' inside it is still found; a keyword string's is the value of
`password=`. Every password seen (spec strings, options, the environment's connection string) is
remembered for the process, and `mask_secrets` replaces it, and each piece of it that a parser may have
split off and echoed (libpq's "invalid port" names such a piece), by ***. No psycopg2 here: the registry
and the CLI use it before any adapter loads.
"""

from __future__ import annotations

import re
import threading
from typing import Iterable

_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*://", re.I)
_KEYWORD_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s]+)", re.I)
_PIECE_SEPARATORS = re.compile(r"[/#?@:]")
# Pieces shorter than this are not masked on their own: one or two characters occur in any text. A
# whole password is masked whatever its length.
MIN_PIECE = 3

_remembered: set[str] = set()
_lock = threading.Lock()


def passwords_in(text: str) -> list[str]:
    """Every URL or keyword password inside a text."""
    found = [match[2].strip("'") for match in _KEYWORD_PASSWORD.finditer(text)]
    for match in _SCHEME.finditer(text):
        rest = text[match.end():].split()
        userinfo, at, _ = (rest[0] if rest else "").rpartition("@")
        if at and ":" in userinfo:
            found.append(userinfo.split(":", 1)[1])
    return [password for password in found if password and password != "***"]


def remember_secrets(text: str | None) -> None:
    """Remember the passwords inside a spec, option or connection string, to mask them in every message."""
    if text:
        with _lock:
            _remembered.update(passwords_in(text))


def mask_secrets(text: str, extra: Iterable[str] = ()) -> str:
    """The text with every password in it, every remembered one and `extra`, and their pieces, as ***."""
    with _lock:
        secrets = set(_remembered)
    secrets.update(passwords_in(text), (secret for secret in extra if secret))
    pieces = {piece for secret in secrets for piece in _PIECE_SEPARATORS.split(secret) if len(piece) >= MIN_PIECE}
    for secret in sorted(secrets | pieces, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
