"""Accounts and roles: 领导 viewers read, 创城办 editors also import and publish, admins also manage accounts.

Accounts live in a local YAML file (``data/accounts.yaml`` unless ``CAMPAIGN_ACCOUNTS`` names another) with
bcrypt-hashed passwords. Plain functions, testable without Streamlit.
"""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import yaml

from campaign.config import DATA_DIR

ROLES = {"viewer": "领导（只读）", "editor": "创城办（导入、发布）", "admin": "管理员"}
RANK = {"viewer": 0, "editor": 1, "admin": 2}
LOCAL_ADDRESSES = {"localhost", "127.0.0.1", "::1"}  # an empty address means every interface


class AuthError(ValueError):
    """A wrong account operation; the message is in Chinese."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    display: str = ""

    def can(self, role: str) -> bool:
        """Whether this user has at least ``role``."""
        return RANK[self.role] >= RANK[role]


LOCAL_ADMIN = User("本机", "admin", "本机用户")


def accounts_path() -> Path:
    env = os.environ.get("CAMPAIGN_ACCOUNTS")
    return Path(env) if env else DATA_DIR / "accounts.yaml"


def load_accounts(path: Path | None = None) -> dict[str, dict]:
    path = path or accounts_path()
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    users = raw.get("users") or {}
    if not isinstance(users, dict):
        raise AuthError(f"账号文件 {path} 格式不对：users 应为“用户名: {{role, password_hash}}”")
    return users


def _save(users: dict[str, dict], path: Path) -> None:
    """Write atomically: a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".accounts-", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# 创城指挥台账号（密码为 bcrypt 哈希）。用 python -m campaign user 管理，勿手工填写明文密码。\n")
        yaml.safe_dump({"users": users}, fh, allow_unicode=True, sort_keys=True)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def add_user(name: str, password: str, role: str, display: str = "", path: Path | None = None) -> User:
    path = path or accounts_path()
    if not re.fullmatch(r"[\w\u4e00-\u9fff.-]{2,32}", name or ""):
        raise AuthError("用户名应为 2–32 个字母、数字、汉字、点或横线")
    if role not in ROLES:
        raise AuthError(f"角色“{role}”未知，应为：{'、'.join(ROLES)}")
    if len(password or "") < 8:
        raise AuthError("密码至少 8 位")
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise AuthError(f"密码最长 {MAX_PASSWORD_BYTES} 字节（约 72 个字母或 24 个汉字），请换一个短一些的密码")
    users = load_accounts(path)
    users[name] = {"role": role, "display": display or name,
                   "password_hash": bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode("ascii")}
    _save(users, path)
    return User(name, role, display or name)


def remove_user(name: str, path: Path | None = None) -> None:
    path = path or accounts_path()
    users = load_accounts(path)
    if name not in users:
        raise AuthError(f"没有账号“{name}”")
    del users[name]
    _save(users, path)


MAX_PASSWORD_BYTES = 72  # bcrypt reads no further


def authenticate(name: str, password: str, path: Path | None = None) -> User | None:
    """The user when name and password match, else None: the same answer, after the same work, for an
    unknown name, a wrong password and a password longer than bcrypt reads (72 bytes)."""
    users = load_accounts(path)
    if len((password or "").encode("utf-8")) > MAX_PASSWORD_BYTES:
        bcrypt.checkpw(b"timing", bcrypt.hashpw(b"timing", bcrypt.gensalt(4)))
        return None
    entry = users.get(name or "")
    stored = (entry or {}).get("password_hash", "")
    if not entry or not stored:
        bcrypt.checkpw(b"timing", bcrypt.hashpw(b"timing", bcrypt.gensalt(4)))
        return None
    if not bcrypt.checkpw((password or "").encode("utf-8"), stored.encode("ascii")):
        return None
    return User(name, entry.get("role", "viewer"), entry.get("display", name))


FORWARDING_HEADERS = ("x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip", "forwarded", "via")
LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}


