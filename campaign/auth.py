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


def authenticate(name: str, password: str, path: Path | None = None) -> User | None:
    """The user when name and password match, else None (same answer for unknown names and wrong passwords)."""
    users = load_accounts(path)
    entry = users.get(name or "")
    stored = (entry or {}).get("password_hash", "")
    if not entry or not stored:
        bcrypt.checkpw(b"timing", bcrypt.hashpw(b"timing", bcrypt.gensalt(4)))
        return None
    if not bcrypt.checkpw((password or "").encode("utf-8"), stored.encode("ascii")):
        return None
    return User(name, entry.get("role", "viewer"), entry.get("display", name))


def login_required(server_address: str | None, path: Path | None = None) -> bool:
    """Login is required when the server listens beyond this machine, or whenever accounts exist."""
    forced = os.environ.get("CAMPAIGN_REQUIRE_LOGIN", "").lower() in {"1", "true", "yes"}
    beyond_localhost = (server_address or "").strip() not in LOCAL_ADDRESSES
    return forced or beyond_localhost or bool(load_accounts(path))


class Throttle:
    """Slows down password guessing: after ``limit`` failed sign-ins for one name within ``window`` seconds,
    that name is refused for ``lock`` seconds. Process-wide (every session of the dashboard shares it)."""

    def __init__(self, limit: int = 5, window: float = 600.0, lock: float = 300.0):
        import threading

        self.limit, self.window, self.lock = limit, window, lock
        self._failures: dict[str, list[float]] = {}
        self._guard = threading.Lock()

    def blocked(self, name: str, now: float | None = None) -> int:
        """Seconds this name must still wait (0: may try)."""
        import time

        now = time.monotonic() if now is None else now
        with self._guard:
            recent = [t for t in self._failures.get(name, []) if now - t < self.window]
            self._failures[name] = recent
            if len(recent) < self.limit:
                return 0
            return max(0, int(recent[-1] + self.lock - now) + 1) if now - recent[-1] < self.lock else 0

    def failed(self, name: str, now: float | None = None) -> None:
        import time

        with self._guard:
            self._failures.setdefault(name, []).append(time.monotonic() if now is None else now)

    def succeeded(self, name: str) -> None:
        with self._guard:
            self._failures.pop(name, None)


throttle = Throttle()
