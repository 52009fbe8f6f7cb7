"""Secrets handling: argon2id password hashes, random tokens stored only as SHA-256 digests."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gutwise.core.settings import get_settings

MIN_PASSWORD_LENGTH = 10


@lru_cache
def _hasher() -> tuple[PasswordHasher, str]:
    """argon2id with the library's RFC 9106 "low memory" profile (about 0.2 s a hash here).

    The ``fast-insecure-for-tests`` profile keeps the algorithm and format but uses tiny costs so that the test
    suite can create hundreds of accounts; hashes made with it are upgraded at the next sign-in
    (``needs_rehash``) once the standard profile is back.
    """
    if get_settings().password_hash_profile == "fast-insecure-for-tests":  # noqa: S105 - a profile name
        hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    else:
        hasher = PasswordHasher()
    # A real hash to verify against when the e-mail is unknown, so both failures take the same time.
    return hasher, hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher()[0].hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; runs a full verification even when there is no user."""
    hasher, dummy = _hasher()
    try:
        return hasher.verify(password_hash or dummy, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher()[0].check_needs_rehash(password_hash)


def new_token(prefix: str = "") -> str:
    """A URL-safe random token (256 bits); the prefix makes leaked tokens recognisable (e.g. ``gw_``)."""
    return prefix + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database stores: a leaked database does not yield usable session or API tokens."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