def login_required(server_address: str | None, path: Path | None = None, headers: dict | None = None,
                   remote: str | None = None) -> bool:
    """Login is required when the server listens beyond this machine, whenever accounts exist, and for any
    request that is not a direct connection from this machine: one that came through a proxy (it carries a
    forwarding header) or from another address. Only a direct loopback visit to a dashboard listening on
    localhost, with no accounts, is the local admin."""
    forced = os.environ.get("CAMPAIGN_REQUIRE_LOGIN", "").lower() in {"1", "true", "yes"}
    beyond_localhost = (server_address or "").strip() not in LOCAL_ADDRESSES
    forwarded = any(str(k).lower() in FORWARDING_HEADERS for k in (headers or {}))
    elsewhere = remote is not None and remote not in LOOPBACK
    return forced or beyond_localhost or forwarded or elsewhere or bool(load_accounts(path))


_first_admin = __import__("threading").Lock()


def create_first_admin(name: str, password: str, display: str = "", path: Path | None = None) -> User:
    """The first visitor of a dashboard without accounts creates the admin account; once any account
    exists this is refused (checked under a lock, so two first visitors cannot both succeed)."""
    with _first_admin:
        if load_accounts(path):
            raise AuthError("已有账号，请用已有账号登录。")
        return add_user(name, password, "admin", display, path)


class Throttle:
    """Slows password guessing with growing delays instead of a lock the right password cannot pass.

    Failures are counted per (name, client address) and per client address. After ``free`` failures, the next
    attempt must wait 2, 4, 8 … seconds after the last failure, at most ``max_delay``; failures older than
    ``window`` are forgotten. A guess from another address does not delay the owner of the name. Each attempt
    is counted when it starts (``begin``), under one lock, so sessions submitted at the same moment are checked
    one after another and each sees the ones before it. Process-wide: every session shares it."""

    def __init__(self, limit: int = 5, window: float = 900.0, max_delay: float = 300.0):
        import threading

        self.limit, self.window, self.max_delay = limit, window, max_delay
        self._failures: dict[tuple, list[float]] = {}
        self._guard = threading.Lock()

    def _keys(self, name: str, address: str | None) -> list[tuple]:
        addr = address or "?"
        return [("name", name, addr), ("address", addr)]

    def _wait(self, key: tuple, now: float, free: int) -> float:
        recent = [t for t in self._failures.get(key, []) if now - t < self.window]
        if recent:
            self._failures[key] = recent
        else:
            self._failures.pop(key, None)
        over = len(recent) - free
        if over < 0:
            return 0.0
        return max(0.0, recent[-1] + min(self.max_delay, 2.0 ** (over + 1)) - now)

    def blocked(self, name: str, address: str | None = None, now: float | None = None) -> int:
        """Seconds this name from this address must still wait (0: may try)."""
        import math
        import time

        now = time.monotonic() if now is None else now
        with self._guard:
            name_key, addr_key = self._keys(name, address)
            wait = max(self._wait(name_key, now, self.limit), self._wait(addr_key, now, self.limit * 4))
        return math.ceil(wait)

    def begin(self, name: str, address: str | None = None, now: float | None = None) -> int:
        """Start an attempt: 0 when it may go on (it is counted as failed until ``succeeded``), else the
        seconds to wait."""
        import math
        import time

        now = time.monotonic() if now is None else now
        with self._guard:
            name_key, addr_key = self._keys(name, address)
            wait = max(self._wait(name_key, now, self.limit), self._wait(addr_key, now, self.limit * 4))
            if wait > 0:
                return math.ceil(wait)
            for key in (name_key, addr_key):
                self._failures.setdefault(key, []).append(now)
        return 0

    def failed(self, name: str, address: str | None = None, now: float | None = None) -> None:
        import time

        with self._guard:
            for key in self._keys(name, address):
                self._failures.setdefault(key, []).append(time.monotonic() if now is None else now)

    def succeeded(self, name: str, address: str | None = None) -> None:
        """The right password: this name's failures from this address are forgotten (and the attempt itself)."""
        with self._guard:
            name_key, addr_key = self._keys(name, address)
            self._failures.pop(name_key, None)
            addr = self._failures.get(addr_key)
            if addr:
                addr.pop()


throttle = Throttle()
