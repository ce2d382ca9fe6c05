"""Users, invitations, dismissal, custom profile fields and the company structure's rules, over HTTP."""

from __future__ import annotations

import base64

from b24sandbox_helpers import Portal, Receiver

from sync_engine.sandbox.bitrix24.seed_company import photo_png


def _as_user(portal: Portal, user_id: int, **body: object) -> str:
    hook = portal.admin("POST", "webhook", {"user_id": user_id, **body})
    assert hook.status_code == 200, hook.text
    return str(hook.json()["url"])


def test_user_get_filters_sort_and_pages(portal: Portal) -> None:
    first = portal.call("user.get", {"sort": "ID", "order": "ASC"}).json()
    assert first["total"] >= 300 and len(first["result"]) == 50 and first["next"] == 50
    second = portal.call("user.get", {"start": 57}).json()  # snapped to the page start, as the portal does
    assert second["result"][0]["ID"] == "51"
    desc = portal.result("user.get", {"sort": "ID", "order": "DESC"})
    assert int(desc[0]["ID"]) == first["total"]
    by_dept = portal.result("user.get", {"FILTER": {"UF_DEPARTMENT": [4, 5], "ACTIVE": True}})
    assert by_dept and all(set(u["UF_DEPARTMENT"]) & {4, 5} for u in by_dept)
    assert portal.result("user.get", {"filter": {"EMAIL": "E.SMIRNOVA@vektorsoft.ru"}})[0]["ID"] == "8"
    assert portal.result("user.get", {"filter": {">ID": 318, "<=ID": 319}, "select": ["ID", "EMAIL"]}) == [
        {"ID": "319", "EMAIL": portal.result("user.get", {"ID": 319})[0]["EMAIL"]}]
    like = portal.result("user.get", {"filter": {"%LAST_NAME": "морозов"}})
    assert any(u["ID"] == "1" for u in like)
    assert portal.result("user.search", {"FIND": "Елена Смирнова"})[0]["ID"] == "8"
    assert portal.result("user.search", {"FILTER": {"UF_DEPARTMENT_NAME": "Отдел платформы", "ID": 5}})[0]["ID"] == "5"
    no_count = portal.call("user.get", {"start": -1}).json()
    assert "total" not in no_count and len(no_count["result"]) == 50
    in_batch = portal.result("batch", {"cmd": {"u": "user.get?FILTER[UF_DEPARTMENT]=4&select[]=ID"}})
    assert in_batch["result_total"]["u"] == len(in_batch["result"]["u"])


def test_user_fields_and_current(portal: Portal) -> None:
    fields = portal.result("user.fields")
    assert fields["UF_DEPARTMENT"] == "Units" and "UF_INTERESTS" in fields and "UF_USR_" not in "".join(fields)
    assert portal.result("user.admin") is True


