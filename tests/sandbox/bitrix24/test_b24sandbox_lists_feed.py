"""Universal lists with CRM bindings, notifications with tags, feed posts and timeline comments."""

from __future__ import annotations

import base64

from b24sandbox_helpers import Portal, Receiver

LIST = {"IBLOCK_TYPE_ID": "lists", "IBLOCK_CODE": "advance_receipts"}


def test_lists_with_crm_money_date_and_file_fields(portal: Portal) -> None:
    missing = portal.call("lists.add", {"IBLOCK_TYPE_ID": "lists", "FIELDS": {"NAME": "x"}}).json()
    assert missing == {"error": "ERROR_REQUIRED_PARAMETERS_MISSING",
                       "error_description": 'Required parameter "IBLOCK_CODE" is missing', "time": missing["time"]}
    iblock_id = portal.result("lists.add", {**LIST, "FIELDS": {"NAME": "Чеки авансовых отчётов"}})
    again = portal.call("lists.add", {**LIST, "FIELDS": {"NAME": "x"}}).json()
    assert again["error"] == "ERROR_IBLOCK_ALREADY_EXISTS"
    crm = portal.result("lists.field.add", {**LIST, "FIELDS": {
        "NAME": "Сделка или компания", "TYPE": "S:ECrm", "CODE": "CRM", "MULTIPLE": "Y",
        "USER_TYPE_SETTINGS": {"DEAL": "Y", "COMPANY": "Y"}}})
    money = portal.result("lists.field.add", {**LIST, "FIELDS": {"NAME": "Сумма", "TYPE": "S:Money",
                                                                 "CODE": "AMOUNT", "IS_REQUIRED": "Y"}})
    day = portal.result("lists.field.add", {**LIST, "FIELDS": {"NAME": "Дата чека", "TYPE": "S:Date",
                                                               "CODE": "DATE"}})
    scan = portal.result("lists.field.add", {**LIST, "FIELDS": {"NAME": "Скан", "TYPE": "F", "CODE": "SCAN"}})
    kind = portal.result("lists.field.add", {"IBLOCK_TYPE_ID": "lists", "IBLOCK_ID": iblock_id, "FIELDS": {
        "NAME": "Вид", "TYPE": "L", "CODE": "KIND", "LIST": {"n0": {"VALUE": "Топливо"}, "n1": {"VALUE": "Такси"}}}})
    assert crm.startswith("PROPERTY_") and money.startswith("PROPERTY_")
    no_code = portal.call("lists.field.add", {**LIST, "FIELDS": {"NAME": "x", "TYPE": "S"}}).json()
    assert no_code["error"] == "ERROR_SAVE_FIELD" and no_code["error_description"] == "Please fill the code fields"
    dup = portal.call("lists.field.add", {**LIST, "FIELDS": {"NAME": "x", "TYPE": "S", "CODE": "AMOUNT"}}).json()
    assert dup["error_description"] == "Property already exists"
    fields = portal.result("lists.field.get", LIST)
    options = fields[kind]["DISPLAY_VALUES_FORM"]
    fuel = next(k for k, v in options.items() if v == "Топливо")
    assert fields[crm]["USER_TYPE_SETTINGS"]["DEAL"] == "Y" and fields["NAME"]["IS_REQUIRED"] == "Y"
    scan_b64 = base64.b64encode(b"JPEG scan").decode()
    first = portal.result("lists.element.add", {**LIST, "ELEMENT_CODE": "r1", "FIELDS": {
        "NAME": "АЗС Лукойл", crm: ["D_3", "CO_5"], money: "1500.50|RUB", day: "2026-02-03",
        scan: ["scan.jpg", scan_b64], kind: fuel}})
    portal.result("lists.element.add", {**LIST, "ELEMENT_CODE": "r2", "FIELDS": {
        "NAME": "Такси", crm: ["D_4"], money: "700|RUB", day: "27.01.2026"}})
    by_id = portal.call("lists.element.add", {**LIST, "ELEMENT_CODE": "r3", "FIELDS": {
        "NAME": "x", money: "1|RUB", scan: 15}}).json()
    assert by_id["error"] == "ERROR_ELEMENT_FIELD_VALUE"
    required = portal.call("lists.element.add", {**LIST, "ELEMENT_CODE": "r3", "FIELDS": {"NAME": "x"}}).json()
    assert required["error_description"] == 'The field "Сумма" is required'
    wrong_crm = portal.call("lists.element.add", {**LIST, "ELEMENT_CODE": "r3", "FIELDS": {
        "NAME": "x", money: "1|RUB", crm: ["L_1"]}}).json()
    assert wrong_crm["error"] == "ERROR_ELEMENT_FIELD_VALUE"
    row = portal.result("lists.element.get", {**LIST, "ELEMENT_ID": first})[0]
    assert sorted(row[crm].values()) == ["CO_5", "D_3"] and list(row[money].values()) == ["1500.5|RUB"]
    assert list(row[day].values()) == ["03.02.2026"] and list(row[kind].values()) == [fuel]
    urls = portal.result("lists.element.get.file.url", {**LIST, "ELEMENT_ID": first, "FIELD_ID": scan[9:]})
    assert [portal.http.get(u).content for u in urls] == [b"JPEG scan"]
    for_deal = portal.call("lists.element.get", {**LIST, "FILTER": {f"={crm}": "D_4"}}).json()
    assert for_deal["total"] == 1 and for_deal["result"][0]["NAME"] == "Такси"
    by_code = portal.result("lists.element.get", {**LIST, "FILTER": {"PROPERTY_CRM": "CO_5"}})
    assert [r["ID"] for r in by_code] == [str(first)]
    since = portal.result("lists.element.get", {**LIST, "FILTER": {f">={day}": "2026-02-01"},
                                                "ELEMENT_ORDER": {"NAME": "desc"}})
    assert [r["NAME"] for r in since] == ["АЗС Лукойл"]
    assert portal.result("lists.element.update", {**LIST, "ELEMENT_ID": first, "FIELDS": {
        "NAME": "АЗС", money: "1600|RUB"}}) is True
    updated = portal.result("lists.element.get", {**LIST, "ELEMENT_CODE": "r1"})[0]
    assert updated["NAME"] == "АЗС" and crm not in updated  # values not sent are cleared, as on the portal
    assert updated[scan] == row[scan]  # ...except files, which stay until deleted by value id
    (value_id,) = updated[scan]
    portal.result("lists.element.update", {**LIST, "ELEMENT_ID": first, "FIELDS": {
        "NAME": "АЗС", money: "1600|RUB", f"{scan}_DEL": {value_id: "Y"}}})
    assert scan not in portal.result("lists.element.get", {**LIST, "ELEMENT_ID": first})[0]
    assert portal.result("lists.element.delete", {**LIST, "ELEMENT_ID": first}) is True
    assert portal.call("lists.element.delete", {**LIST, "ELEMENT_ID": first}).json()["error"] == \
        "ERROR_ELEMENT_NOT_FOUND"
    assert portal.result("lists.get", {"IBLOCK_TYPE_ID": "lists", "IBLOCK_CODE": "advance_receipts"})[0]["ID"] == \
        str(iblock_id)
    assert portal.result("lists.field.type.get", LIST)["S:ECrm"] == "Binding to CRM elements"
    assert portal.result("lists.field.delete", {**LIST, "FIELD_ID": kind}) is True
    assert portal.call("lists.element.get", {"IBLOCK_TYPE_ID": "lists", "IBLOCK_ID": 987}).json()["error"] == \
        "ERROR_IBLOCK_NOT_FOUND"
    assert portal.result("lists.delete", LIST) is True


