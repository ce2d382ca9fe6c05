"""Transforms, case by case: every type of target field, both directions, and the errors people read.

Each case says what a value becomes on the other system. The errors are what the monitor shows for a
record that could not be synced, so their wording (naming the field and the value) is asserted too.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest
from test_mapping_transforms import (
    B_CHANNELS,
    B_CLOSEDATE,
    B_COMPANY,
    B_CURRENCY,
    B_DT,
    B_FLAG,
    B_OPPORTUNITY,
    B_STAGE,
    B_TEXT,
    B_UF_MONEY,
    B_USER,
    EKB,
    J_AMOUNT,
    J_CURRENCY,
    J_DATE,
    J_DT,
    J_FLAG,
    J_LABELS,
    J_STATUS,
    J_TEXT,
    J_USER,
    MSK,
    STAGE_MAP,
    Directory,
    Links,
    ctx,
)

from sync_engine.fieldtypes import FieldMeta, FieldType, Option
from sync_engine.mapping.transforms import (
    TransformContext,
    TransformError,
    UnresolvedReference,
    normalise_for_compare,
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

COPY = CopyTransform()
B_INT = FieldMeta("UF_CRM_SEATS", "Мест", FieldType.NUMBER, system_type="integer")
B_DOUBLE = FieldMeta("UF_CRM_RATE", "Ставка", FieldType.NUMBER, system_type="double")
J_INT = FieldMeta("customfield_10170", "Мест", FieldType.NUMBER, system_type="int")
B_CRM = FieldMeta("UF_CRM_CLIENT", "Клиент", FieldType.REFERENCE, system_type="crm", reference="crm")
J_REF = FieldMeta("customfield_10180", "Компания", FieldType.REFERENCE, system_type="issuelink")
J_PROJECT = FieldMeta("project", "Проект", FieldType.REFERENCE, system_type="project")


# -------------------------------------------------------------------------------------- copy, by type


def test_a_field_of_unknown_shape_is_copied_as_is() -> None:
    raw = {"anything": [1, 2]}
    assert to_bitrix24(COPY, raw, ctx(None, None)) == raw
    assert to_jira(COPY, raw, ctx(None, FieldMeta("X", "X", FieldType.UNKNOWN))) == raw


@pytest.mark.parametrize(("meta", "value", "expected"), [
    (B_INT, 5.0, 5), (B_INT, "7", 7), (B_INT, 5.5, 5.5), (J_INT, "12.00", 12), (B_DOUBLE, 5.0, 5.0),
])
def test_numbers_are_written_as_the_target_counts(meta: FieldMeta, value: Any, expected: Any) -> None:
    # An integer field takes 5, not 5.0 (Bitrix24 refuses "5.0" for an integer user field).
    c = TransformContext(jira_meta=meta, bitrix24_meta=meta)
    for out in (to_bitrix24(COPY, value, c), to_jira(COPY, value, c)):
        assert out == expected and type(out) is type(expected)


def test_a_money_field_refuses_a_plain_copy_naming_itself() -> None:
    with pytest.raises(TransformError) as err:
        to_bitrix24(COPY, 100.0, ctx(J_AMOUNT, B_UF_MONEY))
    assert str(err.value) == "UF_CRM_BUDGET (Бюджет) holds money with a currency: use a money transform"


@pytest.mark.parametrize(("value", "jira_tz", "expected"), [
    ("2024-01-29T23:30:00", MSK, "2024-01-30T00:00:00+05:00"),  # 23:30 in Moscow is the 30th in Yekaterinburg
    ("2024-01-29T23:30:00", EKB, "2024-01-29T00:00:00+05:00"),
])
def test_a_local_time_copied_into_a_date_is_the_day_where_the_target_is(value: str, jira_tz: Any,
                                                                       expected: str) -> None:
    assert to_bitrix24(COPY, value, ctx(J_DT, B_CLOSEDATE, jira_tz=jira_tz, bitrix24_tz=EKB)) == expected


def test_a_bitrix24_local_time_copied_into_a_jira_date_is_the_jira_day() -> None:
    j_dt_to_date = ctx(J_DATE, B_DT, jira_tz=MSK, bitrix24_tz=EKB)
    assert to_jira(COPY, "2024-01-30T01:30:00", j_dt_to_date) == "2024-01-29"  # 01:30 EKB is 23:30 MSK
    assert to_jira(COPY, "2024-01-30T03:30:00", j_dt_to_date) == "2024-01-30"


@pytest.mark.parametrize(("target", "value", "expected"), [
    ("bitrix24", "2024-01-29T02:42:10.538+0300", "2024-01-29T04:42:10+05:00"),
    ("bitrix24", "2024-01-29T02:42:10", "2024-01-29T04:42:10+05:00"),  # no offset: JIRA's zone
    ("jira", "2024-01-29T04:42:10+05:00", "2024-01-29T02:42:10.000+0300"),
    ("jira", "2024-01-29T04:42:10", "2024-01-29T02:42:10.000+0300"),  # no offset: the portal's zone
])
def test_copied_date_times_keep_the_instant_in_each_systems_zone(target: str, value: str, expected: str) -> None:
    c = ctx(J_DT, B_DT, jira_tz=MSK, bitrix24_tz=EKB)
    convert = to_bitrix24 if target == "bitrix24" else to_jira
    assert convert(COPY, value, c) == expected


def test_yes_and_no() -> None:
    c = ctx(J_FLAG, B_FLAG)
    assert [to_bitrix24(COPY, v, c) for v in (True, False, "true", "0")] == ["Y", "N", "Y", "N"]
    assert [to_jira(COPY, v, c) for v in ("Y", "N")] == [True, False]


def test_options_are_written_by_what_each_api_takes() -> None:
    # A Bitrix24 list takes the option id; JIRA takes the label as {"value": ...} (statuses by name).
    assert to_bitrix24(COPY, {"value": "Евро", "id": "x"}, ctx(J_TEXT, B_CURRENCY)) == "EUR"
    assert to_bitrix24(COPY, "Доллар США", ctx(J_TEXT, B_CURRENCY)) == "USD"
    assert to_jira(COPY, "Выполнен", ctx(J_STATUS, B_TEXT)) == {"name": "Выполнен"}
    assert to_jira(COPY, "10005", ctx(J_STATUS, B_TEXT)) == {"name": "Выполнен"}
    with pytest.raises(TransformError) as err:
        to_bitrix24(COPY, "Фунт", ctx(J_TEXT, B_CURRENCY))
    assert str(err.value) == ("'Фунт' is not an option of CURRENCY_ID (Валюта) "
                              "(options: Российский рубль, Доллар США, Евро)")


def test_an_option_list_is_named_in_full_up_to_ten_options() -> None:
    many = FieldMeta("UF_CRM_CITY", "Город", FieldType.ENUM, options=tuple(Option(str(i), f"Город {i}")
                                                                         for i in range(12)))
    with pytest.raises(TransformError) as err:
        to_bitrix24(COPY, "Тверь", ctx(J_TEXT, many))
    assert str(err.value).endswith("(options: " + ", ".join(f"Город {i}" for i in range(10)) + ")")


def test_several_options_are_written_each_by_its_systems_form() -> None:
    assert to_bitrix24(ConstantTransform(value=["Выставка", "Вебинар"]), None, ctx(None, B_CHANNELS)) == ["71", "72"]
    assert to_bitrix24(ConstantTransform(value="Вебинар"), None, ctx(None, B_CHANNELS)) == ["72"]
    assert to_jira(ConstantTransform(value=["Выставка", "3"]), None, ctx(J_LABELS, None)) == [
        {"value": "Выставка"}, {"value": "Партнёр"}]
    # options read from the other system are written by their label there
    assert to_bitrix24(COPY, [{"value": "Вебинар", "id": "2"}], ctx(J_LABELS, B_CHANNELS)) == ["72"]
    assert to_jira(COPY, [71, 72], ctx(J_LABELS, B_CHANNELS)) == [{"value": "Выставка"}, {"value": "Вебинар"}]


def test_references_are_written_as_plain_crm_ids() -> None:
    assert to_bitrix24(COPY, "CO_5", ctx(J_REF, B_COMPANY)) == "5"
    assert to_bitrix24(COPY, {"key": "CRM-1"}, ctx(J_REF, B_COMPANY)) == {"key": "CRM-1"}
    assert to_jira(COPY, "CO_5", ctx(J_PROJECT, B_COMPANY)) == "CO_5"


# ------------------------------------------------------------------------------------------- dates


def test_the_date_transform_takes_zones_from_the_mapping_over_the_connections() -> None:
    spec = DateTransform(jira_tz="Asia/Yekaterinburg", bitrix24_tz="UTC")
    c = ctx(J_DT, B_DT, jira_tz=UTC, bitrix24_tz=MSK)
    assert to_bitrix24(spec, "2024-01-29T02:00:00", c) == "2024-01-28T21:00:00+00:00"
    assert to_jira(spec, "2024-01-28T21:00:00", c) == "2024-01-29T02:00:00.000+0500"


def test_a_day_written_into_a_date_time_is_its_midnight_in_the_source_zone() -> None:
    c = ctx(J_DATE, B_DT, jira_tz=MSK, bitrix24_tz=EKB)
    assert to_bitrix24(DateTransform(), "2024-01-29", c) == "2024-01-29T02:00:00+05:00"
    back = ctx(J_DT, B_CLOSEDATE, jira_tz=MSK, bitrix24_tz=EKB)
    # a Bitrix24 date reported as local midnight with offset: its calendar day, at midnight in Yekaterinburg
    assert to_jira(DateTransform(), "2024-01-29T00:00:00+05:00", back) == "2024-01-28T22:00:00.000+0300"


def test_without_field_metadata_a_date_stays_a_date_and_a_time_a_time() -> None:
    c = ctx(None, None, jira_tz=MSK, bitrix24_tz=EKB)
    assert to_bitrix24(DateTransform(), "2024-01-29", c) == "2024-01-29T00:00:00+05:00"
    assert to_jira(DateTransform(), "2024-01-29T04:42:10+05:00", c) == "2024-01-29T02:42:10.000+0300"
    assert to_jira(DateTransform(), "2024-01-29", c) == "2024-01-29"
    assert to_bitrix24(DateTransform(), None, c) is None


def test_a_time_written_into_a_date_is_the_targets_day() -> None:
    c = ctx(J_DATE, B_DT, jira_tz=MSK, bitrix24_tz=EKB)
    assert to_jira(DateTransform(), "2024-01-30T01:30:00", c) == "2024-01-29"


# ------------------------------------------------------------------------------------------ options


def test_a_value_map_pair_may_name_the_source_option_by_id() -> None:
    # The pair says "10005" (the status id); the issue reports the status by name only.
    spec = ValueMapTransform(pairs=[ValueMapPair(jira="10005", bitrix24="WON")])
    assert to_bitrix24(spec, {"name": "Выполнен"}, ctx(J_STATUS, B_STAGE)) == "WON"
    assert to_bitrix24(spec, "Выполнен", ctx(J_STATUS, B_STAGE)) == "WON"
    # ... and a pair naming the label matches the option given by id.
    by_label = ValueMapTransform(pairs=[ValueMapPair(jira="Выполнен", bitrix24="Сделка успешна")])
    assert to_bitrix24(by_label, {"id": "10005"}, ctx(J_STATUS, B_STAGE)) == "WON"
    assert to_jira(by_label, "Сделка успешна", ctx(J_STATUS, B_STAGE)) == {"name": "Выполнен"}


def test_a_value_map_default_is_written_in_the_targets_form() -> None:
    spec = ValueMapTransform(pairs=[ValueMapPair(jira="Отклонён", bitrix24="LOSE")], default_bitrix24="Евро",
                             default_jira="Открыт")
    assert to_bitrix24(spec, {"name": "Выполнен"}, ctx(J_STATUS, B_CURRENCY)) == "EUR"
    assert to_jira(spec, "WON", ctx(J_STATUS, B_STAGE)) == {"name": "Открыт"}
    blank = ValueMapTransform(pairs=[ValueMapPair(jira="a", bitrix24="b")], default_bitrix24="")
    assert to_bitrix24(blank, "x", ctx(J_TEXT, B_TEXT)) == ""


@pytest.mark.parametrize(("value", "shown"), [
    ({"name": "Выполнен", "id": "10005"}, "'Выполнен' (10005)"),
    ({"name": "Выполнен"}, "'Выполнен'"),
    ("10005", "'Выполнен' (10005)"),
    ("Нет такого", "'Нет такого'"),
])
def test_a_value_without_a_pair_is_named_by_label_and_id(value: Any, shown: str) -> None:
    spec = ValueMapTransform(pairs=[ValueMapPair(jira="Открыт", bitrix24="NEW")])
    with pytest.raises(TransformError) as err:
        to_bitrix24(spec, value, ctx(J_STATUS, B_STAGE))
    assert str(err.value) == (f"value {shown} of status (Статус) has no pair in the value map "
                              "to STAGE_ID (Стадия сделки)")


def test_several_values_map_each_and_appear_once() -> None:
    spec = MultiValueMapTransform(pairs=[ValueMapPair(jira="Выставка", bitrix24="71"),
                                         ValueMapPair(jira="Вебинар", bitrix24="71")])
    c = ctx(J_LABELS, B_CHANNELS)
    assert to_bitrix24(spec, [{"value": "Выставка"}, {"value": "Вебинар"}], c) == ["71"]
    assert to_bitrix24(spec, {"value": "Вебинар"}, c) == ["71"]


def test_stages_follow_the_map_by_either_name() -> None:
    assert to_bitrix24(STAGE_MAP, "Квалификация", ctx(J_STATUS, B_STAGE)) == "PREPARATION"


# -------------------------------------------------------------------------------------------- users


def test_users_are_joined_by_e_mail_whatever_form_they_come_in() -> None:
    c = ctx(J_USER, B_USER, users=Directory())
    spec = UserByEmailTransform()
    assert to_bitrix24(spec, {"accountId": "x", "emailAddress": "ivanov@vektorsoft.ru"}, c) == "7"
    assert to_bitrix24(spec, "ivanov", c) == "7"  # a bare user name: its e-mail comes from the directory
    assert to_jira(spec, {"ID": "7", "NAME": "Иван"}, c) == {"name": "ivanov"}
    assert to_jira(spec, 7, c) == {"name": "ivanov"}
    assert to_bitrix24(spec, None, c) is None


@pytest.mark.parametrize(("target", "value", "message"), [
    ("bitrix24", {"name": "petrov"}, "JIRA user 'petrov' has no known e-mail"),
    ("bitrix24", {"name": "x", "emailAddress": "petrov@vektorsoft.ru"},
     "no Bitrix24 user has the e-mail petrov@vektorsoft.ru"),
    ("jira", "12", "Bitrix24 user 12 has no known e-mail"),
    ("jira", "9", "no JIRA user has the e-mail nobody@vektorsoft.ru"),
])
def test_an_unknown_person_is_named(target: str, value: Any, message: str) -> None:
    c = ctx(J_USER, B_USER, users=Directory())
    convert = to_bitrix24 if target == "bitrix24" else to_jira
    with pytest.raises(UnresolvedReference) as err:
        convert(UserByEmailTransform(), value, c)
    assert str(err.value) == message


def test_the_missing_user_directory_is_named() -> None:
    with pytest.raises(TransformError) as err:
        to_bitrix24(UserByEmailTransform(), "ivanov", ctx(J_USER, B_USER))
    assert str(err.value) == "user_by_email needs a user directory, and none was given"


# ----------------------------------------------------------------------------------- money, template


def test_money_takes_the_currency_from_the_mapping_or_a_field_shown_by_label() -> None:
    c = ctx(J_AMOUNT, B_UF_MONEY, source_record={"CURRENCY_ID": "USD"},
            source_fields={"CURRENCY_ID": FieldMeta("CURRENCY_ID", "Валюта", FieldType.ENUM,
                                                    options=(Option("USD", " eur "),))})
    assert to_bitrix24(MoneyTransform(currency_field="CURRENCY_ID"), 10, c) == "10.00|EUR"
    assert to_bitrix24(MoneyTransform(currency="RUB"), "10.5|USD", c) == "10.50|RUB"
    assert to_jira(MoneyTransform(currency="RUB"), "10.5|USD", ctx(J_AMOUNT, B_UF_MONEY)) == 10.5
    assert to_bitrix24(MoneyTransform(currency="RUB"), 10, ctx(J_AMOUNT, B_OPPORTUNITY)) == 10.0
    with pytest.raises(TransformError) as err:
        to_bitrix24(MoneyTransform(currency_field="CURRENCY_ID"), 1.0, ctx(J_AMOUNT, B_UF_MONEY))
    assert str(err.value) == "no currency for UF_CRM_BUDGET (Бюджет): CURRENCY_ID is empty"


def test_a_template_into_a_typed_field_is_converted_for_it() -> None:
    spec = TemplateTransform(template="{customfield_10101}")
    c = ctx(J_AMOUNT, B_INT, source_record={"customfield_10101": 12.0})
    assert to_bitrix24(spec, None, c) == 12
    flag = ctx(None, B_FLAG, source_record={"x": True})
    assert to_bitrix24(TemplateTransform(template="{x}"), None, flag) == "Y"
    text = ctx(J_TEXT, None, source_record={"TITLE": " A "})
    assert to_jira(TemplateTransform(template="{TITLE}"), None, text) == " A "


# ------------------------------------------------------------------------------------------- related


def test_related_records_by_key_or_title_and_into_a_multi_entity_crm_field() -> None:
    links = Links()
    by_key = RelatedEntityTransform(profile="companies")
    assert to_bitrix24(by_key, {"key": "CRM-1", "fields": {}}, ctx(J_REF, B_COMPANY, links=links)) == "5"
    assert to_bitrix24(by_key, "CRM-1", ctx(J_REF, B_COMPANY, links=links)) == "5"
    by_title = RelatedEntityTransform(profile="companies", jira_attribute="summary")
    assert to_bitrix24(by_title, {"value": "АО «Северная сталь»"}, ctx(J_TEXT, B_COMPANY, links=links)) == "5"

    class Prefixed(Links):
        def bitrix24_for_jira(self, profile: str, jira_value: str, attribute: str) -> str | None:
            return "CO_5" if jira_value == "CRM-1" else None

    assert to_bitrix24(by_key, "CRM-1", ctx(J_REF, B_CRM, links=Prefixed())) == "CO_5"
    assert to_bitrix24(by_key, "CRM-1", ctx(J_REF, B_COMPANY, links=Prefixed())) == "5"
    assert to_bitrix24(by_key, "CRM-1", ctx(J_REF, None, links=Prefixed())) == "5"
    assert to_jira(by_key, ["CO_5", "CO_6"], ctx(J_REF, B_CRM, links=links)) == "CRM-1"


@pytest.mark.parametrize(("target", "value", "message"), [
    ("bitrix24", "CRM-9", "'CRM-9' is not linked by profile 'companies' yet"),
    ("jira", "CO_9", "Bitrix24 record 9 is not linked by profile 'companies' yet"),
])
def test_a_related_record_not_linked_yet_is_named(target: str, value: str, message: str) -> None:
    convert = to_bitrix24 if target == "bitrix24" else to_jira
    with pytest.raises(UnresolvedReference) as err:
        convert(RelatedEntityTransform(profile="companies"), value, ctx(J_REF, B_COMPANY, links=Links()))
    assert str(err.value) == message
    with pytest.raises(TransformError) as err:
        convert(RelatedEntityTransform(profile="companies"), value, ctx(J_REF, B_COMPANY))
    assert str(err.value) == "related_entity needs the links of other profiles, and none were given"


# ------------------------------------------------------------------------------------------- compare


@pytest.mark.parametrize(("value", "meta", "expected"), [
    ("1000.1234567", J_AMOUNT, 1000.123457),
    ("1500.50|USD", B_UF_MONEY, (1500.5, "USD")),
    ("1500.50|USD", B_OPPORTUNITY, 1500.5),
    ("1500.50", B_UF_MONEY, 1500.5),
    ("2024-01-29T02:42:10.538", J_DT, "2024-01-28T23:42:10+00:00"),
    (["71", {"id": "72"}, None, ""], B_CHANNELS, frozenset({"71", "72"})),
    ("71", B_CHANNELS, frozenset({"71"})),
    ([None], B_CHANNELS, None),
    ({"accountId": "5b10", "name": "ivanov"}, J_USER, "5b10"),
    (7, B_USER, "7"),
    ({"key": "CRM-1", "id": "10"}, J_REF, "CRM-1"),
    ("CO_5", B_COMPANY, "5"),
    ("  Лицензии \n САПР ", J_TEXT, "Лицензии САПР"),
    ({"value": "Сделка"}, J_TEXT, "Сделка"),
    ("WON", FieldMeta("STAGE_TEXT", "Стадия", FieldType.TEXT, options=B_STAGE.options), "Сделка успешна"),
    ({"value": "нет такой", "id": "Z9"}, J_CURRENCY, "z9"),  # not an option: the same key every time
    ({"self": "https://jira/option/1"}, J_CURRENCY, ""),
    (3.1234567, None, 3.123457),
    (True, None, True),
    ("  two  words ", None, "two words"),
    ("-12,5", None, -12.5),
    ({"a": 1}, None, {"a": 1}),
    ("много", J_AMOUNT, "много"),
])
def test_normal_forms(value: Any, meta: FieldMeta | None, expected: Any) -> None:
    got = normalise_for_compare(value, meta, MSK)
    if isinstance(expected, str) and meta is J_DT:
        assert got.isoformat() == expected
    else:
        assert got == expected


def test_the_normal_form_of_a_time_is_to_the_second() -> None:
    assert normalise_for_compare("2024-01-29T02:42:10.999+0300", J_DT).microsecond == 0


# -------------------------------------------------------------------------------------------- suggest


def test_suggestions_prefer_the_closest_label_and_keep_the_jira_order() -> None:
    jira = FieldMeta("f", "F", FieldType.ENUM, options=(Option("1", "Оплачено частично"), Option("2", "Оплачено")))
    b24 = FieldMeta("g", "G", FieldType.ENUM, options=(Option("P", "Оплачен частично"), Option("F", "Оплачен")))
    assert [(p.jira, p.bitrix24) for p in suggest_value_map(jira, b24)] == [
        ("Оплачено частично", "P"), ("Оплачено", "F")]


def test_suggestion_threshold_is_inclusive_and_ties_go_by_label_then_id() -> None:
    jira = FieldMeta("f", "F", FieldType.ENUM, options=(Option("1", "abcd"),))
    b24 = FieldMeta("g", "G", FieldType.ENUM, options=(Option("Z", "abcx"), Option("A", "abcy")))
    # both are 0.75 alike: the threshold admits them, and the lower id wins the tie
    assert [(p.jira, p.bitrix24) for p in suggest_value_map(jira, b24, threshold=0.75)] == [("abcd", "A")]
    assert suggest_value_map(jira, b24, threshold=0.76) == []


def test_each_bitrix24_option_is_suggested_once_even_among_close_labels() -> None:
    jira = FieldMeta("f", "F", FieldType.ENUM, options=(Option("1", "Партнёры"), Option("2", "Партнёр"),
                                                         Option("3", "Клиенты")))
    b24 = FieldMeta("g", "G", FieldType.ENUM, options=(Option("P", "Партнер!"), Option("C", "Клиент")))
    assert [(p.jira, p.bitrix24) for p in suggest_value_map(jira, b24)] == [("Партнёр", "P"), ("Клиенты", "C")]
