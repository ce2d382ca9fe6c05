"""Bitrix24 connector: CRM deals/contacts/companies/leads/products and ``crm.item`` over REST (httpx).

How it stays within the portal's limits (2 requests/s, burst 50 on most plans):
- Every read and write is batched: one HTTP request carries up to 50 commands.
- Bulk reads use the documented fast pattern: ``start=-1`` (no COUNT), ``order[ID]=ASC`` and
  ``filter[>ID]`` chained between commands of one batch with ``$result[pN][49][ID]``, so one HTTP
  request returns up to 2,500 rows. A command after a short page resolves its reference to the
  whole page (the server keeps the deepest value reached), so everything after the first short
  page is ignored.
- A client-side leaky bucket (:mod:`ratelimit`) paces requests so the server's 503 is the
  exception; 503/429/5xx/dropped connections are still retried with backoff (:mod:`retry`).

Ordering caveat: incremental reads filter ``>=DATE_MODIFY`` but page by ID, so a page is ordered by
ID, not by time. Callers must derive the next cursor from the maximum ``updated`` seen over the whole
run (see :func:`advance_cursor`, also kept in :attr:`Bitrix24Connector.last_cursor`), never from
the last record.

Duplicate risk on create: an add batch whose answer was lost (dropped connection, read timeout,
5xx) may or may not have been applied. Resending it can create every deal twice. With
``create_many(..., dedupe_field="UF_CRM_JIRA_KEY")`` the connector first looks the pending items up
by that field and only resends those not found; without it, it resends (at-least-once) and counts
the event in :attr:`Bitrix24Connector.ambiguous_writes`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import ssl
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from sync_engine.connectors.base import (
    AuthError,
    ConnectorError,
    Cursor,
    EntityScope,
    NotFoundError,
    Record,
    System,
    WriteResult,
)
from sync_engine.connectors.bitrix24_batch import (
    BATCH_MAX,
    BatchResult,
    CommandError,
    chunked,
    encode_command,
    parse_batch,
    result_ref,
)
from sync_engine.connectors.bitrix24_fields import (
    category_options,
    currency_options,
    normalise_field,
    status_options,
    status_type_for,
)
from sync_engine.connectors.ratelimit import LeakyBucket, WaitTime
from sync_engine.connectors.retry import (
    RetryableError,
    RetryPolicy,
    parse_retry_after,
    retry_async,
    transport_error_is_ambiguous,
)
from sync_engine.fieldtypes import FieldMeta, Option
from sync_engine.settings.schema import Bitrix24Settings
from sync_engine.sides import Side

log = logging.getLogger(__name__)

Command = tuple[str, Mapping[str, Any]]
PAGE = 50  # Bitrix24 list methods always page by 50
_WEBHOOK_PATH = re.compile(r"^(?P<prefix>.*/rest/(?P<user>\d+)/)(?P<secret>[^/]+)/?$")
_AUTH_CODES = frozenset(
    {"NO_AUTH_FOUND", "INVALID_CREDENTIALS", "EXPIRED_TOKEN", "INVALID_TOKEN", "ACCESS_DENIED",
     "INSUFFICIENT_SCOPE", "USER_ACCESS_ERROR", "PORTAL_DELETED", "WRONG_AUTH_TYPE", "METHOD_CONFIRM_DENIED"}
)
_LIMIT_CODES = frozenset({"QUERY_LIMIT_EXCEEDED", "OVERLOAD_LIMIT"})
_THROTTLE_CODES = frozenset({"QUERY_LIMIT_EXCEEDED", "OPERATION_TIME_LIMIT"})
_READ_VERBS = frozenset({"list", "get", "fields", "current", "search", "update", "time", "info", "admin"})

# The limits of portals on all but the enterprise plans (settings bitrix24.rate_per_s and bitrix24.burst).
_PORTAL = Bitrix24Settings()


class AmbiguousWriteError(ConnectorError):
    """A non-idempotent request failed after it may have reached the server (outcome unknown)."""


_MULTIFIELDS = frozenset({"PHONE", "EMAIL", "WEB", "IM"})


@dataclass(frozen=True, slots=True)
class _Entity:
    """How one Bitrix24 entity kind is addressed; legacy ``crm.deal.*`` vs universal ``crm.item.*``."""

    name: str
    prefix: str
    id_field: str
    modified_field: str
    entity_type_id: int | None
    is_item: bool = False

    @property
    def base_params(self) -> dict[str, Any]:
        return {"entityTypeId": self.entity_type_id} if self.is_item else {}

    @property
    def rows_path(self) -> tuple[str, ...]:
        return ("items",) if self.is_item else ()

    @property
    def category_field(self) -> str:
        return "categoryId" if self.is_item else "CATEGORY_ID"

    @property
    def select(self) -> list[str]:
        if self.is_item:
            return ["*"]
        # '*' leaves out the multi-value fields; a contact without its e-mail could neither be matched
        # nor written back correctly.
        multi = ["PHONE", "EMAIL", "WEB", "IM"] if self.name in ("contact", "company", "lead") else []
        return ["*", "UF_*", *multi]

    def rows(self, result: Any) -> list[dict[str, Any]]:
        if self.is_item:
            result = result.get("items") if isinstance(result, Mapping) else None
        if not isinstance(result, list):
            return []
        return [r for r in result if isinstance(r, dict)]


_LEGACY: dict[str, tuple[str, int | None]] = {
    "deal": ("DATE_MODIFY", 2),
    "lead": ("DATE_MODIFY", 1),
    "contact": ("DATE_MODIFY", 3),
    "company": ("DATE_MODIFY", 4),
    "product": ("TIMESTAMP_X", None),
}


@dataclass(frozen=True, slots=True)
class Bitrix24Profile:
    """What "Test connection" shows: who the webhook acts as and which portal it reaches."""

    user_id: str
    name: str
    email: str
    is_admin: bool | None
    domain: str
    endpoint: str  # masked: the webhook secret replaced by ***
    user: Mapping[str, Any]


def parse_datetime(value: Any) -> datetime | None:
    """Bitrix24 datetimes are ISO 8601 with offset; a naive value is taken as UTC."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