def test_notifications_replace_by_tag_and_are_listed_once(portal: Portal) -> None:
    assert portal.call("im.notify.system.add", {"MESSAGE": "x"}).json()["error"] == "USER_ID_EMPTY"
    assert portal.result("im.notify.system.add", {"USER_ID": 999999, "MESSAGE": "x"}) is False
    tag = {"TAG": "hr-prodcal-2026-05-08", "CLIENT_ID": "b24sync"}
    no_client = portal.call("im.notify.system.add", {"USER_ID": 7, "MESSAGE": "x", "TAG": "t"}).json()
    assert no_client["error"] == "CLIENT_ID_EMPTY"
    first = portal.result("im.notify.system.add", {"USER_ID": 7, "MESSAGE": "Скоро праздники", **tag})
    second = portal.result("im.notify.system.add", {"USER_ID": 7, "MESSAGE": "Скоро праздники!", **tag})
    personal = portal.result("im.notify.personal.add", {"USER_ID": 7, "MESSAGE": "Лично"})
    sent = portal.admin("GET", "notifications?user_id=7").json()
    assert [(n["ID"], n["REMOVED"], n["TYPE"]) for n in sent] == [
        (first, True, "SYSTEM"), (second, False, "SYSTEM"), (personal, False, "PERSONAL")]
    assert portal.admin("GET", f"notifications?tag={tag['TAG']}").json()[1]["MESSAGE"] == "Скоро праздники!"


