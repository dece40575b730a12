"""Staying signed in across reloads and dropped connections.

A successful sign-in issues a random token (256 bits, ``secrets``) that the browser keeps in a cookie; the
store keeps only its SHA-256 (``store.login_sessions``), the account's name, a fingerprint of the password hash
it was issued under, and its expiry. A later visit carrying the cookie is signed in again while the token is
unexpired, the account still exists and its password is unchanged. Signing out deletes the token; changing an
account's password (``campaign user add`` again) changes the fingerprint, which ends all of that account's
sessions without the store being written. Plain functions over a DuckDB connection, testable without Streamlit.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from datetime import datetime, timedelta

import duckdb

from campaign.store import transaction

COOKIE = "cc_session"
DEFAULT_HOURS = 12.0  # a working day, the dispatch meeting included


def hours() -> float:
    """CAMPAIGN_SESSION_HOURS (default 12): how long a browser stays signed in; 0 turns staying signed in off."""
    try:
        return max(0.0, float(os.environ.get("CAMPAIGN_SESSION_HOURS", DEFAULT_HOURS)))
    except ValueError:
        return DEFAULT_HOURS


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def fingerprint(password_hash: str) -> str:
    return hashlib.sha256(("session:" + (password_hash or "")).encode("utf-8")).hexdigest()[:32]


def start(con: duckdb.DuckDBPyConnection, user_name: str, password_hash: str,
          now: datetime | None = None) -> str:
    """A new token for ``user_name`` (expired tokens of every account are removed on the way)."""
    now = now or datetime.now()
    token = secrets.token_urlsafe(32)
    with transaction(con) as cur:  # a sign-in changes no data: the pages' caches stay valid
        cur.execute("DELETE FROM store.login_sessions WHERE expires_at <= ?", [now])
        cur.execute("INSERT INTO store.login_sessions VALUES (?, ?, ?, ?, ?)",
                    [_digest(token), user_name, fingerprint(password_hash), now, now + timedelta(hours=hours())])
    return token


def resume(con: duckdb.DuckDBPyConnection, token: str | None, accounts: dict[str, dict],
           now: datetime | None = None) -> str | None:
    """The account a cookie's token still signs in, or None (unknown, expired, account gone, password
    changed)."""
    if not token or len(token) > 200 or hours() == 0:
        return None
    cur = con.cursor()
    try:
        row = cur.execute("SELECT user_name, password_fp, expires_at FROM store.login_sessions WHERE token_hash = ?",
                          [_digest(token)]).fetchone()
    except duckdb.CatalogException:  # a store from before sessions existed, opened read-only
        return None
    finally:
        cur.close()
    if row is None:
        return None
    name, fp, expires = row
    entry = accounts.get(name)
    if expires <= (now or datetime.now()) or not entry or not secrets.compare_digest(
            fp, fingerprint(entry.get("password_hash", ""))):
        return None
    return name


def end(con: duckdb.DuckDBPyConnection, token: str | None) -> None:
    """Sign-out: the token no longer signs anybody in."""
    if not token:
        return
    cur = con.cursor()
    try:
        cur.execute("DELETE FROM store.login_sessions WHERE token_hash = ?", [_digest(token)])
    finally:
        cur.close()


def cookie_script(token: str | None, max_age_s: int) -> str:
    """The script that stores (or, with ``token`` None, removes) the cookie in the browser. The token is
    URL-safe base64, so nothing in it can break out of the string."""
    if token is not None and not all(c.isalnum() or c in "-_" for c in token):
        raise ValueError("token")
    value = token or ""
    age = max_age_s if token else 0
    return ("<script>let secure = ''; try { if (window.parent.location.protocol === 'https:') secure = '; Secure'; }"
            f" catch (e) {{}} document.cookie = '{COOKIE}={value}; Max-Age={age}; Path=/; SameSite=Strict' + secure;"
            "</script>")
