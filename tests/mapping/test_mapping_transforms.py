"""Transforms between raw JIRA and Bitrix24 values, on the shapes the APIs really use."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync_engine.fieldtypes import FieldMeta, FieldType, Option
from sync_engine.mapping.transforms import (
    REGISTRY,
    TransformContext,
    TransformError,
    UnresolvedReference,
    normalise_for_compare,
    normalise_label,
    suggest_value_map,
    to_bitrix24,
    to_jira,
)
from sync_engine.profiles.schema import (
    ConstantTransform,
    CopyTransform,
    DateTransform,
    MoneyTransform,
    MultiValueMapTransform,
    RelatedEntityTransform,
    TemplateTransform,
    UserByEmailTransform,
    ValueMapPair,
    ValueMapTransform,
)
from sync_engine.sandbox.seed_catalog import DEAL_STAGES, PURCHASE_STATUSES

MSK = ZoneInfo("Europe/Moscow")
EKB = ZoneInfo("Asia/Yekaterinburg")

J_STATUS = FieldMeta("status", "Статус", FieldType.ENUM, system_type="status",
                     options=tuple(Option(str(10000 + i), name) for i, (name, _) in enumerate(PURCHASE_STATUSES)))
B_STAGE = FieldMeta("STAGE_ID", "Стадия сделки", FieldType.ENUM, system_type="crm_status",
                    options=tuple(Option(sid, name) for sid, name, _ in DEAL_STAGES))
J_CURRENCY = FieldMeta("customfield_10104", "Валюта", FieldType.ENUM, system_type="select",
                       options=(Option("10200", "RUB"), Option("10201", "USD"), Option("10202", "EUR")))
B_CURRENCY = FieldMeta("CURRENCY_ID", "Валюта", FieldType.ENUM, system_type="crm_currency",
                       options=(Option("RUB", "Российский рубль"), Option("USD", "Доллар США"),
                                Option("EUR", "Евро")))
J_AMOUNT = FieldMeta("customfield_10101", "Сумма", FieldType.NUMBER, system_type="float")
B_OPPORTUNITY = FieldMeta("OPPORTUNITY", "Сумма", FieldType.MONEY, system_type="double")
B_UF_MONEY = FieldMeta("UF_CRM_BUDGET", "Бюджет", FieldType.MONEY, system_type="money")
J_DATE = FieldMeta("customfield_10106", "Дата закрытия", FieldType.DATE, system_type="datepicker")
B_CLOSEDATE = FieldMeta("CLOSEDATE", "Дата закрытия", FieldType.DATE, system_type="date")
J_DT = FieldMeta("customfield_10107", "Начало", FieldType.DATETIME, system_type="datetime")
B_DT = FieldMeta("UF_CRM_START", "Начало", FieldType.DATETIME, system_type="datetime")
J_TEXT = FieldMeta("customfield_10100", "Заказчик", FieldType.TEXT, system_type="textfield")
B_TEXT = FieldMeta("TITLE", "Название", FieldType.TEXT, system_type="string")
B_EMAIL = FieldMeta("EMAIL", "E-mail", FieldType.TEXT, system_type="crm_multifield", multiple=True)
B_FLAG = FieldMeta("OPENED", "Доступна для всех", FieldType.BOOL, system_type="char")
J_FLAG = FieldMeta("customfield_10140", "Срочно", FieldType.BOOL)
J_LABELS = FieldMeta("customfield_10150", "Каналы", FieldType.MULTI_ENUM, multiple=True,
                     options=(Option("1", "Выставка"), Option("2", "Вебинар"), Option("3", "Партнёр")))
B_CHANNELS = FieldMeta("UF_CRM_CHANNELS", "Каналы", FieldType.MULTI_ENUM, multiple=True, system_type="enumeration",
                       options=(Option("71", "Выставка"), Option("72", "Вебинар"), Option("73", "Партнёры")))
J_USER = FieldMeta("assignee", "Исполнитель", FieldType.USER, system_type="assignee")
B_USER = FieldMeta("ASSIGNED_BY_ID", "Ответственный", FieldType.USER, system_type="user")
B_COMPANY = FieldMeta("COMPANY_ID", "Компания", FieldType.REFERENCE, system_type="crm_company", reference="company")

STAGE_MAP = ValueMapTransform(pairs=[
    ValueMapPair(jira=status, bitrix24=stage)
    for (status, _), (stage, _, _) in zip(PURCHASE_STATUSES, DEAL_STAGES, strict=False)
] + [ValueMapPair(jira="Отклонён", bitrix24="APOLOGY")])
CURRENCY_MAP = ValueMapTransform(pairs=[ValueMapPair(jira=c, bitrix24=c) for c in ("RUB", "USD", "EUR")])


def ctx(j: FieldMeta | None, b: FieldMeta | None, **kw: object) -> TransformContext:
    return TransformContext(jira_meta=j, bitrix24_meta=b, **kw)  # type: ignore[arg-type]


def test_registry_covers_every_transform_type() -> None:
    assert set(REGISTRY) == {"copy", "value_map", "multi_value_map", "user_by_email", "date", "money",
                             "template", "constant", "related_entity"}


# ----------------------------------------------------------------------------------------- copy

def test_copy_numbers_from_bitrix_strings() -> None:
    c = ctx(J_AMOUNT, B_OPPORTUNITY)
    assert to_jira(CopyTransform(), "1000.00", c) == 1000.0
    assert to_bitrix24(CopyTransform(), 1500.5, c) == 1500.5
    assert to_jira(CopyTransform(), "", c) is None
    with pytest.raises(TransformError, match="not a number"):
        to_jira(CopyTransform(), "тысяча", c)


def test_copy_text_into_multifield_and_back() -> None:
    c = ctx(J_TEXT, B_EMAIL)
    assert to_bitrix24(CopyTransform(), "ivanov@vektorsoft.ru", c) == [
        {"VALUE": "ivanov@vektorsoft.ru", "VALUE_TYPE": "WORK"}]
    assert to_jira(CopyTransform(), [{"ID": "5", "VALUE": "a@b.ru", "VALUE_TYPE": "WORK"}], c) == "a@b.ru"


def test_copy_bool_y_n() -> None:
    c = ctx(J_FLAG, B_FLAG)
    assert to_bitrix24(CopyTransform(), True, c) == "Y"
    assert to_jira(CopyTransform(), "N", c) is False
    with pytest.raises(TransformError, match="yes/no"):
        to_jira(CopyTransform(), "maybe", c)


def test_copy_option_label_into_text() -> None:
    assert to_bitrix24(CopyTransform(), {"value": "USD", "id": "10201"}, ctx(J_CURRENCY, B_TEXT)) == "USD"
    assert to_jira(CopyTransform(), "WON", ctx(J_TEXT, B_STAGE)) == "Сделка успешна"


def test_copy_uf_money_needs_currency() -> None:
    with pytest.raises(TransformError, match="money transform"):
        to_bitrix24(CopyTransform(), 100.0, ctx(J_AMOUNT, B_UF_MONEY))


# ---------------------------------------------------------------------------------------- dates

def test_date_jira_to_bitrix_midnight_in_portal_zone() -> None:
    c = ctx(J_DATE, B_CLOSEDATE, jira_tz=MSK, bitrix24_tz=MSK)
    assert to_bitrix24(DateTransform(), "2024-01-29", c) == "2024-01-29T00:00:00+03:00"
    assert to_jira(DateTransform(), "2024-09-09T00:00:00+03:00", c) == "2024-09-09"
    # a date is a calendar day: it never shifts with zones
    c2 = ctx(J_DATE, B_CLOSEDATE, jira_tz=UTC, bitrix24_tz=EKB)
    assert to_jira(DateTransform(), "2024-09-09T00:00:00+05:00", c2) == "2024-09-09"


def test_datetime_across_time_zones() -> None:
    c = ctx(J_DT, B_DT, jira_tz=MSK, bitrix24_tz=EKB)
    assert to_bitrix24(DateTransform(), "2024-01-29T02:42:10.538+0300", c) == "2024-01-29T04:42:10+05:00"
    assert to_jira(DateTransform(), "2024-01-29T04:42:10+05:00", c) == "2024-01-29T02:42:10.000+0300"
    spec = DateTransform(jira_tz="UTC", bitrix24_tz="Europe/Moscow")
    assert to_bitrix24(spec, "2024-01-29T23:30:00.000+0000", c) == "2024-01-30T02:30:00+03:00"


def test_datetime_into_date_takes_the_target_zone_day() -> None:
    c = ctx(J_DT, B_CLOSEDATE, jira_tz=UTC, bitrix24_tz=MSK)
    assert to_bitrix24(DateTransform(), "2024-01-29T22:00:00.000+0000", c) == "2024-01-30T00:00:00+03:00"


def test_copy_date_keeps_the_calendar_day_across_zones() -> None:
    c = ctx(J_DATE, B_CLOSEDATE, jira_tz=UTC, bitrix24_tz=EKB)
    assert to_jira(CopyTransform(), "2024-09-09T00:00:00+05:00", c) == "2024-09-09"
    assert to_bitrix24(CopyTransform(), "2024-09-09", c) == "2024-09-09T00:00:00+05:00"
    dt = ctx(J_DT, B_CLOSEDATE, jira_tz=UTC, bitrix24_tz=MSK)
    assert to_bitrix24(CopyTransform(), "2024-01-29T22:00:00.000+0000", dt) == "2024-01-30T00:00:00+03:00"


def test_bad_date_is_a_clear_error() -> None:
    with pytest.raises(TransformError, match="not a date"):
        to_bitrix24(DateTransform(), "29/01/2024", ctx(J_DATE, B_CLOSEDATE))


_instants = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1),
                         timezones=st.just(UTC)).map(lambda d: d.replace(microsecond=0))
_zones = st.sampled_from(["UTC", "Europe/Moscow", "Asia/Yekaterinburg", "America/New_York", "Asia/Kolkata"])


@settings(max_examples=150, deadline=None)
@given(_instants, _zones, _zones)
def test_datetime_round_trip(moment: datetime, jz: str, bz: str) -> None:
    c = ctx(J_DT, B_DT, jira_tz=ZoneInfo(jz), bitrix24_tz=ZoneInfo(bz))
    local = moment.astimezone(ZoneInfo(jz))
    raw = local.strftime("%Y-%m-%dT%H:%M:%S.000%z")
    assert to_jira(DateTransform(), to_bitrix24(DateTransform(), raw, c), c) == raw


@settings(max_examples=150, deadline=None)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)), _zones, _zones)
def test_date_round_trip(day: date, jz: str, bz: str) -> None:
    c = ctx(J_DATE, B_CLOSEDATE, jira_tz=ZoneInfo(jz), bitrix24_tz=ZoneInfo(bz))
    assert to_jira(DateTransform(), to_bitrix24(DateTransform(), day.isoformat(), c), c) == day.isoformat()


# ---------------------------------------------------------------------------------------- numbers

@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-10**13, max_value=10**13))
def test_money_round_trip_in_cents(cents: int) -> None:
    amount = cents / 100
    for target in (B_UF_MONEY, B_OPPORTUNITY):
        c = ctx(J_AMOUNT, target)
        spec = MoneyTransform(currency="RUB")
        assert to_jira(spec, to_bitrix24(spec, amount, c), c) == amount
        assert to_jira(CopyTransform(), f"{amount:.2f}", c) == amount


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_number_copy_round_trip(number: float) -> None:
    c = ctx(J_AMOUNT, B_OPPORTUNITY)
    assert to_jira(CopyTransform(), to_bitrix24(CopyTransform(), number, c), c) == number


def test_money_currency_from_a_jira_field() -> None:
    spec = MoneyTransform(currency_field="customfield_10104")
    c = ctx(J_AMOUNT, B_UF_MONEY, source_record={"customfield_10104": {"value": "usd", "id": "10201"}})
    assert to_bitrix24(spec, 1500.5, c) == "1500.50|USD"
    assert to_jira(spec, "1500.50|USD", c) == 1500.5
    # a plain-number target such as OPPORTUNITY gets the amount; CURRENCY_ID is mapped on its own
    assert to_bitrix24(spec, 1500.5, ctx(J_AMOUNT, B_OPPORTUNITY)) == 1500.5
    with pytest.raises(TransformError, match="no currency"):
        to_bitrix24(spec, 1.0, ctx(J_AMOUNT, B_UF_MONEY, source_record={}))


# -------------------------------------------------------------------------------------- value map

def test_status_to_stage_and_back() -> None:
    c = ctx(J_STATUS, B_STAGE)
    assert to_bitrix24(STAGE_MAP, {"name": "Выполнен", "id": "10005"}, c) == "WON"
    assert to_bitrix24(STAGE_MAP, {"name": "Отклонён", "id": "10006"}, c) == "LOSE"  # first pair wins
    assert to_jira(STAGE_MAP, "APOLOGY", c) == {"name": "Отклонён"}  # statuses are moved by name
    assert to_jira(STAGE_MAP, "PREPARATION", c) == {"name": "Квалификация"}


def test_value_map_pairs_may_use_labels_or_ids() -> None:
    spec = ValueMapTransform(pairs=[ValueMapPair(jira="10201", bitrix24="Доллар США")])
    c = ctx(J_CURRENCY, B_CURRENCY)
    assert to_bitrix24(spec, {"value": "USD", "id": "10201"}, c) == "USD"
    assert to_jira(spec, "USD", c) == {"value": "USD"}


def test_value_map_default_and_missing_pair() -> None:
    c = ctx(J_CURRENCY, B_CURRENCY)
    spec = ValueMapTransform(pairs=[ValueMapPair(jira="RUB", bitrix24="RUB")], default_bitrix24="RUB")
    assert to_bitrix24(spec, {"value": "EUR", "id": "10202"}, c) == "RUB"
    with pytest.raises(TransformError, match=r"'Евро' \(EUR\).*no pair"):
        to_jira(spec, "EUR", c)
    assert to_bitrix24(spec, None, c) is None


@given(st.sampled_from(["RUB", "USD", "EUR"]))
def test_value_map_round_trip(code: str) -> None:
    c = ctx(J_CURRENCY, B_CURRENCY)
    option = J_CURRENCY.option_by_label(code)
    assert option is not None
    raw = {"self": "http://x", "value": code, "id": option.id}
    back = to_jira(CURRENCY_MAP, to_bitrix24(CURRENCY_MAP, raw, c), c)
    assert normalise_for_compare(back, J_CURRENCY) == normalise_for_compare(raw, J_CURRENCY) == option.id


@given(st.sampled_from([s for s, _, _ in DEAL_STAGES if s != "APOLOGY"]))
def test_stage_map_round_trip_from_bitrix(stage: str) -> None:
    c = ctx(J_STATUS, B_STAGE)
    assert to_bitrix24(STAGE_MAP, to_jira(STAGE_MAP, stage, c), c) == stage


def test_multi_value_map() -> None:
    spec = MultiValueMapTransform(pairs=[ValueMapPair(jira="Выставка", bitrix24="71"),
                                         ValueMapPair(jira="Вебинар", bitrix24="72"),
                                         ValueMapPair(jira="Партнёр", bitrix24="Партнёры")])
    c = ctx(J_LABELS, B_CHANNELS)
    assert to_bitrix24(spec, [{"value": "Вебинар", "id": "2"}, {"value": "Партнёр", "id": "3"}], c) == ["72", "73"]
    assert to_jira(spec, ["71", "73"], c) == [{"value": "Выставка"}, {"value": "Партнёр"}]
    assert to_jira(spec, [], c) == []
    assert normalise_for_compare(["73", "71"], B_CHANNELS) == normalise_for_compare(
        to_bitrix24(spec, to_jira(spec, ["71", "73"], c), c), B_CHANNELS)


# ------------------------------------------------------------------------------------------ users

class Directory:
    def __init__(self) -> None:
        self.jira = {"ivanov": "ivanov@vektorsoft.ru"}
        self.b24 = {"7": "ivanov@vektorsoft.ru", "9": "nobody@vektorsoft.ru"}

    def email_for_jira_user(self, jira_user_id: str) -> str | None:
        return self.jira.get(jira_user_id)

    def jira_user_for_email(self, email: str) -> Mapping[str, str] | None:
        return next(({"name": k} for k, v in self.jira.items() if v == email), None)

    def bitrix_user_for_email(self, email: str) -> str | None:
        return next((k for k, v in self.b24.items() if v == email), None)

    def email_for_bitrix_user(self, bitrix_user_id: str) -> str | None:
        return self.b24.get(bitrix_user_id)


def test_user_by_email_both_ways() -> None:
    c = ctx(J_USER, B_USER, users=Directory())
    spec = UserByEmailTransform()
    assert to_bitrix24(spec, {"name": "ivanov", "emailAddress": "ivanov@vektorsoft.ru"}, c) == "7"
    assert to_bitrix24(spec, {"name": "ivanov"}, c) == "7"  # e-mail hidden: asked from the directory
    assert to_jira(spec, "7", c) == {"name": "ivanov"}
    with pytest.raises(UnresolvedReference, match=r"nobody@vektorsoft\.ru"):
        to_jira(spec, "9", c)
    with pytest.raises(TransformError, match="user directory"):
        to_jira(spec, "7", ctx(J_USER, B_USER))


# ------------------------------------------------------------------------------ template/constant

def test_template_renders_labels_without_format() -> None:
    spec = TemplateTransform(template="{summary} — {customfield_10104} {{{customfield_10101}}} {x.__class__}")
    record = {"summary": "Лицензии", "customfield_10104": {"value": "USD", "id": "10201"},
              "customfield_10101": 1500.0}
    c = ctx(J_TEXT, B_TEXT, source_record=record)
    assert to_bitrix24(spec, None, c) == "Лицензии — USD {1500} "


def test_template_from_bitrix_uses_option_labels() -> None:
    spec = TemplateTransform(template="{TITLE} ({STAGE_ID})")
    c = ctx(J_TEXT, None, source_record={"TITLE": "Сделка", "STAGE_ID": "WON"},
            source_fields={"STAGE_ID": B_STAGE})
    assert to_jira(spec, None, c) == "Сделка (Сделка успешна)"


def test_constant_is_typed_for_the_target() -> None:
    assert to_bitrix24(ConstantTransform(value=True), None, ctx(None, B_FLAG)) == "Y"
    assert to_bitrix24(ConstantTransform(value="Евро"), None, ctx(None, B_CURRENCY)) == "EUR"
    assert to_jira(ConstantTransform(value="USD"), None, ctx(J_CURRENCY, None)) == {"value": "USD"}
    with pytest.raises(TransformError, match="not an option"):
        to_bitrix24(ConstantTransform(value="GBP"), None, ctx(None, B_CURRENCY))


# ------------------------------------------------------------------------------- related entities

class Links:
    def jira_for_bitrix24(self, profile: str, bitrix24_id: str, attribute: str) -> str | None:
        assert profile == "companies"
        return {"5": {"key": "CRM-1", "summary": "АО «Северная сталь»"}}.get(bitrix24_id, {}).get(attribute)

    def bitrix24_for_jira(self, profile: str, jira_value: str, attribute: str) -> str | None:
        table = {"key": {"CRM-1": "5"}, "summary": {"АО «Северная сталь»": "5"}}
        return table[attribute].get(jira_value)


def test_related_entity_through_links() -> None:
    spec = RelatedEntityTransform(profile="companies", jira_attribute="summary")
    c = ctx(J_TEXT, B_COMPANY, links=Links())
    assert to_bitrix24(spec, "АО «Северная сталь»", c) == "5"
    assert to_jira(spec, "CO_5", c) == "АО «Северная сталь»"
    assert to_jira(RelatedEntityTransform(profile="companies"), "5", c) == "CRM-1"
    with pytest.raises(UnresolvedReference, match="not linked"):
        to_bitrix24(spec, "ООО «Неизвестная»", c)


# ---------------------------------------------------------------------------------------- compare

@pytest.mark.parametrize(("a", "b", "meta"), [
    ("1000.00", 1000.0, J_AMOUNT),
    ("1000.00", 1000, B_OPPORTUNITY),
    ("Y", True, B_FLAG),
    ({"value": "USD", "id": "10201"}, {"value": "USD"}, J_CURRENCY),
    ({"name": "Выполнен"}, {"name": "Выполнен", "id": "10005"}, J_STATUS),
    ("2024-01-29T02:42:10.538+0300", "2024-01-28T23:42:10+00:00", J_DT),
    ("2024-09-09T00:00:00+03:00", "2024-09-09", B_CLOSEDATE),
    ("", None, J_TEXT),
    ([], None, B_CHANNELS),
    (["71", "72"], ["72", "71"], B_CHANNELS),
    ("CO_5", "5", B_COMPANY),
    ("  two  words ", "two words", B_TEXT),
    ([{"VALUE": "a@b.ru", "VALUE_TYPE": "WORK"}], "a@b.ru", B_EMAIL),
    ("1500.50|USD", "1500.5|USD", B_UF_MONEY),
])
def test_normalise_makes_equal_values_equal(a: object, b: object, meta: FieldMeta) -> None:
    assert normalise_for_compare(a, meta) == normalise_for_compare(b, meta)


@pytest.mark.parametrize(("a", "b", "meta"), [
    ("1000.00", 1000.01, J_AMOUNT),
    ("Y", False, B_FLAG),
    ({"value": "USD"}, {"value": "EUR"}, J_CURRENCY),
    ("2024-01-29T02:42:10.538+0300", "2024-01-29T02:42:10+00:00", J_DT),
    ("1500.50|USD", "1500.50|RUB", B_UF_MONEY),
])
def test_normalise_keeps_different_values_different(a: object, b: object, meta: FieldMeta) -> None:
    assert normalise_for_compare(a, meta) != normalise_for_compare(b, meta)


def test_normalise_without_meta() -> None:
    assert normalise_for_compare("1000.00", None) == normalise_for_compare(1000, None)
    assert normalise_for_compare("abc ", None) == "abc"


# ------------------------------------------------------------------------------------- suggestion

def test_normalise_label() -> None:
    assert normalise_label("  Счёт  выставлен!") == normalise_label("счет выставлен")


def test_suggest_value_map_by_label() -> None:
    jira = FieldMeta("customfield_10130", "Тип", FieldType.ENUM, options=(
        Option("1", "Клиент"), Option("2", "Партнёр"), Option("3", "Системный интегратор"), Option("4", "Прочее")))
    b24 = FieldMeta("COMPANY_TYPE", "Тип компании", FieldType.ENUM, options=(
        Option("CUSTOMER", "клиент"), Option("PARTNER", "Партнер"), Option("INTEGRATOR", "Системный интегратр"),
        Option("COMPETITOR", "Конкурент")))
    pairs = suggest_value_map(jira, b24)
    assert [(p.jira, p.bitrix24) for p in pairs] == [
        ("Клиент", "CUSTOMER"), ("Партнёр", "PARTNER"), ("Системный интегратор", "INTEGRATOR")]


def test_suggested_stage_map_finds_the_shared_names() -> None:
    pairs = {(p.jira, p.bitrix24) for p in suggest_value_map(J_STATUS, B_STAGE)}
    assert ("Квалификация", "PREPARATION") in pairs
    assert ("Закупка согласована", "EXECUTING") in pairs
    assert len({b for _, b in pairs}) == len(pairs)


def test_suggestion_is_one_to_one() -> None:
    jira = FieldMeta("f", "F", FieldType.ENUM, options=(Option("1", "Alpha"), Option("2", "alpha!")))
    b24 = FieldMeta("g", "G", FieldType.ENUM, options=(Option("A", "ALPHA"),))
    assert [(p.jira, p.bitrix24) for p in suggest_value_map(jira, b24)] == [("Alpha", "A")]
