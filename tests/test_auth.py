"""Accounts: hashed passwords, roles, and when a login is required."""
import subprocess
import sys

import pytest
import yaml

from campaign import auth
from campaign.config import ROOT


@pytest.fixture()
def accounts(tmp_path, monkeypatch):
    path = tmp_path / "accounts.yaml"
    monkeypatch.setenv("CAMPAIGN_ACCOUNTS", str(path))
    monkeypatch.delenv("CAMPAIGN_REQUIRE_LOGIN", raising=False)
    return path


def test_passwords_are_stored_hashed(accounts):
    auth.add_user("wang", "s3cret-pass", "viewer", "王书记")
    text = accounts.read_text(encoding="utf-8")
    assert "s3cret-pass" not in text
    stored = yaml.safe_load(text)["users"]["wang"]
    assert stored["password_hash"].startswith("$2") and stored["role"] == "viewer"


def test_authenticate(accounts):
    auth.add_user("office", "correct-horse", "editor")
    user = auth.authenticate("office", "correct-horse")
    assert user == auth.User("office", "editor", "office")
    assert auth.authenticate("office", "wrong-horse") is None
    assert auth.authenticate("nobody", "correct-horse") is None


def test_roles_are_ordered():
    viewer, editor, admin = (auth.User("a", r) for r in ("viewer", "editor", "admin"))
    assert viewer.can("viewer") and not viewer.can("editor")
    assert editor.can("editor") and not editor.can("admin")
    assert admin.can("viewer") and admin.can("admin")


@pytest.mark.parametrize("name,password,role,message", [
    ("x", "long-enough", "viewer", "用户名"),
    ("zhang", "short", "viewer", "密码至少 8 位"),
    ("zhang", "long-enough", "boss", "角色“boss”未知"),
])
def test_bad_accounts_are_refused(accounts, name, password, role, message):
    with pytest.raises(auth.AuthError, match=message):
        auth.add_user(name, password, role)
    assert not accounts.exists()


def test_login_required_beyond_localhost_or_with_accounts(accounts, monkeypatch):
    assert not auth.login_required("localhost")
    assert not auth.login_required("127.0.0.1")
    assert auth.login_required("0.0.0.0")
    assert auth.login_required("")  # Streamlit's default: every interface
    monkeypatch.setenv("CAMPAIGN_REQUIRE_LOGIN", "1")
    assert auth.login_required("localhost")
    monkeypatch.delenv("CAMPAIGN_REQUIRE_LOGIN")
    auth.add_user("wang", "s3cret-pass", "viewer")
    assert auth.login_required("localhost")


def test_only_a_direct_loopback_visit_is_the_local_admin(accounts):
    assert not auth.login_required("localhost", remote="127.0.0.1", headers={"Host": "localhost:8501"})
    assert not auth.login_required("localhost", remote="::1")
    # a proxy on this machine forwards to 127.0.0.1: the connection is loopback, the visitor is not
    for header in ("X-Forwarded-For", "x-real-ip", "Forwarded", "Via", "X-Forwarded-Host"):
        assert auth.login_required("localhost", remote="127.0.0.1", headers={header: "203.0.113.9"}), header
    assert auth.login_required("localhost", remote="192.168.1.20")


def test_the_first_admin_is_created_once(accounts):
    user = auth.create_first_admin("admin", "first-pass-1", "办公室")
    assert user.role == "admin" and auth.authenticate("admin", "first-pass-1") == user
    with pytest.raises(auth.AuthError, match="已有账号"):
        auth.create_first_admin("intruder", "second-pass-2")
    assert set(auth.load_accounts()) == {"admin"}


def test_user_command(accounts):
    env = {"CAMPAIGN_ACCOUNTS": str(accounts), "PATH": "/usr/bin:/bin"}
    add = subprocess.run([sys.executable, "-m", "campaign", "user", "add", "li", "--role", "admin"],
                         input="another-pass\n", capture_output=True, text=True, cwd=ROOT, env=env)
    assert add.returncode == 0, add.stderr
    assert auth.authenticate("li", "another-pass").role == "admin"
    listed = subprocess.run([sys.executable, "-m", "campaign", "user", "list"], capture_output=True, text=True,
                            cwd=ROOT, env=env)
    assert "li\t管理员" in listed.stdout
    bad = subprocess.run([sys.executable, "-m", "campaign", "user", "remove", "ghost"], capture_output=True,
                         text=True, cwd=ROOT, env=env)
    assert bad.returncode == 2 and "没有账号“ghost”" in bad.stderr