def advance_cursor(current: Cursor | None, records: Sequence[Record]) -> Cursor | None:
    """The cursor after ``records``: newest ``updated`` seen, with every id seen at that instant.

    Order-independent on purpose, because Bitrix24 incremental pages come in ID order.
    """
    cursor = current
    for rec in records:
        if rec.updated is None:
            continue
        if cursor is None or rec.updated > cursor.updated:
            cursor = Cursor(updated=rec.updated, seen_ids=(rec.id,))
        elif rec.updated == cursor.updated and rec.id not in cursor.seen_ids:
            cursor = Cursor(updated=cursor.updated, seen_ids=(*cursor.seen_ids, rec.id))
    return cursor


class _MaskSecrets(logging.Filter):
    """httpx logs every request URL at INFO; a webhook URL carries its secret in the path."""

    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = message
        for secret in self.secrets:
            masked = masked.replace(secret, "***")
        if masked != message:
            record.msg, record.args = masked, ()
        return True


class Bitrix24Connector:
    """Async Bitrix24 REST client implementing :class:`sync_engine.connectors.base.Connector`.

    ``webhook_url`` is the inbound webhook, ``https://portal/rest/{user_id}/{secret}/``. Use
    :meth:`oauth` for an application token instead. ``retry_policy`` overrides ``max_retries``.
    """

    system: System = Side.BITRIX24
    ENTITIES: ClassVar[tuple[str, ...]] = (*_LEGACY, "item")

    def __init__(
        self,
        webhook_url: str,
        *,
        verify: bool | str = True,
        timeout: float | httpx.Timeout = 30.0,
        rate: float = _PORTAL.rate_per_s,
        burst: int = _PORTAL.burst,
        max_retries: int = 5,
        retry_policy: RetryPolicy | None = None,
        user_agent: str = "b24-jira-studio",
        pacer: LeakyBucket | None = None,
        _access_token: str | None = None,
    ) -> None:
        self._token = _access_token
        if _access_token is None:
            match = _WEBHOOK_PATH.match(urlsplit(webhook_url.strip()).path)
            if match is None:
                raise ValueError(
                    "Bitrix24 webhook URL must look like https://portal/rest/<user id>/<secret>/, got "
                    + _mask_url_guess(webhook_url)
                )
            self._secret = match.group("secret")
            parts = urlsplit(webhook_url.strip())
            self._base = f"{parts.scheme}://{parts.netloc}{match.group('prefix')}{self._secret}/"
            self._masked = f"{parts.scheme}://{parts.netloc}{match.group('prefix')}***/"
        else:
            parts = urlsplit(webhook_url.strip())
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"Bitrix24 client_endpoint must be an http(s) URL, got {webhook_url!r}")
            self._secret = ""
            self._base = webhook_url.strip().rstrip("/") + "/"
            self._masked = self._base
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("Bitrix24 URL must be http(s)://host/..., got " + self._masked)
        self.domain = parts.hostname or ""
        self.policy = retry_policy or RetryPolicy(max_retries=max_retries)
        # The portal counts every client of it from this machine in one bucket: pass one pacer to all of them.
        self.pacer = pacer or LeakyBucket(rate, burst)
        self._waits = WaitTime()
        self._rng = random.Random()
        self._mask_filter = _MaskSecrets([self._secret, self._token or ""])
        logging.getLogger("httpx").addFilter(self._mask_filter)
        verify_arg: bool | ssl.SSLContext = ssl.create_default_context(cafile=verify) if isinstance(
            verify, str
        ) else verify
        self._client = httpx.AsyncClient(
            verify=verify_arg,
            timeout=timeout,
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": user_agent},
            limits=httpx.Limits(max_keepalive_connections=4, max_connections=8),
        )
        self._api_calls = 0
        self.retries = 0
        self.rate_limit_hits = 0
        self.ambiguous_writes = 0
        self.last_cursor: Cursor | None = None
        self._user_cache: dict[str, dict[str, Any] | None] = {}

    @classmethod
    def oauth(cls, client_endpoint: str, access_token: str, **kwargs: Any) -> Bitrix24Connector:
        """Connector for an OAuth application: ``client_endpoint`` is ``https://portal/rest/``."""
        if not access_token:
            raise ValueError("Bitrix24 access_token must not be empty")
        return cls(client_endpoint, _access_token=access_token, **kwargs)

    def set_access_token(self, access_token: str) -> None:
        """Swap in a refreshed OAuth token (tokens live one hour)."""
        if self._token is None:
            raise ValueError("set_access_token is only for connectors made with Bitrix24Connector.oauth")
        self._token = access_token
        self._mask_filter.secrets.append(access_token)

    def __repr__(self) -> str:
        kind = "oauth" if self._token is not None else "webhook"
        return f"Bitrix24Connector({kind}={self._masked!r})"

    # ------------------------------------------------------------------ counters
    @property
    def api_calls(self) -> int:
        return self._api_calls

    @property
    def rate_limit_waits(self) -> float:
        """Seconds this connector's requests waited for the client-side bucket (the bucket may be shared
        by every connector of the portal; other connectors' waits are theirs)."""
        return self._waits.total

    def budget_delay(self, requests: int) -> float:
        """Seconds until ``requests`` requests could go out back to back without pacing."""
        return self.pacer.delay_for(requests)

    def stats(self) -> dict[str, float | int]:
        return {
            "api_calls": self._api_calls,
            "retries": self.retries,
            "rate_limit_waits": round(self._waits.total, 3),
            "rate_limit_hits": self.rate_limit_hits,
            "ambiguous_writes": self.ambiguous_writes,
        }

    # ------------------------------------------------------------------ transport
    def _mask(self, text: str) -> str:
        for secret in (self._secret, self._token):
            if secret:
                text = text.replace(secret, "***")
        return text

    def _error(
        self, method: str, text: str, *, status: int | None = None, code: str | None = None,
        kind: type[ConnectorError] = ConnectorError,
    ) -> ConnectorError:
        return kind(self._mask(f"Bitrix24 {method} at {self._masked}: {text}"), status=status, code=code)

    async def request(self, method: str, params: Mapping[str, Any] | None = None, *,
                      idempotent: bool = True) -> dict[str, Any]:
        """One REST call with pacing and retries; returns the whole envelope (result, total, next, time).

        Non-idempotent requests are not resent after an ambiguous failure: :class:`AmbiguousWriteError`.
        """
        body: dict[str, Any] = dict(params or {})
        if self._token is not None:
            body["auth"] = self._token
        url = self._base + method

        async def attempt() -> dict[str, Any]:
            started = time.monotonic()
            self._waits.add(started, await self.pacer.acquire())
            self._api_calls += 1
            try:
                response = await self._client.post(url, json=body)
            except httpx.TransportError as exc:
                err = self._error(method, f"{type(exc).__name__}: {exc}")
                if transport_error_is_ambiguous(exc) and not idempotent:
                    self.ambiguous_writes += 1
                    raise self._error(method, f"outcome unknown after {type(exc).__name__}",
                                      kind=AmbiguousWriteError) from None
                raise RetryableError(err, reason=type(exc).__name__) from None
            return self._interpret(method, response, idempotent)

        def on_retry(n: int, wait: float, exc: RetryableError) -> None:
            self.retries += 1
            log.info("Bitrix24 %s: retry %d in %.2fs after %s", method, n + 1, wait, self._mask(exc.reason))

        return await retry_async(attempt, self.policy, on_retry=on_retry, rng=self._rng)

    def _interpret(self, method: str, response: httpx.Response, idempotent: bool) -> dict[str, Any]:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        if status == 200 and isinstance(body, dict) and "error" not in body:
            return body
        code = str(body.get("error", "")) if isinstance(body, dict) else ""
        desc = str(body.get("error_description", "")) if isinstance(body, dict) else ""
        text = f"HTTP {status} {code or '(no code)'}: {desc or response.reason_phrase}"
        if status in (401, 403) or code.upper() in _AUTH_CODES:
            raise self._error(method, text, status=status, code=code, kind=AuthError)
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if status == 503 and code.upper() in _LIMIT_CODES:
            self.rate_limit_hits += 1
            self.pacer.saturate()
            raise RetryableError(self._error(method, text, status=status, code=code),
                                 retry_after=retry_after, reason=code)
        if status == 429 or code.upper() == "OPERATION_TIME_LIMIT":
            self.rate_limit_hits += 1
            if retry_after is None and isinstance(body, dict):
                retry_after = _operating_reset_wait(body)
            raise RetryableError(self._error(method, text, status=status, code=code),
                                 retry_after=retry_after, reason=code or "429")
        if status >= 500 or body is None or not isinstance(body, dict):
            if not idempotent:
                self.ambiguous_writes += 1
                raise self._error(method, f"outcome unknown after {text}", status=status, code=code,
                                  kind=AmbiguousWriteError)
            raise RetryableError(self._error(method, text, status=status, code=code),
                                 retry_after=retry_after, reason=f"HTTP {status}")
        if code.upper() == "NOT_FOUND" or desc.strip().lower().rstrip(".") == "not found":
            raise self._error(method, text, status=status, code=code, kind=NotFoundError)
        raise self._error(method, text, status=status, code=code)

    async def call(self, method: str, params: Mapping[str, Any] | None = None, *,
                   idempotent: bool | None = None) -> Any:
        """``result`` of one method call. ``idempotent`` defaults from the method's verb."""
        envelope = await self.request(
            method, params, idempotent=_guess_idempotent([method]) if idempotent is None else idempotent
        )
        return envelope.get("result")

    async def batch(self, commands: Mapping[str, Command], halt: bool = False, *,
                    idempotent: bool | None = None) -> BatchResult:
        """Up to 50 commands in one HTTP request; per-key results/errors/totals/next.

        Keys may be referenced by later commands as ``$result[key][...]``. Sub-calls refused by a
        throttle (``OPERATION_TIME_LIMIT`` counts per nested method) were not executed, so they are
        resent after a backoff: the whole batch when it is idempotent (references stay valid),
        otherwise only the refused commands that reference nothing.
        """
        if not commands:
            return BatchResult()
        if len(commands) > BATCH_MAX:
            raise ValueError(f"a Bitrix24 batch takes at most {BATCH_MAX} commands, got {len(commands)}")
        todo = {str(key): encode_command(method, params) for key, (method, params) in commands.items()}
        if idempotent is None:
            idempotent = _guess_idempotent([method for method, _ in commands.values()])
        outcome = BatchResult()
        rounds = 0
        while True:
            body = {"halt": 1 if halt else 0, "cmd": todo}
            envelope = await self.request("batch", body, idempotent=idempotent)
            try:
                part = parse_batch(envelope)
            except ValueError as exc:
                raise self._error("batch", str(exc)) from None
            throttled = [k for k, e in part.errors.items() if e.code.upper() in _THROTTLE_CODES]
            if not idempotent:
                throttled = [k for k in throttled if "%24result" not in todo[k].lower()]
            if not throttled or rounds >= self.policy.max_retries:
                outcome.merge(part)
                return outcome
            if not idempotent:
                for key in throttled:
                    part.errors.pop(key)
                outcome.merge(part)
                todo = {k: todo[k] for k in throttled}
            wait = self.policy.delay(rounds, None, self._rng)
            rounds += 1
            self.retries += 1
            self.rate_limit_hits += 1
            log.info("Bitrix24 batch: %d sub-call(s) throttled (%s); retry in %.2fs",
                     len(throttled), part.errors.get(throttled[0]) if idempotent else "", wait)
            await asyncio.sleep(wait)

    async def call_many(self, commands: Mapping[str, Command], halt: bool = False, *,
                        idempotent: bool | None = None) -> BatchResult:
        """Any number of commands, 50 per HTTP request. References only resolve within one chunk."""
        merged = BatchResult()
        items = list(commands.items())
        for chunk in chunked(items):
            part = await self.batch(dict(chunk), halt, idempotent=idempotent)
            merged.merge(part)
            if halt and part.errors:
                break
        return merged

    # ------------------------------------------------------------------ entities
    def _entity(self, scope: EntityScope) -> _Entity:
        name = scope.entity.strip().lower()
        if name == "item":
            if not scope.entity_type_id or scope.entity_type_id < 1:
                raise ValueError(
                    "Bitrix24 scope entity 'item' needs entity_type_id (e.g. 2 for deals, >=128 for SPA)"
                )
            return _Entity("item", "crm.item", "id", "updatedTime", scope.entity_type_id, is_item=True)
        if name not in _LEGACY:
            known = ", ".join(self.ENTITIES)
            raise ValueError(f"Bitrix24 entity must be one of {known}; got {scope.entity!r}")
        modified, type_id = _LEGACY[name]
        return _Entity(name, f"crm.{name}", "ID", modified, type_id)

    def _base_filter(self, scope: EntityScope, ent: _Entity) -> dict[str, Any]:
        flt: dict[str, Any] = dict(scope.filter)
        if scope.category_id is not None:
            flt[ent.category_field] = scope.category_id
        return flt

    def _record(self, ent: _Entity, row: dict[str, Any]) -> Record:
        modified = row.get(ent.modified_field)
        return Record(
            id=str(row.get(ent.id_field)),
            fields=row,
            updated=parse_datetime(modified),
            version="" if modified is None else str(modified),
        )

    async def describe_fields(self, scope: EntityScope) -> list[FieldMeta]:
        ent = self._entity(scope)
        raw_result = await self.call(f"{ent.prefix}.fields", ent.base_params, idempotent=True)
        raw_fields = raw_result
        if ent.is_item and isinstance(raw_result, Mapping):
            raw_fields = raw_result.get("fields")
        if not isinstance(raw_fields, Mapping):
            raise self._error(f"{ent.prefix}.fields", "answer is not a field map")

        lookups: dict[str, Command] = {}
        wanted: dict[str, str] = {}  # field id -> lookup key
        category_type = ent.entity_type_id
        for field_id, raw in raw_fields.items():
            if not isinstance(raw, Mapping):
                continue
            ftype = raw.get("type")
            if ftype == "crm_status" and (status_type := status_type_for(raw, scope.category_id)):
                key = "status_" + re.sub(r"\W", "_", status_type)
                lookups[key] = (
                    "crm.status.list", {"filter": {"ENTITY_ID": status_type}, "order": {"SORT": "ASC"}}
                )
                wanted[field_id] = key
            elif ftype == "crm_currency":
                lookups["currency"] = ("crm.currency.list", {})
                wanted[field_id] = "currency"
            elif ftype == "crm_category" and category_type is not None:
                lookups["category"] = ("crm.category.list", {"entityTypeId": category_type})
                wanted[field_id] = "category"
        answers = await self.call_many(lookups, idempotent=True) if lookups else BatchResult()
        for key, err in answers.errors.items():
            log.warning("Bitrix24 describe_fields: lookup %s failed (%s); its options stay empty", key, err)

        metas: list[FieldMeta] = []
        for field_id, raw in raw_fields.items():
            if not isinstance(raw, Mapping):
                continue
            options: tuple[Option, ...] = ()
            lookup = wanted.get(field_id)
            if lookup is not None and lookup in answers.results:
                value = answers.results[lookup]
                options = (
                    currency_options(value) if lookup == "currency"
                    else category_options(value) if lookup == "category"
                    else status_options(value)
                )
            metas.append(normalise_field(str(field_id), raw, entity=ent.name, options=options))
        return metas

    async def iter_changed(
        self, scope: EntityScope, since: Cursor | None, *, page_size: int = 0
    ) -> AsyncIterator[list[Record]]:
        """All records (or those modified at/after ``since``), 2,500 per HTTP request, in ID order.

        ``page_size`` > 0 re-chunks what is yielded; it does not change the HTTP pattern.
        """
        ent = self._entity(scope)
        base_filter = self._base_filter(scope, ent)
        if since is not None:
            base_filter[f">={ent.modified_field}"] = _iso(since.updated)
        seen = set(since.seen_ids) if since is not None else set()
        cursor = since
        last_id = 0
        while True:
            commands: dict[str, Command] = {}
            for i in range(BATCH_MAX):
                after: Any = (
                    last_id if i == 0 else result_ref(f"p{i - 1}", *ent.rows_path, PAGE - 1, ent.id_field)
                )
                commands[f"p{i}"] = (
                    f"{ent.prefix}.list",
                    {
                        **ent.base_params,
                        "order": {ent.id_field: "ASC"},
                        "filter": {**base_filter, f">{ent.id_field}": after},
                        "select": ent.select,
                        "start": -1,
                    },
                )
            answer = await self.batch(commands, idempotent=True)
            rows: list[dict[str, Any]] = []
            finished = False
            for i in range(BATCH_MAX):
                key = f"p{i}"
                if key in answer.errors:
                    err = answer.errors[key]
                    raise self._error(f"{ent.prefix}.list", str(err), code=err.code)
                page = ent.rows(answer.results.get(key))
                if page and _row_id(page[0], ent) <= (_row_id(rows[-1], ent) if rows else last_id):
                    raise self._error(
                        f"{ent.prefix}.list", "pages did not advance by ID; batch references unresolved"
                    )
                rows.extend(page)
                if len(page) < PAGE:
                    finished = True
                    break
            if rows:
                last_id = _row_id(rows[-1], ent)
            records = [self._record(ent, r) for r in rows]
            if since is not None:
                records = [r for r in records if not (r.updated == since.updated and r.id in seen)]
            cursor = advance_cursor(cursor, records)
            self.last_cursor = cursor
            if records:
                size = page_size if page_size > 0 else len(records)
                for start in range(0, len(records), size):
                    yield records[start : start + size]
            if finished:
                return

    async def get_many(
        self, scope: EntityScope, ids: Sequence[str], *, fields: Sequence[str] | None = None
    ) -> list[Record]:
        """Records for ``ids`` (missing ones left out), in request order: 50 ids x 50 commands per request."""
        ent = self._entity(scope)
        wanted = list(dict.fromkeys(str(i) for i in ids))
        select = list(dict.fromkeys([ent.id_field, ent.modified_field, *fields])) if fields else ent.select
        commands: dict[str, Command] = {}
        for n, group in enumerate(chunked(wanted, PAGE)):
            commands[f"g{n}"] = (
                f"{ent.prefix}.list",
                {
                    **ent.base_params,
                    "filter": {f"@{ent.id_field}": list(group)},
                    "select": select,
                    "start": -1,
                },
            )
        answer = await self.call_many(commands, idempotent=True)
        if answer.errors:
            key, err = next(iter(answer.errors.items()))
            raise self._error(f"{ent.prefix}.list", str(err), code=err.code)
        found: dict[str, Record] = {}
        for key in commands:
            for row in ent.rows(answer.results.get(key)):
                rec = self._record(ent, row)
                found[rec.id] = rec
        return [found[i] for i in wanted if i in found]

    def _add_command(self, ent: _Entity, item: Mapping[str, Any]) -> Command:
        if ent.is_item:
            return ("crm.item.add", {**ent.base_params, "fields": dict(item)})
        return (f"{ent.prefix}.add", {"fields": dict(item), "params": {"REGISTER_SONET_EVENT": "N"}})

    def _created_id(self, ent: _Entity, result: Any) -> str | None:
        if ent.is_item:
            item = result.get("item") if isinstance(result, Mapping) else None
            return str(item["id"]) if isinstance(item, Mapping) and "id" in item else None
        return None if result in (None, False, "") else str(result)

    async def create_many(
        self, scope: EntityScope, items: Sequence[Mapping[str, Any]], *, dedupe_field: str | None = None
    ) -> list[WriteResult]:
        """Add items, 50 per HTTP request. ``dedupe_field`` (a field holding a unique external key,
        e.g. ``UF_CRM_JIRA_KEY``) makes resends after an ambiguous failure safe: items already
        present with that key are reported as created instead of being added again."""
        ent = self._entity(scope)
        results: list[WriteResult | None] = [None] * len(items)
        for start in range(0, len(items), BATCH_MAX):
            pending = list(range(start, min(start + BATCH_MAX, len(items))))
            failures = 0
            while pending:
                commands = {f"a{i}": self._add_command(ent, items[i]) for i in pending}
                try:
                    answer = await self.batch(commands, idempotent=False)
                except AmbiguousWriteError as exc:
                    if failures >= self.policy.max_retries:
                        for i in pending:
                            results[i] = WriteResult(i, False, error=str(exc))
                        break
                    wait = self.policy.delay(failures, None, self._rng)
                    failures += 1
                    self.retries += 1
                    log.warning(
                        "Bitrix24 create_many: %s; re-checking %d items before resending", exc, len(pending)
                    )
                    await asyncio.sleep(wait)
                    if dedupe_field:
                        subset = {i: items[i] for i in pending}
                        existing = await self._find_by_field(ent, dedupe_field, subset)
                        for i, found_id in existing.items():
                            results[i] = WriteResult(i, True, id=found_id)
                        pending = [i for i in pending if i not in existing]
                    continue
                for i in pending:
                    key = f"a{i}"
                    if key in answer.errors:
                        results[i] = WriteResult(i, False, error=str(answer.errors[key]))
                    else:
                        new_id = self._created_id(ent, answer.results.get(key))
                        results[i] = WriteResult(i, new_id is not None, id=new_id,
                                                 error=None if new_id else "no id in answer")
                pending = []
        return [
            r if r is not None else WriteResult(n, False, error="not attempted")
            for n, r in enumerate(results)
        ]

    async def find(self, scope: EntityScope, field: str, values: Sequence[str]) -> list[Record]:
        """Records whose ``field`` equals one of ``values`` (``filter[@field]``), in ID order.

        50 values per command and 50 commands per HTTP request; a group whose page comes back full
        may hold more matches (duplicates), so it is followed up by ID until its page is short.
        """
        ent = self._entity(scope)
        wanted = list(dict.fromkeys(str(v) for v in values if v not in (None, "")))
        groups = {f"f{n}": list(group) for n, group in enumerate(chunked(wanted, PAGE))}
        after = dict.fromkeys(groups, 0)
        found: dict[str, Record] = {}
        while after:
            commands: dict[str, Command] = {
                key: (
                    f"{ent.prefix}.list",
                    {
                        **ent.base_params,
                        "filter": {f"@{field}": groups[key], f">{ent.id_field}": last},
                        "order": {ent.id_field: "ASC"},
                        "select": ent.select,
                        "start": -1,
                    },
                )
                for key, last in after.items()
            }
            answer = await self.call_many(commands, idempotent=True)
            following: dict[str, int] = {}
            for key in commands:
                if key in answer.errors:
                    err = answer.errors[key]
                    raise self._error(f"{ent.prefix}.list", f"find by {field}: {err}", code=err.code)
                rows = ent.rows(answer.results.get(key))
                for row in rows:
                    rec = self._record(ent, row)
                    found[rec.id] = rec
                if len(rows) == PAGE:
                    following[key] = _row_id(rows[-1], ent)
            after = following
        return sorted(found.values(), key=lambda r: int(r.id) if r.id.isdigit() else 0)

    async def _find_by_field(
        self, ent: _Entity, field_name: str, items: Mapping[int, Mapping[str, Any]]
    ) -> dict[int, str]:
        """Item index -> id of the oldest existing record whose ``field_name`` equals the item's value."""
        keys = {
            i: str(item[field_name])
            for i, item in items.items()
            if item.get(field_name) not in (None, "") and not isinstance(item.get(field_name), Mapping | list)
        }
        if not keys:
            return {}
        scope = EntityScope(entity=ent.name, entity_type_id=ent.entity_type_id)
        by_value: dict[str, str] = {}
        for rec in await self.find(scope, field_name, list(keys.values())):
            by_value.setdefault(str(rec.fields.get(field_name)), rec.id)
        return {i: by_value[value] for i, value in keys.items() if value in by_value}

    async def update_many(
        self, scope: EntityScope, items: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[WriteResult]:
        """Update items, 50 per HTTP request; updates are idempotent so failures are simply resent."""
        ent = self._entity(scope)
        items = await self._replace_multifields(scope, ent, items)
        commands: dict[str, Command] = {}
        for n, (item_id, fields) in enumerate(items):
            if ent.is_item:
                params: dict[str, Any] = {**ent.base_params, "id": item_id, "fields": dict(fields)}
                commands[f"u{n}"] = ("crm.item.update", params)
            else:
                params = {"id": item_id, "fields": dict(fields), "params": {"REGISTER_SONET_EVENT": "N"}}
                commands[f"u{n}"] = (f"{ent.prefix}.update", params)
        answer = await self.call_many(commands, idempotent=True)
        return [
            WriteResult(n, False, id=str(item_id), error=str(answer.errors[f"u{n}"]))
            if f"u{n}" in answer.errors
            else WriteResult(n, True, id=str(item_id))
            for n, (item_id, _) in enumerate(items)
        ]

    async def _replace_multifields(
        self, scope: EntityScope, ent: _Entity, items: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[tuple[str, Mapping[str, Any]]]:
        """A written e-mail/phone replaces the record's first one instead of being added beside it.

        Bitrix24 appends multi-value items that carry no ``ID``; to replace, the existing item's ID must
        be sent. Those IDs are read for all affected records in one batched list call.
        """
        wanted = {fid for _, fields in items for fid, value in fields.items()
                  if fid in _MULTIFIELDS and isinstance(value, list) and value
                  and all(isinstance(v, Mapping) and "ID" not in v for v in value)}
        if not wanted or ent.is_item:
            return list(items)
        ids = [str(item_id) for item_id, fields in items if wanted & set(fields)]
        current = {r.id: r.fields for r in await self.get_many(scope, ids)}
        out: list[tuple[str, Mapping[str, Any]]] = []
        for item_id, fields in items:
            fixed = dict(fields)
            for fid in wanted & set(fields):
                existing = [v for v in (current.get(str(item_id), {}).get(fid) or []) if isinstance(v, Mapping)]
                new = [dict(v) for v in fixed[fid]]
                for target, old in zip(new, existing, strict=False):
                    target["ID"] = old.get("ID")
                fixed[fid] = new
            out.append((item_id, fixed))
        return out

    async def delete_many(self, scope: EntityScope, ids: Sequence[str]) -> list[WriteResult]:
        """Delete ids, 50 per HTTP request, as "ensure absent": an id already gone counts as done,
        which also makes a resend after a lost answer harmless."""
        ent = self._entity(scope)
        commands: dict[str, Command] = {
            f"d{n}": (f"{ent.prefix}.delete", {**ent.base_params, "id": item_id})
            for n, item_id in enumerate(ids)
        }
        answer = await self.call_many(commands, idempotent=True)
        results: list[WriteResult] = []
        for n, item_id in enumerate(ids):
            err = answer.errors.get(f"d{n}")
            if err is None or _is_not_found(err):
                results.append(WriteResult(n, True, id=str(item_id)))
            else:
                results.append(WriteResult(n, False, id=str(item_id), error=str(err)))
        return results

    # ------------------------------------------------------------------ studio helpers
    async def profile(self) -> Bitrix24Profile:
        """Who the credentials act as (user.current) plus the portal domain; one HTTP request."""
        commands: dict[str, Command] = {"user": ("user.current", {}), "admin": ("user.admin", {})}
        answer = await self.batch(commands, idempotent=True)
        if "user" in answer.errors:
            err = answer.errors["user"]
            kind = AuthError if err.code.upper() in _AUTH_CODES else ConnectorError
            raise self._error("user.current", str(err), code=err.code, kind=kind)
        user = answer.results.get("user")
        if not isinstance(user, Mapping):
            raise self._error("user.current", "answer is not a user object")
        admin = answer.results.get("admin") if "admin" not in answer.errors else None
        name = " ".join(str(user.get(k) or "") for k in ("NAME", "LAST_NAME")).strip()
        return Bitrix24Profile(
            user_id=str(user.get("ID", "")),
            name=name,
            email=str(user.get("EMAIL") or ""),
            is_admin=bool(admin) if isinstance(admin, bool) else None,
            domain=self.domain,
            endpoint=self._masked,
            user=dict(user),
        )

    async def find_user_by_email(self, email: str) -> dict[str, Any] | None:
        """The active portal user with this e-mail (case-insensitive), cached for this connector's life."""
        wanted = email.strip().casefold()
        if not wanted:
            raise ValueError("find_user_by_email needs a non-empty e-mail address")
        if wanted in self._user_cache:
            return self._user_cache[wanted]
        rows = await self.call("user.get", {"FILTER": {"EMAIL": email.strip()}}, idempotent=True)
        match: dict[str, Any] | None = None
        if isinstance(rows, list):
            candidates = [
                r for r in rows if isinstance(r, dict) and str(r.get("EMAIL", "")).casefold() == wanted
            ]
            active = [r for r in candidates if r.get("ACTIVE") not in (False, "N", "0", 0)]
            pick = active or candidates
            match = pick[0] if pick else None
        self._user_cache[wanted] = match
        return match

    def clear_user_cache(self) -> None:
        self._user_cache.clear()

    # ------------------------------------------------------------------ lifecycle
    async def aclose(self) -> None:
        await self._client.aclose()
        logging.getLogger("httpx").removeFilter(self._mask_filter)

    async def __aenter__(self) -> Bitrix24Connector:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _row_id(row: Mapping[str, Any], ent: _Entity) -> int:
    try:
        return int(row[ent.id_field])
    except (KeyError, TypeError, ValueError):
        return 0


def _is_not_found(err: CommandError) -> bool:
    return err.code.upper() == "NOT_FOUND" or "not found" in err.description.lower()


def _guess_idempotent(methods: Sequence[str]) -> bool:
    return all(m.rsplit(".", 1)[-1].lower() in _READ_VERBS for m in methods)


def _operating_reset_wait(body: Mapping[str, Any]) -> float | None:
    timing = body.get("time")
    if not isinstance(timing, Mapping):
        return None
    try:
        reset_at = float(timing["operating_reset_at"])
    except (KeyError, TypeError, ValueError):
        return None
    return max(0.0, reset_at - datetime.now(UTC).timestamp())


def _mask_url_guess(url: str) -> str:
    """Mask anything after /rest/<id>/ in a URL we could not parse, so a typo never leaks a secret."""
    return re.sub(r"(/rest/[^/]*/)[^/]+", r"\1***", url) if "/rest/" in url else "<not a webhook URL>"

