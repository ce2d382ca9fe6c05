"""The one place that wires the database, secrets, connectors, profiles and the engine together.

The CLI, the studio's local backend and the sync service all go through a :class:`Workspace`, so a
profile runs the same way wherever it is started from. Nothing here is global: a workspace is made
from an engine and a secret store and can be closed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from models.db import open_database
from models.secret_refs import env_ref, env_var_for
from sync_engine.connectors.base import ConnectorError
from sync_engine.connectors.bitrix24 import Bitrix24Connector
from sync_engine.connectors.jira import JiraConnector
from sync_engine.connectors.ratelimit import LeakyBucket
from sync_engine.engine.applier import Sides
from sync_engine.engine.compile import Environment, compile_profile, scopes
from sync_engine.engine.directory import StoreLinks, UserTable, fill_users
from sync_engine.engine.plan import Plan
from sync_engine.engine.planner import PlanInput
from sync_engine.engine.runner import Hints, Runner
from sync_engine.engine.state import RunSummary
from sync_engine.fieldtypes import FieldMeta
from sync_engine.profiles.schema import Profile, RelatedEntityTransform, UserByEmailTransform
from sync_engine.progress import Progress, no_progress
from sync_engine.secrets import SecretStore
from sync_engine.settings.schema import RuntimeSettings
from sync_engine.store.connections import ConnectionInfo, ConnectionStore
from sync_engine.store.profiles import ProfileStore
from sync_engine.store.state import SqlStateStore
from sync_engine.views.connections import ConnectionTest
from sync_engine.views.runs import ScopeSample, ScopeSide


class WorkspaceError(Exception):
    """A user-facing problem (unknown profile or connection, ambiguous default, ...)."""


def split_webhook_url(url: str) -> tuple[str, str, str]:
    """``https://portal/rest/1/abc/`` → (portal base URL, user id, secret code)."""
    parts = urlsplit(url.strip())
    segments = [s for s in parts.path.split("/") if s]
    if parts.scheme not in ("http", "https") or len(segments) < 3 or segments[-3] != "rest":
        raise WorkspaceError(
            "a Bitrix24 inbound webhook URL looks like https://portal.bitrix24.ru/rest/<user id>/<code>/"
        )
    prefix = "/".join(segments[:-3])
    base = f"{parts.scheme}://{parts.netloc}" + (f"/{prefix}" if prefix else "")
    user_id, code = segments[-2], segments[-1]
    if not user_id.isdigit():
        raise WorkspaceError(f"the webhook URL's user id must be a number, not {user_id!r}")
    return base, user_id, code


