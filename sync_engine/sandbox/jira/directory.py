"""The user directory: the seed people and whoever an administrator added, groups, passwords and tokens.

Users stay in :attr:`Catalog.users` (every renderer and field writer looks them up there); this module
owns what changes them, so a user added over ``POST /user`` is at once assignable, searchable and able
to log in, and is still there after a restart when the twin keeps its state in a file. Secrets are kept
only as salted hashes (passwords) or in memory (API tokens, personal access tokens), never in the
journal or a response.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from sync_engine.sandbox.jira.catalog import Catalog, UserDef
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.store import Store

SERVER_ADMIN_GROUPS = ("jira-administrators",)
CLOUD_ADMIN_GROUPS = ("site-admins", "administrators")
USERS_GROUP = "jira-software-users"
APPLICATION_KEYS = ("jira-software", "jira-core", "jira-servicedesk")
PAT_PREFIX = "NjQ"  # Server PATs are base64-looking; only shape, never parsed


@dataclass
class Token:
    """A personal access token (Server) or an API token (Cloud) and who it speaks for."""

    id: int
    login: str
    name: str
    created: int
    expires: int | None


@dataclass
class Avatars:
    selected: str | None = None
    custom: list[str] = field(default_factory=list)


def _hash(password: str, salt: bytes) -> str:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 20_000).hex()


class Directory:
    def __init__(self, catalog: Catalog, store: Store, admin_login: str) -> None:
        self.cat = catalog
        self.store = store
        self.admin_login = admin_login
        self.groups: dict[str, set[str]] = {}
        self.tokens: dict[str, Token] = {}
        self.avatars: dict[str, Avatars] = {}
        self.passwords: dict[str, dict[str, str]] = {}  # login -> salted hash, as stored
        self.load()

    @property
    def admin_groups(self) -> tuple[str, ...]:
        return CLOUD_ADMIN_GROUPS if self.cat.cloud else SERVER_ADMIN_GROUPS

    # -- state --------------------------------------------------------------------------------------------
    def load(self) -> None:
        """Apply the stored changes on top of the seed users (the catalog holds the seed when this runs)."""
        for login in self.store.docs("user-deleted"):
            self.cat.users.pop(login, None)
        self.passwords = {}
        for login, data in self.store.docs("user").items():
            self.cat.users[login] = UserDef(**{k: v for k, v in data.items() if k != "password"})
            if data.get("password"):
                self.passwords[login] = data["password"]
        stored = self.store.docs("group")
        if stored:
            self.groups = {name: set(d["members"]) & set(self.cat.users) for name, d in stored.items()}
        else:
            everyone = set(self.cat.users)
            self.groups = {g: {self.admin_login} for g in self.admin_groups}
            self.groups[USERS_GROUP] = everyone
        self.avatars = {login: Avatars(**d) for login, d in self.store.docs("user-avatar").items()}

    def forget(self) -> None:
        """After a re-seed: the store is empty again, tokens die with the users they belonged to."""
        self.tokens.clear()
        self.load()

    def _save_groups(self) -> None:
        for group, members in self.groups.items():
            self.store.put_doc("group", group, {"members": sorted(members)})

    # -- users -----------------------------------------------------------------------------------------
    def user_or_404(self, ref: str | None) -> UserDef:
        user = self.cat.user(ref) if ref else None
        if user is None:
            raise ApiError(404, [f"The user named '{ref}' does not exist"] if not self.cat.cloud
                           else ["Specified user does not exist or you do not have required permissions"])
        return user

    def add_user(self, body: Any) -> UserDef:
        if not isinstance(body, dict):
            raise ApiError(400, ["The user must be a JSON object."])
        email = body.get("emailAddress")
        errors: dict[str, str] = {}
        if not isinstance(email, str) or "@" not in email:
            errors["emailAddress"] = "You must specify a valid email address."
        login: Any
        if self.cat.cloud:
            name = (email or "").split("@", 1)[0] if isinstance(email, str) else ""
            login = name
            n = 1
            while login in self.cat.users:
                n += 1
                login = f"{name}{n}"
            if isinstance(email, str) and any(u.email.casefold() == email.casefold() for u in self.cat.users.values()):
                errors["emailAddress"] = "A user with that email address already exists."
        else:
            login = body.get("name")
            if not isinstance(login, str) or not login.strip():
                errors["username"] = "You must specify a username."
            elif self.cat.user(login) is not None:
                errors["username"] = "A user with that username already exists."
        password = body.get("password")
        if password is not None and not isinstance(password, str):
            errors["password"] = "The password must be a string."
        display = body.get("displayName")
        if display is not None and not isinstance(display, str):
            errors["displayName"] = "The display name must be a string."
        keys = body.get("applicationKeys", body.get("products"))
        if keys is not None and (not isinstance(keys, list) or not all(k in APPLICATION_KEYS for k in keys)):
            errors["applicationKeys"] = f"Application keys must be a list of: {', '.join(APPLICATION_KEYS)}."
        if errors:
            raise ApiError(400, [], errors)
        assert isinstance(login, str) and isinstance(email, str)
        login = login.strip()
        number = self.store.next_value("user_key", 10100)
        user = UserDef(login, f"JIRAUSER{number}", f"712020:{uuid.uuid4()}", display or login, email)
        self.cat.users[login] = user
        data: dict[str, Any] = asdict(user)
        if password:
            salt = secrets.token_bytes(16)
            data["password"] = {"salt": salt.hex(), "hash": _hash(password, salt)}
            self.passwords[login] = data["password"]
        self.store.put_doc("user", login, data)
        self.store.delete_doc("user-deleted", login)
        if keys is None or keys:
            self.add_member(USERS_GROUP, login)
        return user

    def delete_user(self, user: UserDef, in_use: list[str]) -> None:
        if user.login == self.admin_login:
            raise ApiError(400, ["You cannot delete the account you are logged in with."])
        if in_use:
            raise ApiError(400, [f"Cannot delete user '{user.login}': {'; '.join(in_use)}."])
        del self.cat.users[user.login]
        self.passwords.pop(user.login, None)
        self.store.delete_doc("user", user.login)
        self.store.put_doc("user-deleted", user.login, True)
        for members in self.groups.values():
            if user.login in members:
                members.discard(user.login)
                self._save_groups()
        for token, t in list(self.tokens.items()):
            if t.login == user.login:
                del self.tokens[token]

    def check_password(self, username: str, password: str) -> str | None:
        """Server only: Basic and cookie logins of users an administrator gave a password."""
        if self.cat.cloud:
            return None
        user = self.cat.user(username)
        if user is None:
            return None
        stored = self.passwords.get(user.login)
        if not stored:
            return None
        ok = hmac.compare_digest(_hash(password, bytes.fromhex(stored["salt"])), stored["hash"])
        return user.login if ok else None

    # -- tokens ----------------------------------------------------------------------------------------
    def make_token(self, login: str, name: str, days: int | None) -> tuple[str, Token]:
        raw = (PAT_PREFIX if not self.cat.cloud else "ATATT") + secrets.token_urlsafe(33)
        now = int(time.time() * 1000)
        token = Token(self.store.next_value("token_id", 1), login, name, now,
                      None if days is None else now + days * 86_400_000)
        self.tokens[raw] = token
        return raw, token

    def token_login(self, raw: str, user: str | None) -> str | None:
        """Who a token speaks for; with Basic, ``user`` must name that person (login or e-mail)."""
        token = self.tokens.get(raw)
        if token is None or (token.expires is not None and token.expires < time.time() * 1000):
            return None
        person = self.cat.users.get(token.login)
        if person is None:
            return None
        if user is not None and user.casefold() not in {person.login.casefold(), person.email.casefold()}:
            return None
        return person.login

    def tokens_of(self, login: str) -> list[Token]:
        return [t for t in self.tokens.values() if t.login == login]

    def revoke(self, login: str, token_id: int) -> bool:
        for raw, t in list(self.tokens.items()):
            if t.login == login and t.id == token_id:
                del self.tokens[raw]
                return True
        return False

    # -- groups ----------------------------------------------------------------------------------------
    def is_admin(self, login: str) -> bool:
        return any(login in self.groups.get(g, set()) for g in self.admin_groups)

    def groups_of(self, login: str) -> list[str]:
        return sorted(name for name, members in self.groups.items() if login in members)

    def group_or_404(self, name: str | None) -> str:
        if not name or name not in self.groups:
            raise ApiError(404, [f"Specified group does not exist: {name!r}"] if self.cat.cloud
                           else [f"The group '{name}' does not exist."])
        return name

    def add_group(self, name: Any) -> str:
        if not isinstance(name, str) or not name.strip():
            raise ApiError(400, [], {"name": "You must specify a group name."})
        name = name.strip()
        if any(g.casefold() == name.casefold() for g in self.groups):
            raise ApiError(400, ["A group with that name already exists."])
        self.groups[name] = set()
        self._save_groups()
        return name

    def delete_group(self, name: str) -> None:
        if name in self.admin_groups or name == USERS_GROUP:
            raise ApiError(400, [f"The group '{name}' gives application or administrator access; it cannot be "
                                 "deleted."])
        del self.groups[name]
        self.store.delete_doc("group", name)
        self._save_groups()

    def add_member(self, group: str, login: str) -> None:
        self.groups.setdefault(group, set()).add(login)
        self._save_groups()

    def remove_member(self, group: str, login: str) -> None:
        if group in self.admin_groups and self.groups[group] == {login}:
            raise ApiError(400, [f"The last member of '{group}' cannot be removed."])
        self.groups[group].discard(login)
        self._save_groups()

    # -- avatars ---------------------------------------------------------------------------------------
    def avatars_of(self, login: str) -> Avatars:
        return self.avatars.setdefault(login, Avatars())

    def save_avatars(self, login: str) -> None:
        self.store.put_doc("user-avatar", login, asdict(self.avatars_of(login)))
