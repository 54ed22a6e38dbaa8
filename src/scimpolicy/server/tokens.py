"""Bearer tokens: made once, shown once, kept as a digest, compared in constant time.

Stage: credentials. A token is 48 random alphanumeric characters from :mod:`secrets`
(about 285 bits), like the "unique alphanumeric string" ZPA's *Generate New Token*
button shows. Because it is random and long, an unsalted SHA-256 digest is enough to
store it (nothing to brute-force, unlike a password); checking hashes what the client
sent and compares the two digests with :func:`hmac.compare_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from typing import Final

__all__ = ["TOKEN_LENGTH", "digest", "matches", "new_token"]

TOKEN_LENGTH: Final = 48
_ALPHABET: Final = string.ascii_letters + string.digits


def new_token() -> str:
    """A fresh random token. Show it once; store only :func:`digest` of it."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(TOKEN_LENGTH))


def digest(token: str) -> str:
    """The hex SHA-256 digest stored in place of *token*."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def matches(token: str, stored_digest: str | None) -> bool:
    """Whether *token* is the one whose digest is stored, in constant time.

    With no stored digest nothing matches; the work done is the same either way, so
    the time taken says nothing about whether a token exists.
    """
    expected = stored_digest if stored_digest is not None else "-" * 64
    return hmac.compare_digest(digest(token), expected) and stored_digest is not None
