"""CRUD of CRM entities, user fields, crm.item, directories, people and side-effect methods."""

from __future__ import annotations

from b24sandbox_helpers import Portal


def test_deal_lifecycle_with_legacy_typing(portal: Portal) -> None:
    deal_id = portal.result("crm.deal.add", {"fields": {
        "TITLE": "Лицензии для теста", "OPPORTUNITY": 1000000, "COMPANY_ID": 3, "CLOSEDATE": "2026-12-31",
        "UF_CRM_JIRA_KEY": "PUR-900", "UF_CRM_DISCOUNT": "7.5", "UF_CRM_PROTECTION_STARTED": "Y",
        "UF_CRM_DISTRIBUTOR": "CO_14", "UNKNOWN_FIELD": "ignored", "ID": 99999}})
    assert isinstance(deal_id, int)
    deal = portal.result("crm.deal.get", {"id": deal_id})
    assert deal["ID"] == str(deal_id) and deal["OPPORTUNITY"] == "1000000.00" and deal["COMPANY_ID"] == "3"
    assert deal["STAGE_ID"] == "NEW" and deal["CATEGORY_ID"] == "0" and deal["CLOSED"] == "N"
    assert deal["CLOSEDATE"] == "2026-12-31T00:00:00+03:00"
    assert deal["DATE_CREATE"].endswith("+03:00") and deal["IS_NEW"] == "Y"
    assert deal["UF_CRM_DISCOUNT"] == "7.5" and deal["UF_CRM_PROTECTION_STARTED"] == "1"
    assert deal["UF_CRM_DISTRIBUTOR"] == "14"  # single-type crm field stores the bare id
    assert deal["UF_CRM_DEAL_KIND"] == "1"  # enumeration default (DEF=Y) applied on add
    assert "UNKNOWN_FIELD" not in deal and "CONTACT_IDS" not in deal
    won = {"STAGE_ID": "WON", "TITLE": "Выиграна"}
    assert portal.result("crm.deal.update", {"id": deal_id, "fields": won})
    after = portal.result("crm.deal.get", {"id": deal_id})
    assert after["STAGE_ID"] == "WON" and after["STAGE_SEMANTIC_ID"] == "S" and after["CLOSED"] == "Y"
    assert after["TITLE"] == "Выиграна" and after["UF_CRM_JIRA_KEY"] == "PUR-900"
    assert after["DATE_MODIFY"] >= deal["DATE_MODIFY"]
    assert portal.result("crm.deal.delete", {"id": deal_id}) is True
    gone = portal.call("crm.deal.get", {"id": deal_id})
    assert gone.status_code == 400 and gone.json() == {"error": "", "error_description": "Not found",
                                                       "time": gone.json()["time"]}


def test_deal_in_partner_category_takes_its_first_stage(portal: Portal) -> None:
    deal_id = portal.result("crm.deal.add", {"fields": {"TITLE": "Партнёр", "CATEGORY_ID": 1}})
    deal = portal.result("crm.deal.get", {"id": deal_id})
    assert deal["STAGE_ID"] == "C1:NEW" and deal["CATEGORY_ID"] == "1"
    wrong = portal.call("crm.deal.update", {"id": deal_id, "fields": {"STAGE_ID": "WON"}})
    assert wrong.status_code == 400 and wrong.json()["error"] == ""


def test_contact_multifield_update_semantics(portal: Portal) -> None:
    contact_id = portal.result("crm.contact.add", {"fields": {
        "NAME": "Инна", "LAST_NAME": "Тестова", "COMPANY_ID": 1,
        "PHONE": [{"VALUE": "+7 111", "VALUE_TYPE": "WORK"}, {"VALUE": "+7 222", "VALUE_TYPE": "MOBILE"}],
        "EMAIL": [{"VALUE": "inna@example.ru", "VALUE_TYPE": "WORK"}]}})
    phones = portal.result("crm.contact.get", {"id": contact_id})["PHONE"]
    assert [(p["VALUE"], p["VALUE_TYPE"]) for p in phones] == [("+7 111", "WORK"), ("+7 222", "MOBILE")]
    first, second = phones
    portal.result("crm.contact.update", {"id": contact_id, "fields": {"PHONE": [
        {"ID": first["ID"], "VALUE": "+7 333", "VALUE_TYPE": "HOME"},
        {"ID": second["ID"], "DELETE": "Y"},
        {"VALUE": "+7 444", "VALUE_TYPE": "WORK"}]}})
    got = portal.result("crm.contact.get", {"id": contact_id})
    changed = got["PHONE"][0]
    assert (changed["ID"], changed["VALUE"], changed["VALUE_TYPE"]) == (first["ID"], "+7 333", "HOME")
    assert [p["VALUE"] for p in got["PHONE"]] == ["+7 333", "+7 444"]
    portal.result("crm.contact.update", {"id": contact_id, "fields": {"EMAIL": [
        {"ID": got["EMAIL"][0]["ID"], "VALUE": ""}]}})
    cleared = portal.result("crm.contact.get", {"id": contact_id})
    assert "EMAIL" not in cleared and cleared["HAS_EMAIL"] == "N" and cleared["HAS_PHONE"] == "Y"


