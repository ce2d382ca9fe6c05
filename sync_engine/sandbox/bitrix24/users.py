"""The portal's employees: one JSON record per user, with the profile fields ``user.get`` returns.

Users are few (a company of thousands at most), so they live as JSON and are filtered in Python;
what matters is that every method reads and writes the same record shape. Keys starting with ``_``
are the twin's own bookkeeping (the photo's stored bytes) and never leave it.
"""

from __future__ import annotations

import json
from typing import Any

from sync_engine.sandbox.bitrix24.portal import Portal

# user.fields: the standard profile fields and their titles, as the portal lists them.
USER_FIELDS: dict[str, str] = {
    "ID": "ID", "XML_ID": "External code", "ACTIVE": "Activity", "NAME": "First Name",
    "LAST_NAME": "Last Name", "SECOND_NAME": "Middle Name", "TITLE": "User List", "EMAIL": "E-Mail",
    "LAST_LOGIN": "Last Authorization", "DATE_REGISTER": "Registration Date", "TIME_ZONE": "TIME_ZONE",
    "IS_ONLINE": "IS_ONLINE", "TIMESTAMP_X": "TIMESTAMP_X", "LAST_ACTIVITY_DATE": "LAST_ACTIVITY_DATE",
    "PERSONAL_GENDER": "Gender", "PERSONAL_PROFESSION": "Profession", "PERSONAL_WWW": "Homepage",
    "PERSONAL_BIRTHDAY": "Date of Birth", "PERSONAL_PHOTO": "Photo", "PERSONAL_ICQ": "ICQ",
    "PERSONAL_PHONE": "Personal Phone", "PERSONAL_FAX": "Fax", "PERSONAL_MOBILE": "Personal Mobile",
    "PERSONAL_PAGER": "Pager", "PERSONAL_STREET": "Residential Street", "PERSONAL_CITY": "Residential City",
    "PERSONAL_STATE": "State / Region", "PERSONAL_ZIP": "Zip Code", "PERSONAL_COUNTRY": "Country",
    "PERSONAL_MAILBOX": "P.O. Box", "PERSONAL_NOTES": "Additional Notes", "WORK_PHONE": "Company Phone",
    "WORK_COMPANY": "Company", "WORK_POSITION": "Job Title", "WORK_DEPARTMENT": "Department",
    "WORK_WWW": "Company Website", "WORK_FAX": "WORK_FAX", "WORK_PAGER": "WORK_PAGER",
    "WORK_STREET": "WORK_STREET", "WORK_MAILBOX": "WORK_MAILBOX", "WORK_CITY": "Work City",
    "WORK_STATE": "WORK_STATE", "WORK_ZIP": "WORK_ZIP", "WORK_COUNTRY": "WORK_COUNTRY",
    "WORK_PROFILE": "WORK_PROFILE", "WORK_LOGO": "WORK_LOGO", "WORK_NOTES": "WORK_NOTES",
    "UF_SKYPE_LINK": "Skype Chat Link", "UF_ZOOM": "Zoom", "UF_EMPLOYMENT_DATE": "Hire Date",
    "UF_TIMEMAN": "Time Tracking", "UF_DEPARTMENT": "Units", "UF_INTERESTS": "Interests",
    "UF_SKILLS": "Skills", "UF_WEB_SITES": "Other Websites", "UF_XING": "Xing", "UF_LINKEDIN": "LinkedIn",
    "UF_TWITTER": "Twitter", "UF_SKYPE": "Skype", "UF_DISTRICT": "District", "UF_PHONE_INNER": "Extension",
    "USER_TYPE": "USER_TYPE",
}
# Fields a client may write through user.add / user.update (the rest are the portal's own).
WRITABLE = frozenset(set(USER_FIELDS) - {"ID", "LAST_LOGIN", "DATE_REGISTER", "IS_ONLINE", "TIMESTAMP_X",
                                         "LAST_ACTIVITY_DATE", "USER_TYPE", "TITLE", "UF_TIMEMAN"})
DATE_FIELDS = frozenset({"LAST_LOGIN", "DATE_REGISTER", "PERSONAL_BIRTHDAY", "UF_EMPLOYMENT_DATE",
                         "TIMESTAMP_X", "LAST_ACTIVITY_DATE"})
# Never shown in user.get (PHP DateTime objects the portal serialises as empty objects).
HIDDEN = frozenset({"TIMESTAMP_X", "LAST_ACTIVITY_DATE", "TITLE", "UF_TIMEMAN", "WORK_LOGO"})


def blank_user(user_id: int) -> dict[str, Any]:
    """Every standard field present, as a fresh profile has them."""
    user: dict[str, Any] = {name: "" for name in USER_FIELDS if name not in HIDDEN}
    user.update({"ID": str(user_id), "ACTIVE": True, "IS_ONLINE": "N", "UF_DEPARTMENT": [],
                 "USER_TYPE": "employee", "TIME_ZONE": "", "PERSONAL_PHOTO": None,
                 "UF_INTERESTS": None, "UF_SKILLS": None, "UF_WEB_SITES": None})
    return user


def all_users(portal: Portal) -> list[dict[str, Any]]:
    rows = portal.conn.execute("SELECT DATA FROM users ORDER BY ID").fetchall()
    return [dict(json.loads(r[0])) for r in rows]


def get_user(portal: Portal, user_id: Any) -> dict[str, Any] | None:
    try:
        number = int(str(user_id).strip())
    except (TypeError, ValueError):
        return None
    row = portal.conn.execute("SELECT DATA FROM users WHERE ID = ?", (number,)).fetchone()
    return None if row is None else dict(json.loads(row[0]))


def save_user(portal: Portal, user: dict[str, Any]) -> None:
    portal.conn.execute("INSERT OR REPLACE INTO users (ID, DATA) VALUES (?, ?)",
                        (int(user["ID"]), json.dumps(user, ensure_ascii=False)))


def user_exists(portal: Portal, user_id: Any) -> bool:
    return get_user(portal, user_id) is not None


def display_name(user: dict[str, Any]) -> str:
    name = " ".join(str(user.get(k) or "") for k in ("NAME", "LAST_NAME")).strip()
    return name or str(user.get("EMAIL") or user.get("ID"))


def next_user_id(portal: Portal) -> int:
    row = portal.conn.execute("SELECT COALESCE(MAX(ID), 0) FROM users").fetchone()
    return max(int(row[0]), int(portal.meta("seq:user") or 0)) + 1


def department_ids(portal: Portal) -> set[int]:
    return {int(r[0]) for r in portal.conn.execute("SELECT ID FROM departments").fetchall()}
