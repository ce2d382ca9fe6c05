"""Batch command encoding must survive the server's ``parse_url`` + ``parse_str`` exactly."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote

import pytest

from sync_engine.connectors.bitrix24_batch import (
    BatchResult,
    CommandError,
    chunked,
    encode_command,
    parse_batch,
    php_query,
    result_ref,
)


def php_parse(query: str) -> dict[str, object]:
    """A minimal independent PHP ``parse_str`` (explicit indexes only), to check our encoder."""
    out: dict[str, object] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        head, _, rest = key.partition("[")
        parts = [head] + ([p for p in rest.rstrip("]").split("][")] if rest else [])
        node: dict[str, object] = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})  # type: ignore[assignment]
        node[parts[-1]] = value
    return out


def test_nested_filter_select_and_order_encode_like_php() -> None:
    flt = {">ID": 5, "@ID": [1, 2], ">=DATE_MODIFY": "2024-01-01T00:00:00+03:00"}
    query = php_query({"order": {"ID": "ASC"}, "filter": flt, "select": ["*", "UF_*"], "start": -1})
    assert "filter[%3EID]=5" in query
    assert "filter[%40ID][0]=1" in query and "filter[%40ID][1]=2" in query
    assert "filter[%3E%3DDATE_MODIFY]=2024-01-01T00%3A00%3A00%2B03%3A00" in query
    assert php_parse(query) == {
        "order": {"ID": "ASC"},
        "filter": {">ID": "5", "@ID": {"0": "1", "1": "2"}, ">=DATE_MODIFY": "2024-01-01T00:00:00+03:00"},
        "select": {"0": "*", "1": "UF_*"},
        "start": "-1",
    }


def test_values_with_query_metacharacters_and_unicode_round_trip() -> None:
    title = "Tom & Jerry = 100% ?#[x] Поставка"
    query = php_query({"fields": {"TITLE": title, "PHONE": [{"VALUE": "+7 (495) 1", "VALUE_TYPE": "WORK"}]}})
    parsed = php_parse(query)
    phone = {"VALUE": "+7 (495) 1", "VALUE_TYPE": "WORK"}
    assert parsed == {"fields": {"TITLE": title, "PHONE": {"0": phone}}}


def test_scalars_booleans_none_and_empty_containers() -> None:
    encoded = php_query({"a": True, "b": False, "c": None, "d": [], "e": {}, "f": 1.5})
    assert encoded == "a=1&b=0&c=&d=&e=&f=1.5"
    with pytest.raises(TypeError, match="cannot encode a object"):
        php_query({"x": object()})


def test_result_reference_is_encoded_and_decodes_to_placeholder() -> None:
    ref = result_ref("p3", "items", 49, "id")
    assert ref == "$result[p3][items][49][id]"
    cmd = encode_command("crm.item.list", {"filter": {">id": ref}, "start": -1})
    method, _, query = cmd.partition("?")
    assert method == "crm.item.list"
    assert "$" not in query and "[p3]" not in query  # the placeholder is inside an encoded value
    assert php_parse(query)["filter"] == {">id": ref}


def test_encode_command_rejects_bad_method_names_and_allows_no_params() -> None:
    assert encode_command("user.current") == "user.current"
    for bad in ("", "crm.deal.list?x=1", "../batch"):
        with pytest.raises(ValueError, match="invalid Bitrix24 method name"):
            encode_command(bad)


def test_parse_batch_reads_php_shaped_maps() -> None:
    body = {
        "result": {
            "result": [[{"ID": "1"}], {"ID": "2"}],  # keys 0..n-1 arrive as a JSON list
            "result_error": {"2": {"error": "", "error_description": "Not found"}},
            "result_total": [],
            "result_next": {"0": "50"},
            "result_time": [],
        },
        "time": {},
    }
    parsed = parse_batch(body)
    assert parsed.results == {"0": [{"ID": "1"}], "1": {"ID": "2"}}
    assert parsed.errors == {"2": CommandError("", "Not found")}
    assert parsed.totals == {} and parsed.next == {"0": 50}
    with pytest.raises(ValueError, match="no 'result' object"):
        parse_batch({"result": []})


def test_merge_and_chunking() -> None:
    a = BatchResult(results={"x": 1})
    a.merge(BatchResult(results={"y": 2}, errors={"z": CommandError("E", "d")}))
    assert a.results == {"x": 1, "y": 2} and str(a.errors["z"]) == "E: d"
    assert [len(c) for c in chunked(list(range(120)))] == [50, 50, 20]
    assert unquote("%24result") == "$result"
