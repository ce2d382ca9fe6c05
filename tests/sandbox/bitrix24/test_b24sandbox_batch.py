"""``batch``: references, halt, length limit, nesting, encodings and call counting."""

from __future__ import annotations

import urllib.parse

from b24sandbox_helpers import Portal


def test_references_between_commands(portal: Portal) -> None:
    body = portal.call("batch", {"halt": 0, "cmd": {
        "company": "crm.company.list?filter[UF_CRM_INN]=7701000003&select[]=ID&select[]=TITLE",
        "deals": "crm.deal.list?filter[COMPANY_ID]=$result[company][0][ID]&select[]=ID&select[]=COMPANY_ID",
        "add": "crm.deal.add?fields[TITLE]=Для $result[company][0][TITLE]"
               "&fields[COMPANY_ID]=$result[company][0][ID]",
        "get": "crm.deal.get?id=$result[add]",
    }}).json()
    result = body["result"]
    company = result["result"]["company"][0]
    assert company["TITLE"] == "ГКУ «Центр информационных технологий»"
    deals = result["result"]["deals"]
    assert deals and all(d["COMPANY_ID"] == company["ID"] for d in deals)
    assert result["result"]["get"]["TITLE"] == "Для ГКУ «Центр информационных технологий»"
    assert result["result"]["get"]["COMPANY_ID"] == company["ID"]
    assert result["result_error"] == [] and result["result_next"] == []
    assert result["result_total"]["company"] == 1
    assert set(result["result_time"]["get"]) == {"start", "finish", "duration", "processing", "date_start",
                                                 "date_finish"}
    assert "total" not in body and set(body["time"]) >= {"operating", "operating_reset_at"}


def test_partial_path_keeps_deepest_value(portal: Portal) -> None:
    body = portal.call("batch", {"cmd": {
        "one": "crm.deal.get?id=5",
        "title": "crm.deal.list?filter[TITLE]=$result[one][TITLE][nope]&select[]=ID",
    }}).json()
    assert body["result"]["result"]["title"] == [{"ID": "5"}]


def test_halt_stops_after_first_error(portal: Portal) -> None:
    cmd = {"a": "crm.deal.get?id=1", "b": "crm.deal.get?id=999999", "c": "crm.deal.get?id=2"}
    halted = portal.call("batch", {"halt": 1, "cmd": cmd}).json()["result"]
    assert list(halted["result"]) == ["a"] and halted["result_error"]["b"]["error_description"] == "Not found"
    assert "c" not in halted["result_time"]
    going = portal.call("batch", {"halt": False, "cmd": cmd}).json()["result"]
    assert list(going["result"]) == ["a", "c"] and list(going["result_error"]) == ["b"]
    form_body = {"halt": "0", **{f"cmd[{k}]": v for k, v in cmd.items()}}
    form = portal.http.post(portal.hook + "batch", data=form_body)
    assert list(form.json()["result"]["result"]) == ["a", "c"]
    # PHP (bool) cast: the string "false" is true, so this batch halts like a real portal's would
    php_true = portal.call("batch", {"halt": "false", "cmd": cmd}).json()["result"]
    assert list(php_true["result"]) == ["a"]


def test_list_cmd_gives_lists_and_next(portal: Portal) -> None:
    body = portal.call("batch", {"cmd": ["crm.deal.list?select[]=ID&start=0", "crm.deal.get?id=1",
                                         "no.such.method"]}).json()["result"]
    # PHP json_encode: keys 0..n-1 in order make a JSON list, anything else an object
    assert isinstance(body["result"], list) and len(body["result"]) == 2
    assert body["result"][1]["ID"] == "1"
    assert body["result_error"] == {"2": {"error": "ERROR_METHOD_NOT_FOUND",
                                          "error_description": "Method not found!"}}
    assert isinstance(body["result_total"], list) and body["result_total"][0] >= 40


def test_paging_inside_batch_reports_next(portal: Portal) -> None:
    cmd = {f"p{n}": f"crm.deal.list?select[]=ID&start={n * 20}" for n in range(2)}
    extra = portal.call("batch", {"cmd": {"u": "user.get?start=0&UF_DEPARTMENT=4"} | cmd}).json()["result"]
    assert extra["result_total"]["u"] == len(extra["result"]["u"]) and "u" not in extra["result_next"]
    many = portal.call("batch", {"cmd": {"u": "user.get?start=0&ACTIVE=Y"}}).json()["result"]
    assert len(many["result"]["u"]) == 50 and many["result_next"]["u"] == 50
    assert many["result_total"]["u"] == portal.call("user.get").json()["total"]


def test_form_encoded_double_encoded_commands(portal: Portal) -> None:
    query = urllib.parse.urlencode({"fields[TITLE]": "John&Martin", "fields[OPPORTUNITY]": "10"})
    form = {"halt": "0", "cmd[add]": "crm.deal.add?" + query, "cmd[get]": "crm.deal.get?id=$result[add]"}
    response = portal.http.post(portal.hook + "batch.json", data=form)
    got = response.json()["result"]["result"]["get"]
    assert got["TITLE"] == "John&Martin" and got["OPPORTUNITY"] == "10.00"


def test_more_than_50_commands(portal: Portal) -> None:
    cmd = {f"c{n}": "crm.deal.get?id=1" for n in range(52)}
    body = portal.call("batch", {"cmd": cmd}).json()["result"]
    assert len(body["result"]) == 50
    assert body["result_error"] == {
        "c50": {"error": "ERROR_BATCH_LENGTH_EXCEEDED", "error_description": "Max batch length exceeded"},
        "c51": {"error": "ERROR_BATCH_LENGTH_EXCEEDED", "error_description": "Max batch length exceeded"}}


def test_batch_inside_batch_refused(portal: Portal) -> None:
    body = portal.call("batch", {"cmd": {"inner": "batch?cmd[x]=crm.deal.get%3Fid%3D1",
                                         "ok": "crm.deal.get?id=1"}}).json()["result"]
    assert body["result_error"]["inner"]["error"] == "ERROR_BATCH_METHOD_NOT_ALLOWED"
    assert body["result"]["ok"]["ID"] == "1"


def test_batch_counts_as_one_call(fresh_portal: Portal) -> None:
    fresh_portal.admin("POST", "reset", {})
    cmd = {f"c{n}": f"crm.deal.get?id={n + 1}" for n in range(10)}
    assert fresh_portal.call("batch", {"cmd": cmd}).status_code == 200
    counters = fresh_portal.admin("GET", "counters").json()
    assert counters["total"] == 1 and counters["by_method"] == {"batch": 1}
    assert counters["subcalls"] == {"crm.deal.get": 10}