class Workspace:
    def __init__(self, engine: Engine, secrets: SecretStore | None = None,
                 settings: RuntimeSettings | None = None) -> None:
        self.engine = engine
        self.secrets = secrets or SecretStore()
        self.settings = settings or RuntimeSettings()
        engine_settings = self.settings.engine
        self.store = SqlStateStore(engine, retry_backoff=lambda attempts: timedelta(seconds=min(
            engine_settings.item_retry_cap_s, engine_settings.item_retry_base_s * 2 ** max(0, attempts - 1))))
        self.connection_store = ConnectionStore(engine)
        self.profile_store = ProfileStore(engine)
        # One pacer per portal: every profile's connector to it draws on the portal's single request budget.
        self._pacers: dict[str, LeakyBucket] = {}

    @classmethod
    def open(cls, db_url: str, secrets: SecretStore | None = None, settings: RuntimeSettings | None = None
             ) -> Workspace:
        return cls(open_database(db_url), secrets, settings)

    def close(self) -> None:
        self.engine.dispose()

    # -- connections ----------------------------------------------------------------------------
    def add_connection(
        self,
        name: str,
        system: str,
        *,
        url: str,
        flavour: str | None = None,
        username: str | None = None,
        secret: str | None = None,
        verify_tls: bool = True,
        ca_file: str | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> ConnectionInfo:
        """Save a connection. The secret goes to the keyring; without one, ``B24S_SECRET_<NAME>`` must be set."""
        extra = dict(settings or {})
        base_url = url.strip().rstrip("/")
        if system == "bitrix24":
            flavour = flavour or "webhook"
            if flavour == "webhook" and "/rest/" in url:
                base_url, user_id, code = split_webhook_url(url)
                extra["user_id"] = user_id
                secret = secret or code
        elif system == "jira":
            flavour = flavour or "server"
        else:
            raise WorkspaceError(f"system must be 'jira' or 'bitrix24', not {system!r}")
        if secret:
            ref = self.secrets.put(name, secret)
        elif env_var_for(name) in os.environ:
            ref = env_ref(name)
        else:
            raise WorkspaceError(f"no secret given for {name!r}: pass one, or set {env_var_for(name)}")
        return self.connection_store.add(name=name, system=system, flavour=flavour, base_url=base_url,
                                         secret_ref=ref, username=username, verify_tls=verify_tls, ca_file=ca_file,
                                         settings=extra)

    def connections(self, system: str | None = None) -> list[ConnectionInfo]:
        return self.connection_store.list(system)

    def connection(self, name: str, system: str | None = None) -> ConnectionInfo:
        """By name; ``default`` picks the only connection of ``system``."""
        items = self.connections(system)
        if name == "default" and system is not None and not any(c.name == "default" for c in items):
            if len(items) == 1:
                return items[0]
            if not items:
                raise WorkspaceError(f"no {system} connection yet: add one with 'b24sync connections add'")
            names = ", ".join(c.name for c in items)
            raise WorkspaceError(f"several {system} connections ({names}): name one in the profile")
        for c in items:
            if c.name == name:
                return c
        raise WorkspaceError(f"no connection named {name!r}")

    def remove_connection(self, name: str) -> None:
        info = self.connection(name)
        self.connection_store.remove(name)
        if info.secret_ref.startswith("keyring:"):
            self.secrets.delete(info.secret_ref)

    def connector(self, info: ConnectionInfo) -> JiraConnector | Bitrix24Connector:
        secret = self.secrets.get(info.secret_ref)
        verify: bool | str = info.ca_file or info.verify_tls
        if info.system == "jira":
            flavour = info.flavour if info.flavour in ("server", "cloud") else None
            return JiraConnector(info.base_url, user=info.username, token=secret, flavour=flavour,  # type: ignore[arg-type]
                                 verify=verify)
        portal = self.settings.bitrix24
        pacer = self._pacers.setdefault(info.base_url, LeakyBucket(portal.rate_per_s, portal.burst))
        if info.flavour == "oauth":
            return Bitrix24Connector.oauth(f"{info.base_url}/rest/", secret, verify=verify, pacer=pacer)
        user_id = str(info.settings.get("user_id", "1"))
        return Bitrix24Connector(f"{info.base_url}/rest/{user_id}/{secret}/", verify=verify, pacer=pacer)

    async def test_connection(self, name: str) -> ConnectionTest:
        """What "Test connection" shows: server or portal and who we are there."""
        info = self.connection(name)
        conn = self.connector(info)
        try:
            if isinstance(conn, JiraConnector):
                server = await conn.server_info()
                me = await conn.whoami()
                return ConnectionTest(name=name, system="jira", server=server.title, version=server.version,
                                      deployment=server.deployment_type, user=me.display_name, email=me.email,
                                      api_calls=conn.api_calls)
            profile = await conn.profile()
            return ConnectionTest(name=name, system="bitrix24", portal=profile.domain, user=profile.name,
                                  email=profile.email, admin=profile.is_admin, api_calls=conn.api_calls)
        finally:
            await conn.aclose()

    # -- profiles -----------------------------------------------------------------------------------
    def save_profiles(self, profiles: Sequence[Profile]) -> None:
        """Insert or replace, all in one transaction (an import either lands whole or not at all)."""
        self.profile_store.save(profiles)

    def profiles(self) -> list[Profile]:
        return self.profile_store.list()

    def profile(self, name: str) -> Profile:
        found = self.profile_store.get(name)
        if found is None:
            known = ", ".join(p.name for p in self.profiles()) or "none yet"
            raise WorkspaceError(f"no profile named {name!r} (known: {known})")
        return found

    def delete_profile(self, name: str) -> None:
        self.profile_store.delete(name)

    # -- looking at a profile's sides -------------------------------------------------------------------
    def _side_connectors(self, profile: Profile) -> tuple[JiraConnector | Bitrix24Connector, ...]:
        return (self.connector(self.connection(profile.jira.connection, "jira")),
                self.connector(self.connection(profile.bitrix24.connection, "bitrix24")))

    async def describe_sides(self, profile: Profile) -> tuple[list[FieldMeta], list[FieldMeta]]:
        """Both sides' live fields for the profile's scope (what the mapping constructor offers)."""
        jira, b24 = self._side_connectors(profile)
        try:
            jscope, bscope = scopes(profile)
            return await jira.describe_fields(jscope), await b24.describe_fields(bscope)
        finally:
            await jira.aclose()
            await b24.aclose()

    async def sample_scope(self, profile: Profile, first: int = 5) -> ScopeSample:
        """How many records each side's scope holds, with the first few (the scope editor's Test)."""
        jira, b24 = self._side_connectors(profile)
        out: dict[str, ScopeSide] = {}
        try:
            jscope, bscope = scopes(profile)
            for side, conn, scope in (("jira", jira, jscope), ("bitrix24", b24, bscope)):
                shown: list[dict[str, str]] = []
                count = 0
                async for page in conn.iter_changed(scope, None):
                    count += len(page)
                    for rec in page[: max(0, first - len(shown))]:
                        f = rec.fields
                        title = f.get("summary") or f.get("TITLE") or f.get("NAME") or f.get("title") \
                            or f.get("name") or ""
                        shown.append({"id": str(rec.key or rec.id), "title": str(title)})
                out[side] = ScopeSide(count=count, first=shown)
            return ScopeSample(jira=out["jira"], bitrix24=out["bitrix24"])
        finally:
            await jira.aclose()
            await b24.aclose()

    # -- running ------------------------------------------------------------------------------------
    async def open_profile(self, name: str) -> ProfileSession:
        profile = self.profile(name)
        jira_info = self.connection(profile.jira.connection, "jira")
        b24_info = self.connection(profile.bitrix24.connection, "bitrix24")
        jira = self.connector(jira_info)
        b24 = self.connector(b24_info)
        assert isinstance(jira, JiraConnector) and isinstance(b24, Bitrix24Connector)
        return ProfileSession(self, profile, jira, b24, jira_info, b24_info,
                              metadata_max_age=self.settings.engine.metadata_max_age_s)

    async def run(
        self, name: str, *, dry_run: bool = False, trigger: str = "manual", hints: Hints | None = None,
        reconcile: bool = False, progress: Progress = no_progress,
    ) -> tuple[RunSummary, Plan]:
        session = await self.open_profile(name)
        try:
            return await session.run(dry_run=dry_run, trigger=trigger, hints=hints, reconcile=reconcile,
                                     progress=progress)
        finally:
            await session.aclose()

    def run_order(self, names: Sequence[str] | None = None) -> list[str]:
        """Enabled profiles (or ``names``) so that a profile runs after those its ``related_entity``
        mappings refer to: deals after companies, so customers resolve in the same pass."""
        profiles = {p.name: p for p in self.profiles() if names is not None or p.enabled}
        wanted = list(names) if names is not None else sorted(profiles)
        for name in wanted:
            if name not in profiles:
                raise WorkspaceError(f"no profile named {name!r}")
        order: list[str] = []
        state: dict[str, str] = {}

        def visit(name: str, path: tuple[str, ...]) -> None:
            if state.get(name) == "done":
                return
            if state.get(name) == "visiting":
                cycle = " → ".join((*path, name))
                raise WorkspaceError(f"profiles refer to each other in a cycle: {cycle}")
            state[name] = "visiting"
            for m in profiles[name].mappings:
                dep = getattr(m.transform, "profile", None)
                if isinstance(m.transform, RelatedEntityTransform) and dep in profiles:
                    visit(str(dep), (*path, name))
            state[name] = "done"
            if name in wanted or names is None:
                order.append(name)

        for name in wanted:
            visit(name, ())
        return order


class ProfileSession:
    """A profile with live connectors; keeps field metadata and user lookups between runs.

    Field metadata (fields, stages, currencies, statuses) is read again once it is ``metadata_max_age``
    seconds old: a describe costs a Bitrix24 portal two requests, so a service running one small run a
    second would otherwise spend its whole budget describing fields that change a few times a year.
    """

    def __init__(self, ws: Workspace, profile: Profile, jira: JiraConnector, bitrix24: Bitrix24Connector,
                 jira_info: ConnectionInfo, b24_info: ConnectionInfo, *, metadata_max_age: float) -> None:
        self.ws = ws
        self.profile = profile
        self.jira = jira
        self.bitrix24 = bitrix24
        self.metadata_max_age = metadata_max_age
        self._metadata: tuple[float, list[FieldMeta], list[FieldMeta]] | None = None
        self.jira_scope, self.b24_scope = scopes(profile)
        self.users = UserTable()
        self._b24_not_found: set[str] = set()  # e-mails Bitrix24 has no user for (asked once per session)
        self._tz_jira = ZoneInfo(str(jira_info.settings.get("timezone", "Europe/Moscow")))
        self._tz_b24 = ZoneInfo(str(b24_info.settings.get("timezone", "Europe/Moscow")))

    def _summary_rules(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for p in self.ws.profiles():
            out[p.name] = next((m.id for m in p.mappings if m.jira_field == "summary"), None)
        return out

    async def run(self, *, dry_run: bool = False, trigger: str = "manual", hints: Hints | None = None,
                  reconcile: bool = False, progress: Progress = no_progress) -> tuple[RunSummary, Plan]:
        jira_fields, b24_fields = await self.describe()
        links = StoreLinks(self.ws.store.all_links, self._summary_rules())
        env = Environment(users=self.users, links=links, jira_tz=self._tz_jira, bitrix24_tz=self._tz_b24)
        spec = compile_profile(self.profile, jira_fields, b24_fields, env)
        user_maps = [m for m in self.profile.mappings if isinstance(m.transform, UserByEmailTransform)]

        async def prepare(data: PlanInput) -> None:
            if not user_maps:
                return
            # Only the people the gathered records mention: one Bitrix24 read for their e-mails, then
            # one JIRA look-up per e-mail not seen before (cached for the life of this session).
            b24_ids = sorted({str(v) for m in user_maps for rec in data.bitrix24.values()
                              if (v := rec.fields.get(m.bitrix24_field or "")) not in (None, "", "0")}
                             - set(self.users.b24_email))
            b24_users: list[Any] = []
            for chunk in (b24_ids[i:i + 50] for i in range(0, len(b24_ids), 50)):
                b24_users += await self.bitrix24.call("user.get", {"filter": {"@ID": chunk}}) or []
            values = [rec.fields.get(m.jira_field or "") for m in user_maps for rec in data.jira.values()]
            await fill_users(self.users, self.jira, b24_users, values)
            await self._bitrix24_people_by_email()

        sides = Sides(self.jira, self.bitrix24, self.jira_scope, self.b24_scope)
        runner = Runner(spec, sides, self.ws.store, prepare=prepare, progress=progress,
                        overlap=timedelta(seconds=self.ws.settings.engine.cursor_overlap_s))
        return await runner.run(trigger=trigger, dry_run=dry_run, hints=hints, reconcile=reconcile)

    async def describe(self) -> tuple[list[FieldMeta], list[FieldMeta]]:
        """Both sides' field metadata, read again when older than ``metadata_max_age``."""
        now = time.monotonic()
        if self._metadata is None or now - self._metadata[0] >= self.metadata_max_age:
            if self._metadata is not None:
                self.jira.forget_metadata()
            jira_fields = await self.jira.describe_fields(self.jira_scope)
            b24_fields = await self.bitrix24.describe_fields(self.b24_scope)
            self._metadata = (now, jira_fields, b24_fields)
        return self._metadata[1], self._metadata[2]

    async def _bitrix24_people_by_email(self) -> None:
        """Find in Bitrix24 the JIRA people the records mention that no gathered deal names.

        The Bitrix24 read above only learns the people the gathered Bitrix24 records refer to; a JIRA
        assignee who is responsible for none of them would otherwise stay "unknown" and the field be
        deferred forever. One batched look-up by e-mail (50 per request), remembered for the session.
        """
        wanted = sorted({e.casefold() for e in self.users.jira_email.values()}
                        - set(self.users.b24_by_email) - self._b24_not_found)
        if not wanted:
            return
        found = await self.bitrix24.call_many(
            {f"u{i}": ("user.get", {"filter": {"EMAIL": email}}) for i, email in enumerate(wanted)}, idempotent=True
        )
        for i, email in enumerate(wanted):
            people = found.results.get(f"u{i}") or []
            for person in people:
                self.users.add_bitrix_user(str(person.get("ID")), person.get("EMAIL"))
            if not people:
                self._b24_not_found.add(email)

    async def aclose(self) -> None:
        for conn in (self.jira, self.bitrix24):
            try:
                await conn.aclose()
            except ConnectorError:
                pass