def test_feed_posts_with_destinations_and_files(portal: Portal) -> None:
    assert portal.call("log.blogpost.add", {"POST_MESSAGE": ""}).json()["error"] == \
        "SONET_CONTROLLER_LIVEFEED_BLOGPOST_ADD_ERROR"
    nowhere = portal.call("log.blogpost.add", {"POST_MESSAGE": "x", "DEST": ["U999999"]}).json()
    assert nowhere["error_description"] == "No destination specified"
    chart = base64.b64encode(b"\x89PNG chart").decode()
    post_id = portal.result("log.blogpost.add", {"POST_TITLE": "Оргструктура", "POST_MESSAGE": "Новая схема",
                                                 "DEST": ["DR7", "U3"], "FILES": [["chart.png", chart]]})
    sales_head = portal.admin("POST", "webhook", {"user_id": 9}).json()["url"]  # in department 9, under 7
    developer = portal.admin("POST", "webhook", {"user_id": 17}).json()["url"]
    seen = portal.http.post(sales_head + "log.blogpost.get", json={"POST_ID": post_id}).json()["result"]
    assert seen[0]["TITLE"] == "Оргструктура" and seen[0]["HAS_SOCNET_ALL"] == "N"
    assert portal.http.post(developer + "log.blogpost.get", json={"POST_ID": post_id}).json()["result"] == []
    file_id = seen[0]["FILES"][0]
    stored = portal.result("disk.file.get", {"id": file_id})
    assert portal.http.get(stored["DOWNLOAD_URL"]).content == b"\x89PNG chart"
    denied = portal.http.post(developer + "log.blogpost.update", json={"POST_ID": post_id, "POST_MESSAGE": "x"})
    assert denied.json()["error_description"] == "No write perms"
    no_text = portal.call("log.blogpost.update", {"POST_ID": post_id, "DEST": ["UA"]}).json()
    assert no_text["error"] == "EMPTY_TITLE"
    more = base64.b64encode(b"second").decode()
    assert portal.result("log.blogpost.update", {"POST_ID": post_id, "POST_MESSAGE": "Схема v2",
                                                 "FILES": [["floor.png", more]]}) == post_id
    again = portal.result("log.blogpost.get", {"POST_ID": post_id})[0]
    assert again["DETAIL_TEXT"] == "Схема v2" and len(again["FILES"]) == 2  # old files stay, new ones join
    portal.result("log.blogpost.update", {"POST_ID": post_id, "POST_TITLE": "Оргструктура",
                                          "FILES": {file_id: "del"}})
    assert portal.result("log.blogpost.get", {"POST_ID": post_id})[0]["FILES"] == [again["FILES"][1]]
    assert portal.result("log.blogpost.delete", {"POST_ID": post_id}) is True
    assert portal.result("log.blogpost.get", {"POST_ID": post_id}) == []
    posts = portal.admin("GET", "posts").json()
    assert [p["DELETED"] for p in posts if p["ID"] == post_id] == [True]