def test_invite_dismiss_and_photo(portal: Portal, receiver: Receiver) -> None:
    hook = portal.admin("POST", "outgoing-webhook", {"handler_url": receiver.url, "events": ["ONUSERADD"]})
    hook_id = hook.json()["id"]
    try:
        bad = portal.call("user.add", {"EMAIL": "not-an-email", "UF_DEPARTMENT": [4]}).json()
        assert bad == {"error": "ERROR_ARGUMENT", "error_description": "wrong_email", "argument": "",
                       "time": bad["time"]}
        no_dep = portal.call("user.add", {"EMAIL": "new.hire@vektorsoft.ru"})
        assert no_dep.status_code == 400 and no_dep.json()["error"] == "ERROR_ARGUMENT"
        new_id = portal.result("user.add", {"EMAIL": "new.hire@vektorsoft.ru", "NAME": "Арина",
                                            "LAST_NAME": "Новенькая", "UF_DEPARTMENT": [4]})
        dup = portal.call("user.add", {"EMAIL": "NEW.HIRE@vektorsoft.ru", "UF_DEPARTMENT": [4]}).json()
        assert dup["error_description"] == "A user with this email already exists"
        _, form, _ = receiver.next()
        assert form["event"] == ["ONUSERADD"] and form["data[ID]"] == [str(new_id)]
        assert form["data[EMAIL]"] == ["new.hire@vektorsoft.ru"] and form["data[UF_DEPARTMENT][0]"] == ["4"]
        invites = portal.admin("GET", f"invitations?user_id={new_id}").json()
        assert [i["EMAIL"] for i in invites] == ["new.hire@vektorsoft.ru"]
    finally:
        portal.admin("DELETE", f"outgoing-webhook/{hook_id}")
    photo = base64.b64encode(photo_png(7)).decode()
    assert portal.result("user.update", {"ID": new_id, "UF_DEPARTMENT": [5], "WORK_POSITION": "Аналитик",
                                         "PERSONAL_PHOTO": ["me.png", photo]}) is True
    user = portal.result("user.get", {"ID": new_id})[0]
    assert user["UF_DEPARTMENT"] == [5] and user["WORK_POSITION"] == "Аналитик"
    assert portal.http.get(user["PERSONAL_PHOTO"]).content == photo_png(7)
    clash = portal.call("user.update", {"ID": new_id, "EMAIL": "a.morozov@vektorsoft.ru"}).json()
    assert clash["error"] == "ERROR_CORE" and "already exists" in clash["error_description"]
    as_new = _as_user(portal, new_id)
    assert portal.http.post(as_new + "user.current").json()["result"]["ID"] == str(new_id)
    denied = portal.http.post(as_new + "user.update", json={"ID": new_id, "NAME": "x"}).json()
    assert denied["error"] == "ERROR_CORE" and denied["error_description"] == "access_denied"
    assert portal.result("user.update", {"ID": new_id, "ACTIVE": "N"}) is True
    assert portal.result("user.get", {"ID": new_id})[0]["ACTIVE"] is False
    assert all(u["ACTIVE"] for u in portal.result("user.get", {"FILTER": {"ACTIVE": True}, "start": 300}))
    assert portal.http.post(as_new + "user.current").status_code == 401  # a dismissed user's webhook stops
    missing = portal.call("user.update", {"ID": 999999, "NAME": "x"}).json()
    assert missing["error"] == "ERROR_CORE"


def test_custom_user_fields_are_created_once(portal: Portal) -> None:
    spec = {"FIELD_NAME": "HOBBIES", "USER_TYPE_ID": "enumeration", "MULTIPLE": "Y", "LABEL": "Увлечения",
            "LIST": [{"VALUE": "Рыбалка", "XML_ID": "pastime:fishing"}, {"VALUE": "Английский",
                                                                          "XML_ID": "study:english"}]}
    field_id = portal.result("user.userfield.add", {"fields": spec})
    again = portal.call("user.userfield.add", {"fields": spec}).json()
    assert again["error"] == "ERROR_CORE"
    assert again["error_description"] == "Field UF_USR_HOBBIES for USER object already exists"
    listed = portal.call("user.userfield.list", {"filter": {"FIELD_NAME": "UF_USR_HOBBIES"}}).json()
    assert listed["total"] == 1 and listed["result"][0]["ID"] == str(field_id)
    items = {i["XML_ID"]: i["ID"] for i in listed["result"][0]["LIST"]}
    assert portal.result("user.update", {"ID": 16, "UF_USR_HOBBIES": [items["pastime:fishing"]]}) is True
    wrong = portal.call("user.update", {"ID": 16, "UF_USR_HOBBIES": ["999999"]})
    assert wrong.status_code == 400 and wrong.json()["error"] == "ERROR_CORE"
    plain = portal.result("user.get", {"ID": 16})[0]
    assert "UF_USR_HOBBIES" not in plain  # custom fields only with UF_* or by name
    with_uf = portal.result("user.get", {"filter": {"UF_USR_HOBBIES": items["pastime:fishing"]}, "select": ["UF_*"]})
    assert [(u["ID"], u["UF_USR_HOBBIES"]) for u in with_uf] == [("16", [items["pastime:fishing"]])]
    assert portal.result("user.userfield.update", {"id": field_id, "fields": {
        "LIST": [{"VALUE": "Горные лыжи", "XML_ID": "rest:ski"}]}}) is True
    assert len(portal.result("user.userfield.list", {"filter": {"ID": field_id}})[0]["LIST"]) == 3
    missing = portal.call("user.userfield.update", {"id": 987654, "fields": {}}).json()
    assert missing["error"] == "" and missing["error_description"] == "Access denied."
    no_name = portal.call("user.userfield.add", {"fields": {"USER_TYPE_ID": "string"}}).json()
    assert no_name["error_description"] == "The 'FIELD_NAME' field is not found."
    assert portal.result("user.userfield.delete", {"id": field_id}) is True
    assert "UF_USR_HOBBIES" not in portal.result("user.get", {"ID": 16, "select": ["UF_*"]})[0]
    as_dev = _as_user(portal, 17)
    denied = portal.http.post(as_dev + "user.userfield.list").json()
    assert denied["error_description"] == "Access denied."