def test_product_crud(portal: Portal) -> None:
    fields = {"NAME": "Тестовый продукт", "PRICE": 1500.5, "XML_ID": "TEST-1", "SECTION_ID": 12}
    product_id = portal.result("crm.product.add", {"fields": fields})
    product = portal.result("crm.product.get", {"id": product_id})
    assert product["PRICE"] == "1500.50" and product["XML_ID"] == "TEST-1" and product["CURRENCY_ID"] == "RUB"
    assert product["ACTIVE"] == "Y" and product["TIMESTAMP_X"].endswith("+03:00")
    portal.result("crm.product.update", {"id": product_id, "fields": {"PRICE": "1600"}})
    assert portal.result("crm.product.get", {"id": product_id})["PRICE"] == "1600.00"
    fields = portal.result("crm.product.fields")
    assert fields["XML_ID"]["type"] == "string" and fields["PRICE"]["type"] == "double"


def test_userfield_add_appears_in_fields_with_enumeration_items(portal: Portal) -> None:
    uf_id = portal.result("crm.deal.userfield.add", {"fields": {
        "FIELD_NAME": "priority_level", "USER_TYPE_ID": "enumeration", "LABEL": "Приоритет",
        "LIST": [{"VALUE": "Высокий", "XML_ID": "HIGH"}, {"VALUE": "Низкий", "XML_ID": "LOW", "DEF": "Y"}]}})
    assert isinstance(uf_id, int)
    fields = portal.result("crm.deal.fields")
    desc = fields["UF_CRM_PRIORITY_LEVEL"]
    assert desc["type"] == "enumeration" and desc["isDynamic"] is True
    assert desc["title"] == "UF_CRM_PRIORITY_LEVEL"
    assert desc["listLabel"] == "Приоритет" and desc["formLabel"] == "Приоритет"
    assert [i["VALUE"] for i in desc["items"]] == ["Высокий", "Низкий"]
    high = desc["items"][0]["ID"]
    listed = portal.result("crm.deal.userfield.list", {"filter": {"FIELD_NAME": "UF_CRM_PRIORITY_LEVEL"}})
    assert listed[0]["ID"] == str(uf_id) and listed[0]["ENTITY_ID"] == "CRM_DEAL"
    assert [i["XML_ID"] for i in listed[0]["LIST"]] == ["HIGH", "LOW"]
    fields = {"TITLE": "С приоритетом", "UF_CRM_PRIORITY_LEVEL": high}
    deal_id = portal.result("crm.deal.add", {"fields": fields})
    assert portal.result("crm.deal.get", {"id": deal_id})["UF_CRM_PRIORITY_LEVEL"] == high
    found = portal.result("crm.deal.list", {"filter": {"UF_CRM_PRIORITY_LEVEL": high}, "select": ["ID"]})
    assert found == [{"ID": str(deal_id)}]
    bad = portal.call("crm.deal.add", {"fields": {"UF_CRM_PRIORITY_LEVEL": 999999}})
    assert bad.status_code == 400


def test_userfield_name_rules(portal: Portal) -> None:
    portal.result("crm.deal.userfield.add", {"fields": {"FIELD_NAME": "UF_MONEY_X", "USER_TYPE_ID": "money"}})
    assert "UF_CRM_MONEY_X" in portal.result("crm.deal.fields")
    too_long = portal.call("crm.deal.userfield.add",
                           {"fields": {"FIELD_NAME": "X" * 60, "USER_TYPE_ID": "string"}})
    assert too_long.status_code == 400 and too_long.json()["error"] == "ERROR_CORE"
    bad_chars = portal.call("crm.deal.userfield.add",
                            {"fields": {"FIELD_NAME": "ПОЛЕ", "USER_TYPE_ID": "string"}})
    assert bad_chars.json()["error"] == "ERROR_CORE"
    no_type = portal.call("crm.deal.userfield.add", {"fields": {"FIELD_NAME": "NOTYPE"}})
    assert no_type.json() | {"time": None} == {"error": "",
                                               "error_description": "The 'USER_TYPE_ID' field is not found.",
                                               "time": None}
    deal_id = portal.result("crm.deal.add", {"fields": {"UF_CRM_MONEY_X": "1500.5|USD"}})
    assert portal.result("crm.deal.get", {"id": deal_id})["UF_CRM_MONEY_X"] == "1500.5|USD"


