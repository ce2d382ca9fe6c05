"""The HTTP plumbing under the JIRA connector: call counting, retries and clean errors.

The ``jira`` library's ResilientSession already honours 429/503 with ``Retry-After``. It does not
retry other 5xx, and it sleeps 10-20 s before retrying a dropped connection, which is far too long
for an interactive studio; so dropped connections are taken away from it (re-raised as
:class:`DroppedConnection`) and retried here with a short capped backoff instead.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from jira.exceptions import JIRAError
from requests.adapters import HTTPAdapter

from sync_engine.connectors.base import AuthError, ConnectorError, NotFoundError

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class DroppedConnection(requests.RequestException):
    """A connection failed or broke. Deliberately not a ``requests.ConnectionError``, so the library's
    ResilientSession leaves it to our faster retry."""


class TlsFailure(requests.RequestException):
    """The server's certificate was not trusted: retrying cannot help, the settings must change."""


class CallCounter:
    """Counts HTTP attempts (what the server saw) and retries, from any worker thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._local = threading.local()
        self.calls = 0
        self.retries = 0

    def attempt(self) -> None:
        with self._lock:
            self.calls += 1
        self._local.attempts = getattr(self._local, "attempts", 0) + 1

    def begin_request(self) -> None:
        self._local.attempts = 0

    def end_request(self) -> None:
        """Attempts beyond the first inside one library request are the library's own retries."""
        extra = getattr(self._local, "attempts", 0) - 1
        if extra > 0:
            self.add_retries(extra)

    def add_retries(self, n: int = 1) -> None:
        with self._lock:
            self.retries += n


class CountingAdapter(HTTPAdapter):
    def __init__(self, counter: CallCounter, pool_size: int) -> None:
        super().__init__(pool_connections=pool_size, pool_maxsize=pool_size)
        self._counter = counter

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self._counter.attempt()
        try:
            return super().send(request, *args, **kwargs)
        except requests.exceptions.SSLError as exc:
            reason = str(exc.args[0] if exc.args else exc)
            verify_failed = "CERTIFICATE_VERIFY_FAILED" in reason
            detail = "certificate verify failed" if verify_failed else "handshake failed"
            raise TlsFailure(detail, request=request) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise DroppedConnection(f"{type(exc).__name__}", request=request) from None


def instrument(session: requests.Session, counter: CallCounter, pool_size: int) -> None:
    """Mount the counting adapter and bracket each library request so its internal retries are counted."""
    adapter = CountingAdapter(counter, pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    original = session.request

    def request(method: str, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        counter.begin_request()
        try:
            return original(method, url, *args, **kwargs)
        finally:
            counter.end_request()

    session.request = request  # type: ignore[method-assign]


def describe_call(method: str, url: str | None) -> str:
    """``GET /rest/api/2/search``: the call named without host, query string or anything secret."""
    path = urlsplit(url).path if url else "?"
    return f"{method.upper()} {path or '/'}"


class Scrubber:
    """Removes the secret from any text that might reach a message or a log."""

    def __init__(self, *secrets: str | None) -> None:
        self._secrets = [s for s in secrets if s and len(s) >= 4]

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def translate(exc: JIRAError, call: str, scrub: Scrubber) -> ConnectorError:
    status = exc.status_code
    detail = scrub((exc.text or "").strip())[:500]
    if status == 401:
        return AuthError(f"JIRA refused the credentials (401) for {call}", status=401, code="unauthorized")
    if status == 403:
        suffix = f": {detail}" if detail else ""
        return AuthError(f"JIRA denied access (403) for {call}{suffix}", status=403, code="forbidden")
    if status == 404:
        suffix = f": {detail}" if detail else ""
        return NotFoundError(f"JIRA found nothing (404) for {call}{suffix}", status=404, code="not_found")
    suffix = f": {detail}" if detail else ""
    if status is None:
        return ConnectorError(f"JIRA call {call} failed{suffix}")
    return ConnectorError(f"JIRA answered {status} for {call}{suffix}", status=status)


def library_retried(exc: JIRAError) -> bool:
    """ResilientSession already retried 429 and 503-with-Retry-After; retrying again would multiply waits."""
    if exc.status_code == 429:
        return True
    headers = exc.response.headers if exc.response is not None else {}
    return exc.status_code == 503 and "Retry-After" in headers


class Retrier:
    """Runs one logical call with capped exponential backoff on 5xx/429 and broken connections.

    Writes are retried too: the failures retried here (a refused or dropped connection, a gateway or
    server error) almost always mean JIRA did not apply the request; a rare duplicate create after a
    500 that JIRA did commit is accepted over losing a write.
    """

    def __init__(
        self,
        counter: CallCounter,
        scrub: Scrubber,
        *,
        attempts: int,
        base_delay: float,
        max_delay: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._counter = counter
        self._scrub = scrub
        self._attempts = max(1, attempts)
        self._base = base_delay
        self._cap = max_delay
        self._sleep = sleep

    def run(self, fn: Callable[[], T], *, method: str, path: str) -> T:
        call = f"{method.upper()} {path}"
        for attempt in range(1, self._attempts + 1):
            try:
                return fn()
            except JIRAError as exc:
                final = library_retried(exc) or attempt == self._attempts
                if exc.status_code not in RETRYABLE_STATUS or final:
                    err = translate(exc, call, self._scrub)
                    if exc.status_code in RETRYABLE_STATUS:
                        err = ConnectorError(f"{err} (gave up after {attempt} attempts)", status=err.status)
                    raise err from None
                reason = f"HTTP {exc.status_code}"
            except TlsFailure as exc:
                raise ConnectorError(
                    f"TLS {exc} for {call}: the server certificate is not trusted; "
                    "give its CA file as verify=",
                    code="tls",
                ) from None
            except (requests.RequestException, OSError) as exc:
                if attempt == self._attempts:
                    raise ConnectorError(
                        f"JIRA did not answer {call} after {attempt} attempts ({type(exc).__name__})",
                        code="unreachable",
                    ) from None
                reason = type(exc).__name__
            delay = min(self._cap, self._base * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
            log.info("retrying %s after %s (attempt %d of %d) in %.2fs",
                     call, reason, attempt, self._attempts, delay)
            self._counter.add_retries()
            self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover
