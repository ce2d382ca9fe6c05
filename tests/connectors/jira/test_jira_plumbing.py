"""Retry helper, error translation and constructor checks of the JIRA connector, without a server."""

from __future__ import annotations

import pytest
import requests
from jira.exceptions import JIRAError

from sync_engine.connectors.base import AuthError, ConnectorError, NotFoundError
from sync_engine.connectors.jira import JiraConnector
from sync_engine.connectors.jira_http import CallCounter, Retrier, Scrubber, describe_call, translate

SECRET = "s3cr3t-token-value"


def make_retrier(attempts: int = 3) -> tuple[Retrier, CallCounter, list[float]]:
    counter = CallCounter()
    sleeps: list[float] = []
    retrier = Retrier(counter, Scrubber(SECRET), attempts=attempts, base_delay=0.1, max_delay=0.3,
                      sleep=sleeps.append)
    return retrier, counter, sleeps


def test_retrier_retries_5xx_and_drops_then_succeeds() -> None:
    retrier, counter, sleeps = make_retrier()
    failures: list[Exception] = [JIRAError("boom", status_code=502), requests.ConnectionError("reset")]

    def flaky() -> str:
        if failures:
            raise failures.pop(0)
        return "ok"

    assert retrier.run(flaky, method="GET", path="/rest/api/2/search") == "ok"
    assert counter.retries == 2 and len(sleeps) == 2 and all(0 < s <= 0.3 for s in sleeps)


def test_retrier_gives_up_with_a_clean_error() -> None:
    retrier, counter, _ = make_retrier(attempts=3)

    def down() -> None:
        raise JIRAError(f"upstream said {SECRET}", status_code=500)

    with pytest.raises(ConnectorError) as caught:
        retrier.run(down, method="post", path="/rest/api/2/issue/bulk")
    text = str(caught.value)
    assert "500" in text and "POST /rest/api/2/issue/bulk" in text and "gave up after 3 attempts" in text
    assert SECRET not in text and counter.retries == 2

    def unreachable() -> None:
        raise requests.ConnectionError("refused")

    with pytest.raises(ConnectorError, match="did not answer GET /x after 3 attempts"):
        retrier.run(unreachable, method="GET", path="/x")


def test_client_errors_are_not_retried() -> None:
    retrier, counter, _ = make_retrier()
    calls = []

    def bad() -> None:
        calls.append(1)
        raise JIRAError("Field 'summary' is required", status_code=400)

    expected = "JIRA answered 400 for PUT /rest/api/2/issue/A-1: Field 'summary'"
    with pytest.raises(ConnectorError, match=expected):
        retrier.run(bad, method="PUT", path="/rest/api/2/issue/A-1")
    assert calls == [1] and counter.retries == 0


def test_translate_maps_statuses() -> None:
    scrub = Scrubber(SECRET)
    assert isinstance(translate(JIRAError("x", status_code=401), "GET /m", scrub), AuthError)
    assert isinstance(translate(JIRAError("x", status_code=403), "GET /m", scrub), AuthError)
    assert isinstance(translate(JIRAError("x", status_code=404), "GET /m", scrub), NotFoundError)
    assert str(translate(JIRAError("x", status_code=401), "GET /m", scrub)) == (
        "JIRA refused the credentials (401) for GET /m"
    )
    url = "https://h/jira/rest/api/2/search?jql=x&token=1"
    assert describe_call("get", url) == "GET /jira/rest/api/2/search"


def test_constructor_checks_settings_and_hides_the_token() -> None:
    with pytest.raises(ValueError, match="http"):
        JiraConnector("jira.example.com", token=SECRET)
    with pytest.raises(ValueError, match="e-mail"):
        JiraConnector("https://x.atlassian.net", token=SECRET, flavour="cloud")
    with pytest.raises(ValueError, match="flavour"):
        JiraConnector("https://x", token=SECRET, flavour="datacenter")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        JiraConnector("https://x", token="")
    conn = JiraConnector("https://jira.example.com/", user="bot", token=SECRET)
    assert SECRET not in repr(conn) and conn.url == "https://jira.example.com" and conn.api_calls == 0
