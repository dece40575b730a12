"""Staying signed in: tokens stored hashed with an expiry, ended by sign-out and by a password change."""
from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pytest

from campaign import auth, sessions
from campaign.store import init_store

NOW = datetime(2026, 12, 2, 8, 30)


@pytest.fixture()
def con(tmp_path):
    init_store(tmp_path / "s.duckdb")
    c = duckdb.connect(str(tmp_path / "s.duckdb"))
    yield c
    c.close()


@pytest.fixture()
def accounts(tmp_path):
    path = tmp_path / "accounts.yaml"
    auth.add_user("wang", "first-pass-1", "viewer", path=path)
    return path


def test_a_token_signs_in_until_it_expires(con, accounts, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_SESSION_HOURS", "12")
    users = auth.load_accounts(accounts)
    token = sessions.start(con, "wang", users["wang"]["password_hash"], now=NOW)
    assert len(token) >= 40
    stored = con.execute("SELECT token_hash, user_name, expires_at FROM store.login_sessions").fetchall()
    assert stored[0][1:] == ("wang", NOW + timedelta(hours=12)) and token not in stored[0][0]  # only its hash
    assert sessions.resume(con, token, users, now=NOW + timedelta(hours=11)) == "wang"
    assert sessions.resume(con, token, users, now=NOW + timedelta(hours=12)) is None
    assert sessions.resume(con, token + "x", users, now=NOW) is None
    assert sessions.resume(con, "", users, now=NOW) is None and sessions.resume(con, None, users, now=NOW) is None


def test_sign_out_and_a_new_password_end_it(con, accounts):
    users = auth.load_accounts(accounts)
    a = sessions.start(con, "wang", users["wang"]["password_hash"], now=NOW)
    b = sessions.start(con, "wang", users["wang"]["password_hash"], now=NOW)
    sessions.end(con, a)
    assert sessions.resume(con, a, users, now=NOW) is None and sessions.resume(con, b, users, now=NOW) == "wang"
    auth.add_user("wang", "second-pass-2", "viewer", path=accounts)  # the administrator resets the password
    assert sessions.resume(con, b, auth.load_accounts(accounts), now=NOW) is None
    assert sessions.resume(con, b, {}, now=NOW) is None  # an account removed


def test_expired_tokens_are_removed_when_the_next_one_is_issued(con, accounts, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_SESSION_HOURS", "1")
    h = auth.load_accounts(accounts)["wang"]["password_hash"]
    sessions.start(con, "wang", h, now=NOW)
    sessions.start(con, "wang", h, now=NOW + timedelta(hours=2))
    assert con.execute("SELECT count(*) FROM store.login_sessions").fetchone()[0] == 1


def test_the_cookie_script_holds_only_the_token():
    token = "abcDEF-_123" * 4
    script = sessions.cookie_script(token, 3600)
    assert f"cc_session={token}; Max-Age=3600; Path=/; SameSite=Strict" in script
    assert "Max-Age=0" in sessions.cookie_script(None, 3600)
    with pytest.raises(ValueError):
        sessions.cookie_script("x'; alert(1); '", 3600)


def test_zero_hours_turns_it_off(con, accounts, monkeypatch):
    users = auth.load_accounts(accounts)
    token = sessions.start(con, "wang", users["wang"]["password_hash"], now=NOW)
    monkeypatch.setenv("CAMPAIGN_SESSION_HOURS", "0")
    assert sessions.resume(con, token, users, now=NOW) is None