def test_crm_item_for_deals_maps_onto_the_same_store(portal: Portal) -> None:
    item = portal.result("crm.item.add", {"entityTypeId": 2, "fields": {
        "title": "Через crm.item", "opportunity": 2500.5, "companyId": 5, "ufCrmJiraKey": "PUR-77",
        "stageId": "PREPARATION"}})["item"]
    assert isinstance(item["id"], int) and item["opportunity"] == 2500.5 and item["companyId"] == 5
    assert item["stageId"] == "PREPARATION" and item["ufCrmJiraKey"] == "PUR-77" and item["categoryId"] == 0
    assert item["createdTime"].endswith("+03:00") and item["opened"] == "Y"
    legacy = portal.result("crm.deal.get", {"id": item["id"]})
    assert legacy["OPPORTUNITY"] == "2500.50" and legacy["UF_CRM_JIRA_KEY"] == "PUR-77"
    updated = portal.result("crm.item.update", {"entityTypeId": 2, "id": item["id"],
                                                "fields": {"title": "Новое"}})
    assert updated["item"]["title"] == "Новое"
    original = portal.result("crm.item.get", {"entityTypeId": 2, "id": item["id"], "useOriginalUfNames": "Y"})
    assert original["item"]["UF_CRM_JIRA_KEY"] == "PUR-77"
    listed = portal.call("crm.item.list", {"entityTypeId": 2, "filter": {">=id": item["id"] - 1},
                                           "select": ["id", "title"], "order": {"id": "DESC"}}).json()
    assert listed["result"]["items"][0] == {"id": item["id"], "title": "Новое"} and listed["total"] == 2
    fields = portal.result("crm.item.fields", {"entityTypeId": 2})["fields"]
    assert fields["ufCrmJiraKey"]["upperName"] == "UF_CRM_JIRA_KEY" and fields["opened"]["type"] == "boolean"
    bad_filter = portal.call("crm.item.list", {"entityTypeId": 2, "filter": {"nonsense": 1}})
    assert bad_filter.status_code == 400 and bad_filter.json()["error"] == "INVALID_ARG_VALUE"
    assert portal.call("crm.item.delete", {"entityTypeId": 2, "id": item["id"]}).json()["result"] == []
    missing = portal.call("crm.item.get", {"entityTypeId": 2, "id": item["id"]}).json()
    assert missing["error"] == "NOT_FOUND"


def test_smart_process_projects(portal: Portal) -> None:
    types = portal.call("crm.type.list").json()
    assert types["total"] == 1 and types["result"]["types"][0]["entityTypeId"] == 1032
    assert types["result"]["types"][0]["title"] == "Проекты"
    seeded = portal.result("crm.item.list", {"entityTypeId": 1032})["items"]
    assert len(seeded) == 3 and seeded[0]["ufCrm1JiraProject"] == "MINFIN"
    assert seeded[0]["stageId"] == "DT1032_3:NEW" and seeded[0]["categoryId"] == 3
    fields = {"title": "Новый проект", "ufCrm1JiraProject": "NEWP"}
    item = portal.result("crm.item.add", {"entityTypeId": 1032, "fields": fields})["item"]
    assert item["stageId"] == "DT1032_3:NEW" and item["createdBy"] == 1
    stages = portal.result("crm.status.list", {"filter": {"ENTITY_ID": "DYNAMIC_1032_STAGE_3"}})
    assert [s["STATUS_ID"] for s in stages][-2:] == ["DT1032_3:SUCCESS", "DT1032_3:FAIL"]
    unknown = portal.call("crm.item.list", {"entityTypeId": 1999})
    assert unknown.status_code == 400 and unknown.json()["error"] == "NOT_FOUND"


def test_categories_and_statuses(portal: Portal) -> None:
    body = portal.call("crm.category.list", {"entityTypeId": 2}).json()
    categories = [(c["id"], c["name"]) for c in body["result"]["categories"]]
    assert categories == [(0, "Общая"), (1, "Партнёрские проекты")]
    stages = portal.call("crm.status.list", {"filter": {"ENTITY_ID": "DEAL_STAGE_1"},
                                             "order": {"SORT": "DESC"}})
    rows = stages.json()["result"]
    assert rows[0]["STATUS_ID"] == "C1:LOSE" and rows[0]["CATEGORY_ID"] == "1" and stages.json()["total"] == 5
    types = portal.result("crm.status.list", {"filter": {"ENTITY_ID": "COMPANY_TYPE"}})
    assert {"GOVERNMENT", "PARTNER", "INTEGRATOR", "DEVELOPER"} <= {t["STATUS_ID"] for t in types}