def test_structure_rules(portal: Portal) -> None:
    second_root = portal.call("department.add", {"NAME": "Холдинг"}).json()
    assert second_root["error"] == "ERROR_CORE"
    assert second_root["error_description"] == "There can only be one top-level department in the company structure"
    assert portal.call("department.add", {"PARENT": 1}).json()["error_description"] == \
        "Department name not provided.<br>"
    team = portal.result("department.add", {"NAME": "Группа интеграций", "PARENT": 4, "UF_HEAD": 16, "SORT": 10})
    sub = portal.result("department.add", {"NAME": "Подгруппа JIRA", "PARENT": team})
    got = portal.result("department.get", {"ID": team})[0]
    assert got == {"ID": str(team), "NAME": "Группа интеграций", "SORT": 10, "PARENT": "4", "UF_HEAD": "16"}
    cycle = portal.call("department.update", {"ID": team, "PARENT": sub}).json()
    assert cycle["error"] == "ERROR_CORE" and "subsection" in cycle["error_description"]
    assert portal.call("department.update", {"ID": team, "PARENT": 0}).json()["error_description"].startswith(
        "There can only be one")
    assert portal.call("department.update", {"ID": 99999}).json()["error_description"] == "Department not found"
    bad_head = portal.call("department.update", {"ID": team, "UF_HEAD": 99999})
    assert bad_head.status_code == 400
    assert portal.result("department.update", {"ID": sub, "PARENT": 5, "UF_HEAD": 19}) is True
    assert portal.result("department.get", {"PARENT": 5, "NAME": "Подгруппа JIRA"})[0]["UF_HEAD"] == "19"
    portal.result("user.update", {"ID": 18, "UF_DEPARTMENT": [sub]})
    busy = portal.call("department.delete", {"ID": 5}).json()
    assert busy["error"] == "ERROR_CORE" and "employees" in busy["error_description"]
    portal.result("user.update", {"ID": 18, "UF_DEPARTMENT": [5]})
    assert portal.result("department.delete", {"ID": team}) is True
    assert portal.result("department.delete", {"ID": sub}) is True
    assert portal.call("department.delete", {"ID": sub}).json()["error_description"] == "Department not found"
    assert portal.result("department.fields")["UF_HEAD"] == "Manager"
    page = portal.call("department.get", {"sort": "ID", "order": "DESC", "START": 0}).json()
    assert page["total"] >= 20 and len(page["result"]) == min(page["total"], 50)
    as_dev = _as_user(portal, 17)
    denied = portal.http.post(as_dev + "department.add", json={"NAME": "x", "PARENT": 1}).json()
    assert denied["error"] == "ERROR_CORE" and denied["error_description"] == "Access denied"
