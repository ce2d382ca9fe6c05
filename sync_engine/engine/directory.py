"""Run-scoped lookups that transforms need synchronously: users by e-mail and other profiles' links.

Transforms are pure and synchronous; these objects are filled before planning (users are looked up
in bulk for exactly the people the gathered records mention), so the planner never waits on I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from sync_engine.engine.planner import LinkState
from sync_engine.mapping.values import jira_user_id


class JiraUsers(Protocol):
    async def user_email(self, user_ref: str | Mapping[str, Any]) -> str | None: ...

    async def find_user_by_email(self, email: str) -> Any: ...


class UserTable:
    """The user directory the transforms see: plain dictionaries, filled by :func:`fill_users`."""

    def __init__(self, cloud: bool = False) -> None:
        self.cloud = cloud
        self.jira_email: dict[str, str] = {}
        self.jira_by_email: dict[str, dict[str, str]] = {}
        self.b24_email: dict[str, str] = {}
        self.b24_by_email: dict[str, str] = {}

    def email_for_jira_user(self, jira_user_id: str) -> str | None:
        return self.jira_email.get(jira_user_id)

    def jira_user_for_email(self, email: str) -> Mapping[str, str] | None:
        return self.jira_by_email.get(email.casefold())

    def bitrix_user_for_email(self, email: str) -> str | None:
        return self.b24_by_email.get(email.casefold())

    def email_for_bitrix_user(self, bitrix_user_id: str) -> str | None:
        return self.b24_email.get(str(bitrix_user_id))

    def add_bitrix_user(self, user_id: str, email: str | None) -> None:
        if email:
            self.b24_email[str(user_id)] = email
            self.b24_by_email.setdefault(email.casefold(), str(user_id))

    def add_jira_user(self, ref: Mapping[str, Any], email: str | None) -> None:
        uid = jira_user_id(ref)
        if not email:
            return
        if uid:
            self.jira_email[uid] = email
        write = {"accountId": str(ref["accountId"])} if ref.get("accountId") else {"name": str(ref.get("name", uid))}
        self.jira_by_email.setdefault(email.casefold(), write)


async def fill_users(
    table: UserTable,
    jira: JiraUsers,
    bitrix_users: Iterable[Mapping[str, Any]],
    jira_values: Iterable[Any],
) -> None:
    """Learn the Bitrix24 staff (one list read) and the JIRA users the records mention, then look up
    in JIRA only the e-mails a Bitrix24 → JIRA write may need."""
    for user in bitrix_users:
        table.add_bitrix_user(str(user.get("ID")), user.get("EMAIL"))
    for value in jira_values:
        if not isinstance(value, Mapping):
            continue
        email = value.get("emailAddress") or await jira.user_email(value)
        table.add_jira_user(value, email)
    for email in list(table.b24_by_email):
        if email in table.jira_by_email:
            continue
        found = await jira.find_user_by_email(email)
        if found is not None:
            ref = {"accountId": found.account_id} if getattr(found, "account_id", None) else {"name": found.name}
            table.add_jira_user(ref, email)


class StoreLinks:
    """Links of other profiles (for ``related_entity``), read once per run and kept in memory.

    ``summary`` attributes come from the linked profile's shadow of its ``summary`` mapping, which
    holds the issue's summary as last synced.
    """

    def __init__(self, load_links: Any, summary_rule: Mapping[str, str | None]) -> None:
        self._load = load_links  # profile -> list[LinkState]
        self._summary_rule = summary_rule  # profile -> id of its mapping reading JIRA "summary"
        self._cache: dict[str, list[LinkState]] = {}

    def _links(self, profile: str) -> list[LinkState]:
        if profile not in self._cache:
            self._cache[profile] = list(self._load(profile))
        return self._cache[profile]

    def _jira_value(self, profile: str, link: LinkState, attribute: str) -> str | None:
        if attribute == "key":
            return link.jira_key
        rule = self._summary_rule.get(profile)
        if rule and rule in link.shadow:
            value = link.shadow[rule][0]
            return None if value is None else str(value)
        return None

    def jira_for_bitrix24(self, profile: str, bitrix24_id: str, attribute: str) -> str | None:
        for link in self._links(profile):
            if link.bitrix24_id == str(bitrix24_id):
                return self._jira_value(profile, link, attribute)
        return None

    def bitrix24_for_jira(self, profile: str, jira_value: str, attribute: str) -> str | None:
        wanted = " ".join(str(jira_value).split()).casefold()
        for link in self._links(profile):
            value = self._jira_value(profile, link, attribute)
            if value is not None and " ".join(value.split()).casefold() == wanted:
                return link.bitrix24_id
        return None