def test_users_and_departments(portal: Portal) -> None:
    me = portal.result("user.current")
    assert me["ID"] == "1" and me["EMAIL"] == "a.morozov@vektorsoft.ru" and me["ACTIVE"] is True
    body = portal.call("user.get").json()
    assert body["total"] >= 300 and len(body["result"]) == 50 and body["next"] == 50
    dev = portal.result("user.get", {"filter": {"UF_DEPARTMENT": 4}})
    assert {"Козлов", "Егоров", "Никитин", "Захаров"} <= {u["LAST_NAME"] for u in dev}
    by_email = portal.result("user.get", {"EMAIL": "e.smirnova@vektorsoft.ru"})
    assert [u["NAME"] for u in by_email] == ["Елена"]
    found = portal.result("user.search", {"FILTER": {"WORK_POSITION": "Разработчик", "ID": [16, 17, 19, 20, 2]}})
    assert [u["ID"] for u in found] == ["16", "17", "19", "20"]
    deps = portal.result("department.get", {"ID": 4})
    assert deps == [{"ID": "4", "NAME": "Отдел платформы", "SORT": 400, "PARENT": "3", "UF_HEAD": "5"}]
    new_id = portal.result("department.add", {"NAME": "Отдел интеграций", "PARENT": 3, "UF_HEAD": 16})
    assert portal.result("department.update", {"ID": new_id, "NAME": "Отдел интеграции с JIRA"}) is True
    assert portal.result("department.get", {"ID": new_id})[0]["NAME"] == "Отдел интеграции с JIRA"
    assert portal.result("department.delete", {"ID": new_id}) is True
    assert portal.result("department.get", {"ID": new_id}) == []
    assert portal.call("department.add", {"NAME": "Без родителя"}).status_code == 400


def test_side_effect_methods(portal: Portal) -> None:
    notify_id = portal.result("im.notify.system.add", {"USER_ID": 5, "MESSAGE": "Сделка синхронизирована"})
    assert isinstance(notify_id, int)
    assert portal.call("im.notify.system.add", {"USER_ID": 5}).json()["error"] == "MESSAGE_EMPTY"
    task = portal.result("tasks.task.add", {"fields": {"TITLE": "Проверить закупку", "RESPONSIBLE_ID": 16,
                                                       "DEADLINE": "2026-12-31T23:59:59",
                                                       "UF_CRM_TASK": ["D_10"]}})
    assert task["task"]["title"] == "Проверить закупку" and task["task"]["responsibleId"] == "16"
    again = portal.result("tasks.task.get", {"taskId": task["task"]["id"], "select": ["ID", "UF_CRM_TASK",
                                                                                      "DEADLINE"]})
    assert again["task"]["ufCrmTask"] == ["D_10"] and again["task"]["deadline"] == "2026-12-31T23:59:59+03:00"
    assert portal.call("tasks.task.add", {"fields": {}}).status_code == 400
    iblock = {"IBLOCK_TYPE_ID": "lists", "IBLOCK_CODE": "side_effects"}
    portal.result("lists.add", {**iblock, "FIELDS": {"NAME": "Заявки"}})
    prop = portal.result("lists.field.add", {**iblock, "FIELDS": {"NAME": "Метки", "TYPE": "S", "CODE": "TAGS",
                                                                  "MULTIPLE": "Y"}})
    element = portal.result("lists.element.add", {**iblock, "ELEMENT_CODE": "e1",
                                                  "FIELDS": {"NAME": "Заявка", prop: ["x", "y"]}})
    rows = portal.result("lists.element.get", {**iblock, "ELEMENT_ID": element})
    assert rows[0]["NAME"] == "Заявка" and list(rows[0][prop].values()) == ["x", "y"]
    duplicate = portal.call("lists.element.add", {**iblock, "ELEMENT_CODE": "e1", "FIELDS": {"NAME": "Ещё"}})
    assert duplicate.status_code == 400 and duplicate.json()["error"] == "ERROR_ELEMENT_ALREADY_EXISTS"
    post_id = portal.result("log.blogpost.add", {"POST_MESSAGE": "Релиз 2.0", "DEST": ["UA"]})
    assert portal.result("log.blogpost.get", {"POST_ID": post_id})[0]["DETAIL_TEXT"] == "Релиз 2.0"
    assert portal.call("log.blogpost.add", {"POST_TITLE": "Без текста"}).status_code == 400