def test_timeline_comments_with_files_and_events(portal: Portal, receiver: Receiver) -> None:
    hook = portal.admin("POST", "outgoing-webhook", {"handler_url": receiver.url, "events": [
        "ONCRMTIMELINECOMMENTADD", "ONCRMTIMELINECOMMENTUPDATE", "ONCRMTIMELINECOMMENTDELETE"]}).json()
    try:
        no_owner = portal.call("crm.timeline.comment.add", {"fields": {
            "ENTITY_TYPE": "deal", "ENTITY_ID": 987654, "COMMENT": "x"}}).json()
        assert no_owner["error"] == "OWNER_NOT_FOUND"
        upper = portal.call("crm.timeline.comment.add", {"FIELDS": {
            "ENTITY_TYPE": "deal", "ENTITY_ID": 2, "COMMENT": "x"}}).json()
        assert upper["error"] == "100"  # only the lower-case "fields" since crm 23.100.0
        files = [["ТЗ.txt", base64.b64encode("техзадание".encode()).decode()]]
        ids = [portal.result("crm.timeline.comment.add", {"fields": {
            "ENTITY_TYPE": "deal", "ENTITY_ID": 2, "COMMENT": f"Комментарий {n}", "AUTHOR_ID": 16,
            **({"FILES": files} if n == 0 else {})}}) for n in range(3)]
        _, form, _ = receiver.next()
        assert form["event"] == ["ONCRMTIMELINECOMMENTADD"] and form["data[ID]"] == [str(ids[0])]
        got = portal.result("crm.timeline.comment.get", {"id": ids[0]})
        assert got["AUTHOR_ID"] == "16" and got["ENTITY_TYPE"] == "deal"
        ((file_id, file_view),) = got["FILES"].items()
        assert file_view["name"] == "ТЗ.txt" and file_view["urlDownload"].startswith(portal.url + "/disk/")
        on_drive = portal.result("disk.file.get", {"id": file_id})  # the documented way to the bytes
        assert portal.http.get(on_drive["DOWNLOAD_URL"]).text == "техзадание"
        listed = portal.call("crm.timeline.comment.list", {"filter": {"ENTITY_TYPE": "deal", "ENTITY_ID": 2},
                                                           "order": {"ID": "ASC"}, "select": ["ID", "COMMENT"]}).json()
        assert [r["ID"] for r in listed["result"]] == [str(i) for i in ids] and listed["total"] == 3
        assert set(listed["result"][1]) == {"ID", "COMMENT"}
        assert portal.result("crm.timeline.comment.update", {"id": ids[1], "fields": {"COMMENT": "Правка"}}) == ids[1]
        no_text = portal.call("crm.timeline.comment.update", {"id": ids[0], "fields": {"FILES": []}}).json()
        assert no_text["error"] == "INVALID_ARG_VALUE"
        assert portal.result("crm.timeline.comment.update", {"id": ids[0], "fields": {"COMMENT": "Без файлов",
                                                                                      "FILES": []}}) == ids[0]
        assert "FILES" not in portal.result("crm.timeline.comment.get", {"id": ids[0]})
        assert portal.result("crm.timeline.bindings.bind", {"fields": {"OWNER_ID": ids[2], "ENTITY_ID": 1,
                                                                       "ENTITY_TYPE": "company"}}) is True
        bound = portal.result("crm.timeline.bindings.list", {"filter": {"OWNER_ID": ids[2]}})
        assert {(b["ENTITY_TYPE"], b["ENTITY_ID"]) for b in bound} == {("deal", "2"), ("company", "1")}
        multi = portal.call("crm.timeline.comment.delete", {"id": ids[2]}).json()
        assert multi["error"] == "MULTIPLE_BINDINGS"
        assert portal.result("crm.timeline.comment.delete", {"id": ids[2], "ownerTypeId": 4, "ownerId": 1}) is None
        assert portal.call("crm.timeline.comment.get", {"id": ids[2]}).json()["error_description"] == "Not found."
        events = [receiver.next()[1]["event"][0] for _ in range(5)]
        assert events == ["ONCRMTIMELINECOMMENTADD", "ONCRMTIMELINECOMMENTADD", "ONCRMTIMELINECOMMENTUPDATE",
                          "ONCRMTIMELINECOMMENTUPDATE", "ONCRMTIMELINECOMMENTDELETE"]
    finally:
        portal.admin("DELETE", f"outgoing-webhook/{hook['id']}")
