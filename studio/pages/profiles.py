"""Profiles page: the visual mapping constructor plus scope, matching, policies, triggers and runs."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.changes import Change
from studio.context import StudioContext
from studio.pages.base import Page
from sync_engine.profiles.schema import Profile
from sync_engine.profiles.yaml_io import ProfileFileErrors, dump_profiles, load_profiles
from sync_engine.views.plan import RunOutcome
from sync_engine.views.runs import ScopeSample, ScopeSide
from widgets.mapping import MappingConstructor

ENTITIES = ("deal", "contact", "company", "product", "item")
CREATE_IN = ("both", "jira", "bitrix24", "none")
MODES = ("match_then_create", "create_only", "match_only")
CONFLICT = ("newest_wins", "prefer_jira", "prefer_bitrix24", "manual")
DELETION = ("ignore", "mirror", "mark")
NORMALISE = ("exact", "casefold", "digits")


def _combo(values: tuple[str, ...], labels: dict[str, str] | None = None) -> QComboBox:
    box = QComboBox()
    for v in values:
        box.addItem((labels or {}).get(v, v), v)
    return box


def _set(box: QComboBox, value: str) -> None:
    index = box.findData(value)
    box.setCurrentIndex(max(0, index))


class TriggerDialog(QDialog):
    """Add a trigger: on an event (with an optional condition) or on a schedule."""

    def __init__(self, kind: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setWindowTitle(self.tr("Run on an event") if kind == "event" else self.tr("Run on a schedule"))
        form = QFormLayout(self)
        if kind == "event":
            self.system = _combo(("bitrix24", "jira"), {"bitrix24": "Bitrix24", "jira": "JIRA"})
            self.event_box = _combo(("stage_changed", "created", "updated", "created_or_updated", "deleted"), {
                "stage_changed": self.tr("stage / status changed"), "created": self.tr("created"),
                "updated": self.tr("updated"), "created_or_updated": self.tr("created or updated"),
                "deleted": self.tr("deleted")})
            self.field = QLineEdit()
            self.field.setPlaceholderText("STAGE_ID")
            self.op = _combo(("eq", "changed_to", "ne", "in", "changed", "not_empty"))
            self.value = QLineEdit()
            self.value.setPlaceholderText("EXECUTING")
            form.addRow(self.tr("System"), self.system)
            form.addRow(self.tr("Event"), self.event_box)
            form.addRow(self.tr("Condition field (optional)"), self.field)
            form.addRow(self.tr("Operator"), self.op)
            form.addRow(self.tr("Value"), self.value)
        else:
            self.interval = QSpinBox()
            self.interval.setRange(0, 7 * 24 * 60)
            self.interval.setValue(15)
            self.interval.setSuffix(self.tr(" min"))
            self.cron = QLineEdit()
            self.cron.setPlaceholderText("*/15 8-20 * * 1-5")
            form.addRow(self.tr("Every"), self.interval)
            form.addRow(self.tr("or cron (overrides)"), self.cron)
        self.error = QLabel()
        self.error.setStyleSheet("color:#c0392b")
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.trigger: dict[str, Any] = {}

    def _accept(self) -> None:
        from sync_engine.profiles.schema import EventTrigger, ScheduleTrigger

        trigger: EventTrigger | ScheduleTrigger
        try:
            if self.kind == "event":
                conditions = []
                if self.field.text().strip():
                    raw = self.value.text().strip()
                    value: Any = [v.strip() for v in raw.split(",")] if self.op.currentData() == "in" else (
                        raw or None)
                    conditions.append({"field": self.field.text().strip(), "op": self.op.currentData(),
                                       "value": value})
                trigger = EventTrigger(system=self.system.currentData(), event=self.event_box.currentData(),
                                       conditions=conditions)
            elif self.cron.text().strip():
                trigger = ScheduleTrigger(cron=self.cron.text().strip())
            else:
                trigger = ScheduleTrigger(interval_seconds=self.interval.value() * 60)
        except ValidationError as exc:
            self.error.setText("; ".join(e["msg"] for e in exc.errors()))
            return
        self.trigger = trigger.model_dump(mode="json")
        self.accept()


def describe_trigger(t: dict[str, Any], tr: Any) -> tuple[str, str]:
    if t["type"] == "manual":
        return tr("Manual"), tr("Run / Dry run buttons and b24sync run")
    if t["type"] == "schedule":
        detail = f"cron {t['cron']} ({t.get('timezone', 'UTC')})" if t.get("cron") else \
            tr("every {} min").format(int(t["interval_seconds"]) // 60 or 1)
        return tr("Schedule"), detail
    from PySide6.QtCore import QCoreApplication

    events = {"stage_changed": "stage / status changed", "created": "created", "updated": "updated",
              "created_or_updated": "created or updated", "deleted": "deleted"}
    event = QCoreApplication.translate("TriggerDialog", events.get(t["event"], t["event"]))
    cond = "; ".join(f"{c['field']} {c['op']} {c.get('value', '')}".strip() for c in t.get("conditions", []))
    system = "Bitrix24" if t["system"] == "bitrix24" else "JIRA"
    return tr("Event"), f"{system}: {event}" + (f" — {cond}" if cond else "")


class ProfilesPage(Page):
    watches = Change.PROFILES | Change.CONNECTIONS

    def __init__(self, ctx: StudioContext) -> None:
        super().__init__(ctx)
        self.profiles: list[Profile] = []
        self.current: Profile | None = None
        self.triggers: list[dict[str, Any]] = []
        self._form_dirty = False
        self._loading = False
        outer = QHBoxLayout(self)
        splitter = QSplitter()
        outer.addWidget(splitter)

        left = QWidget()
        lv = QVBoxLayout(left)
        title = QLabel(self.tr("Profiles"))
        title.setProperty("class", "pageTitle")
        lv.addWidget(title)
        self.list = QListWidget()
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setWordWrap(True)
        lv.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.new_button = QPushButton(self.tr("New…"))
        self.delete_button = QPushButton(self.tr("Delete"))
        row.addWidget(self.new_button)
        row.addWidget(self.delete_button)
        lv.addLayout(row)
        row2 = QHBoxLayout()
        self.import_button = QPushButton(self.tr("Import YAML…"))
        self.export_button = QPushButton(self.tr("Export YAML…"))
        row2.addWidget(self.import_button)
        row2.addWidget(self.export_button)
        lv.addLayout(row2)
        splitter.addWidget(left)

        right = QWidget()
        rv = QVBoxLayout(right)
        header = QHBoxLayout()
        self.heading = QLabel(self.tr("Select a profile on the left, or create one."))
        self.heading.setProperty("class", "pageTitle")
        header.addWidget(self.heading, 1)
        self.save_button = QPushButton(self.tr("Save"))
        self.revert_button = QPushButton(self.tr("Revert"))
        self.dry_button = QPushButton(self.tr("Dry run"))
        self.run_button = QPushButton(self.tr("Run"))
        for b in (self.save_button, self.revert_button, self.dry_button, self.run_button):
            header.addWidget(b)
        rv.addLayout(header)
        self.tabs = QTabWidget()
        self.constructor = MappingConstructor()
        self.tabs.addTab(self.constructor, self.tr("Field mapping"))
        self.tabs.addTab(self._rules_tab(), self.tr("Scope and rules"))
        self.tabs.addTab(self._triggers_tab(), self.tr("Triggers"))
        self.tabs.addTab(self._run_tab(), self.tr("Plan and run"))
        rv.addWidget(self.tabs, 1)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([250, 1100])

        self.list.currentRowChanged.connect(self._select)
        self.new_button.clicked.connect(self._new)
        self.delete_button.clicked.connect(self._delete)
        self.import_button.clicked.connect(self._import)
        self.export_button.clicked.connect(self._export)
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(lambda: self.current and self._load(self.current))
        self.dry_button.clicked.connect(lambda: self.run(dry_run=True))
        self.run_button.clicked.connect(lambda: self.run(dry_run=False))
        self.constructor.changed.connect(self._update_buttons)
        self._update_buttons()

    # -- tabs -------------------------------------------------------------------------------------
    def _rules_tab(self) -> QWidget:
        tab = QWidget()
        grid = QHBoxLayout(tab)
        left = QVBoxLayout()
        jira = QGroupBox("JIRA")
        jf = QFormLayout(jira)
        self.title = QLineEdit()
        self.enabled = QCheckBox(self.tr("enabled"))
        self.jira_conn = QLineEdit("default")
        self.projects = QLineEdit()
        self.projects.setPlaceholderText("PROC, SALES")
        self.issue_types = QLineEdit()
        self.issue_types.setPlaceholderText("Purchase request")
        self.jql = QLineEdit()
        self.jql.setPlaceholderText('labels = sync AND status != "Отклонён"')
        jf.addRow(self.tr("Connection"), self.jira_conn)
        jf.addRow(self.tr("Projects"), self.projects)
        jf.addRow(self.tr("Issue types"), self.issue_types)
        jf.addRow(self.tr("Extra JQL"), self.jql)
        b24 = QGroupBox("Bitrix24")
        bf = QFormLayout(b24)
        self.b24_conn = QLineEdit("default")
        self.entity = _combo(ENTITIES)
        self.entity_type = QSpinBox()
        self.entity_type.setRange(0, 100000)
        self.entity_type.setSpecialValueText(self.tr("—"))
        self.category = QSpinBox()
        self.category.setRange(-1, 10000)
        self.category.setSpecialValueText(self.tr("all pipelines"))
        self.filter = QLineEdit()
        self.filter.setPlaceholderText('{"=TYPE_ID": "SALE"}')
        bf.addRow(self.tr("Connection"), self.b24_conn)
        bf.addRow(self.tr("Entity"), self.entity)
        bf.addRow(self.tr("Smart process type id"), self.entity_type)
        bf.addRow(self.tr("Pipeline"), self.category)
        bf.addRow(self.tr("Filter (JSON)"), self.filter)
        general = QGroupBox(self.tr("Profile"))
        gf = QFormLayout(general)
        gf.addRow(self.tr("Title"), self.title)
        gf.addRow("", self.enabled)
        left.addWidget(general)
        left.addWidget(jira)
        left.addWidget(b24)
        scope_row = QHBoxLayout()
        self.test_scope_button = QPushButton(self.tr("Test scope"))
        self.scope_result = QLabel(self.tr("“Test scope” counts the records each side's scope holds."))
        self.scope_result.setWordWrap(True)
        self.scope_result.setProperty("class", "hint")
        scope_row.addWidget(self.test_scope_button)
        scope_row.addWidget(self.scope_result, 1)
        left.addLayout(scope_row)
        left.addStretch(1)
        right = QVBoxLayout()
        rules = QGroupBox(self.tr("Creating, matching and conflicts"))
        rf = QFormLayout(rules)
        self.create_in = _combo(CREATE_IN, {"both": self.tr("both ways"), "jira": self.tr("only in JIRA"),
                                            "bitrix24": self.tr("only in Bitrix24"), "none": self.tr("never")})
        self.mode = _combo(MODES, {"match_then_create": self.tr("match, then create"),
                                   "create_only": self.tr("create only"), "match_only": self.tr("match only")})
        self.conflict = _combo(CONFLICT, {"newest_wins": self.tr("newest edit wins"),
                                          "prefer_jira": self.tr("prefer JIRA"),
                                          "prefer_bitrix24": self.tr("prefer Bitrix24"),
                                          "manual": self.tr("hold for manual resolution")})
        self.deletion = _combo(DELETION, {"ignore": self.tr("ignore"), "mirror": self.tr("delete on the other side"),
                                          "mark": self.tr("mark on the other side")})
        rf.addRow(self.tr("Create missing records"), self.create_in)
        rf.addRow(self.tr("Matching"), self.mode)
        rf.addRow(self.tr("When both sides changed"), self.conflict)
        rf.addRow(self.tr("When a record is deleted"), self.deletion)
        right.addWidget(rules)
        match = QGroupBox(self.tr("Match rules (tried in order after existing links)"))
        mv = QVBoxLayout(match)
        self.match_table = QTableWidget(0, 3)
        self.match_table.setHorizontalHeaderLabels([self.tr("JIRA field"), self.tr("Bitrix24 field"),
                                                    self.tr("Compare")])
        self.match_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.match_table.verticalHeader().hide()
        mv.addWidget(self.match_table)
        mrow = QHBoxLayout()
        add_rule = QPushButton(self.tr("Add rule"))
        del_rule = QPushButton(self.tr("Remove rule"))
        mrow.addWidget(add_rule)
        mrow.addWidget(del_rule)
        mrow.addStretch(1)
        mv.addLayout(mrow)
        right.addWidget(match, 1)
        add_rule.clicked.connect(lambda: self._add_match_row("", "", "exact"))
        del_rule.clicked.connect(lambda: self.match_table.removeRow(self.match_table.currentRow()))
        grid.addLayout(left, 1)
        grid.addLayout(right, 1)
        for w in (self.title, self.jira_conn, self.projects, self.issue_types, self.jql, self.b24_conn, self.filter):
            w.textChanged.connect(self._touched)
        for c in (self.entity, self.create_in, self.mode, self.conflict, self.deletion):
            c.currentIndexChanged.connect(self._touched)
        for s in (self.entity_type, self.category):
            s.valueChanged.connect(self._touched)
        self.enabled.toggled.connect(self._touched)
        self.match_table.itemChanged.connect(self._touched)
        self.test_scope_button.clicked.connect(self._test_scope)
        return tab

    def _add_match_row(self, jira: str, b24: str, normalise: str) -> None:
        row = self.match_table.rowCount()
        self.match_table.insertRow(row)
        self.match_table.setItem(row, 0, QTableWidgetItem(jira))
        self.match_table.setItem(row, 1, QTableWidgetItem(b24))
        box = _combo(NORMALISE, {"exact": self.tr("exactly"), "casefold": self.tr("ignoring case"),
                                 "digits": self.tr("digits only")})
        _set(box, normalise)
        box.currentIndexChanged.connect(self._touched)
        self.match_table.setCellWidget(row, 2, box)
        self._touched()

    def _triggers_tab(self) -> QWidget:
        tab = QWidget()
        v = QVBoxLayout(tab)
        hint = QLabel(self.tr("When this profile runs: on events from either system (e.g. a deal moved to a stage, "
                              "a contact added), on a schedule, or by hand."))
        hint.setWordWrap(True)
        hint.setProperty("class", "hint")
        v.addWidget(hint)
        self.trigger_table = QTableWidget(0, 2)
        self.trigger_table.setHorizontalHeaderLabels([self.tr("Trigger"), self.tr("Details")])
        self.trigger_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.trigger_table.verticalHeader().hide()
        self.trigger_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.trigger_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        v.addWidget(self.trigger_table, 1)
        row = QHBoxLayout()
        on_event = QPushButton(self.tr("On event…"))
        on_schedule = QPushButton(self.tr("On schedule…"))
        manual = QPushButton(self.tr("Manual"))
        remove = QPushButton(self.tr("Remove"))
        for b in (on_event, on_schedule, manual, remove):
            row.addWidget(b)
        row.addStretch(1)
        v.addLayout(row)
        on_event.clicked.connect(lambda: self._add_trigger("event"))
        on_schedule.clicked.connect(lambda: self._add_trigger("schedule"))
        manual.clicked.connect(lambda: self._append_trigger({"type": "manual"}))
        remove.clicked.connect(self._remove_trigger)
        return tab

    def _run_tab(self) -> QWidget:
        tab = QWidget()
        v = QVBoxLayout(tab)
        self.run_summary = QLabel(self.tr("“Dry run” shows what a run would create and change, writing nothing. "
                                          "“Run” syncs now."))
        self.run_summary.setWordWrap(True)
        v.addWidget(self.run_summary)
        self.plan_view = QPlainTextEdit()
        self.plan_view.setReadOnly(True)
        self.plan_view.setPlaceholderText(self.tr("The plan appears here."))
        v.addWidget(self.plan_view, 1)
        return tab

    # -- list -------------------------------------------------------------------------------------
    def refresh(self, select: str | None = None) -> None:
        def show(profiles: list[Profile]) -> None:
            self.profiles = profiles
            self.list.blockSignals(True)
            self.list.clear()
            for p in profiles:
                self.list.addItem(p.title)
                self.list.item(self.list.count() - 1).setToolTip(f"{p.name}: {p.description or p.title}")
            self.list.blockSignals(False)
            names = [p.name for p in profiles]
            wanted = select or (self.current.name if self.current else None)
            row = names.index(wanted) if wanted in names else (0 if names else -1)
            if row >= 0:
                self.list.setCurrentRow(row)
                if self.current is None or self.current.name != names[row]:
                    self._select(row)
            self._update_buttons()

        self.op(lambda _: self.backend.profiles.all(), label=self.tr("Loading profiles"), on_done=show)

    def _select(self, row: int) -> None:
        if row < 0 or row >= len(self.profiles):
            return
        if self.current is not None and self.profiles[row].name != self.current.name and not self._confirm():
            names = [p.name for p in self.profiles]
            self.list.blockSignals(True)
            self.list.setCurrentRow(names.index(self.current.name) if self.current.name in names else -1)
            self.list.blockSignals(False)
            return
        self._load(self.profiles[row])

    def _confirm(self) -> bool:
        return self.ctx.window.confirm_discard()

    def _load(self, profile: Profile) -> None:
        self.current = profile
        self._loading = True
        self.heading.setText(profile.title)
        self.title.setText(profile.title)
        self.enabled.setChecked(profile.enabled)
        self.jira_conn.setText(profile.jira.connection)
        self.projects.setText(", ".join(profile.jira.projects))
        self.issue_types.setText(", ".join(profile.jira.issue_types))
        self.jql.setText(profile.jira.jql)
        self.b24_conn.setText(profile.bitrix24.connection)
        _set(self.entity, profile.bitrix24.entity)
        self.entity_type.setValue(profile.bitrix24.entity_type_id or 0)
        self.category.setValue(-1 if profile.bitrix24.category_id is None else profile.bitrix24.category_id)
        self.filter.setText(json.dumps(profile.bitrix24.filter, ensure_ascii=False) if profile.bitrix24.filter else "")
        _set(self.create_in, profile.create_in)
        _set(self.mode, profile.matching.mode)
        _set(self.conflict, profile.conflict)
        _set(self.deletion, profile.deletion.policy)
        self.match_table.setRowCount(0)
        for rule in profile.matching.rules:
            self._add_match_row(rule.jira_field, rule.bitrix24_field, rule.normalise)
        self.triggers = [t.model_dump(mode="json") for t in profile.triggers]
        self._show_triggers()
        self._loading = False
        self._form_dirty = False
        self.plan_view.clear()
        # The constructor holds this profile at once (fields follow), so a save never mixes two profiles.
        self.constructor.set_profile(profile, [], [])
        self.constructor.show_status(self.tr("Loading the fields of the connected systems…"))

        async def fields(_: object) -> Any:
            return await self.backend.profiles.fields(profile)

        def show(result: Any) -> None:
            if self.current is not profile:
                return  # another profile was opened meanwhile; its own load will fill the constructor
            jf, bf = result
            self.constructor.set_profile(profile, jf, bf)
            self.constructor.show_status(self.tr("{j} JIRA fields and {b} Bitrix24 fields loaded. Drag from a field "
                                                 "to a field to map them.").format(j=len(jf), b=len(bf)))
            self._update_buttons()

        def failed(exc: BaseException) -> None:
            if self.current is not profile:
                return
            self.constructor.set_profile(profile, [], [])
            self.constructor.show_status(self.tr("Could not load the fields of the connected systems: {}").format(exc))
            self._update_buttons()

        self.op(fields, label=self.tr("Loading fields from JIRA and Bitrix24"), on_done=show, on_error=failed)

    def _touched(self, *_: Any) -> None:
        if not self._loading:
            self._form_dirty = True
            self._update_buttons()

    def is_dirty(self) -> bool:
        return self.current is not None and (self._form_dirty or self.constructor.is_dirty())

    def _update_buttons(self) -> None:
        has = self.current is not None
        dirty = self.is_dirty()
        self.save_button.setEnabled(dirty)
        self.revert_button.setEnabled(dirty)
        for b in (self.dry_button, self.run_button, self.delete_button, self.export_button, self.test_scope_button):
            b.setEnabled(has)
        if has and self.current is not None:
            self.heading.setText(self.current.title + (" •" if dirty else ""))

    # -- building and saving ---------------------------------------------------------------------
    def build_profile(self) -> Profile:
        """The profile as edited now (raises ValueError with a readable message when invalid)."""
        assert self.current is not None
        base = self.constructor.profile()
        raw_filter = self.filter.text().strip()
        try:
            flt = json.loads(raw_filter) if raw_filter else {}
        except ValueError as exc:
            raise ValueError(self.tr("Bitrix24 filter is not valid JSON: {}").format(exc)) from exc
        rules = []
        for row in range(self.match_table.rowCount()):
            j = (self.match_table.item(row, 0) or QTableWidgetItem("")).text().strip()
            b = (self.match_table.item(row, 1) or QTableWidgetItem("")).text().strip()
            box = self.match_table.cellWidget(row, 2)
            if j or b:
                rules.append({"jira_field": j, "bitrix24_field": b,
                              "normalise": box.currentData() if isinstance(box, QComboBox) else "exact"})
        doc = base.model_dump(mode="json")
        doc.update({
            "title": self.title.text().strip(),
            "enabled": self.enabled.isChecked(),
            "create_in": self.create_in.currentData(),
            "conflict": self.conflict.currentData(),
            "triggers": self.triggers,
        })
        doc["jira"].update({"connection": self.jira_conn.text().strip() or "default",
                            "projects": [p.strip() for p in self.projects.text().split(",") if p.strip()],
                            "issue_types": [t.strip() for t in self.issue_types.text().split(",") if t.strip()],
                            "jql": self.jql.text().strip()})
        doc["bitrix24"].update({"connection": self.b24_conn.text().strip() or "default",
                                "entity": self.entity.currentData(),
                                "entity_type_id": self.entity_type.value() or None,
                                "category_id": None if self.category.value() < 0 else self.category.value(),
                                "filter": flt})
        doc["matching"] = {"mode": self.mode.currentData(), "rules": rules}
        deletion = dict(doc.get("deletion") or {})
        deletion["policy"] = self.deletion.currentData()
        if deletion["policy"] != "mark":
            deletion.pop("mark_in_jira", None)
            deletion.pop("mark_in_bitrix24", None)
        doc["deletion"] = deletion
        try:
            return Profile.model_validate(doc)
        except ValidationError as exc:
            lines = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
            raise ValueError("\n".join(lines)) from exc

    def save(self) -> None:
        try:
            profile = self.build_profile()
        except ValueError as exc:
            QMessageBox.warning(self, self.tr("The profile is not valid"), str(exc))
            return

        async def store(_: object) -> Profile:
            await self.backend.profiles.save(profile)
            return profile

        def saved(p: Profile) -> None:
            self.current = p
            self._form_dirty = False
            self.constructor.mark_saved()
            self.refresh(select=p.name)

        self.op(store, label=self.tr("Saving profile"), on_done=saved)

    def run(self, *, dry_run: bool) -> None:
        if self.current is None:
            return
        if self.is_dirty():
            if QMessageBox.question(self, self.tr("Save first?"),
                                    self.tr("The profile has unsaved changes; runs use the saved profile. Save now?")) \
                    != QMessageBox.StandardButton.Yes:
                return
            self.save()
            return
        name = self.current.name
        self.tabs.setCurrentIndex(3)

        def show(result: RunOutcome) -> None:
            s = result.summary
            text = self.tr("{what}: created in JIRA {cj}, in Bitrix24 {cb}; updated in JIRA {uj}, in Bitrix24 {ub}; "
                           "matched {m}; unchanged {u}; conflicts {c}; errors {e}; API calls JIRA {aj}, "
                           "Bitrix24 {ab}; {sec:.1f} s").format(
                what=self.tr("Plan") if dry_run else self.tr("Run finished"), cj=s.created.jira,
                cb=s.created.bitrix24, uj=s.updated.jira, ub=s.updated.bitrix24, m=s.matched, u=s.unchanged,
                c=s.conflicts, e=s.errors, aj=s.api_calls.jira, ab=s.api_calls.bitrix24, sec=s.seconds)
            if result.error:
                text += "\n" + self.tr("The run failed: {}").format(result.error)
            self.run_summary.setText(text)
            lines = [t for line in result.plan for t in line.text()]
            self.plan_view.setPlainText("\n".join(lines) or self.tr("Nothing to do."))

        self.op(lambda ctx: self.backend.runs.run(name, dry_run=dry_run, progress=ctx.progress),
                label=self.tr("Planning {}").format(name) if dry_run else self.tr("Running {}").format(name),
                on_done=show, changes=Change.NONE if dry_run else Change.RUNS | Change.CONFLICTS)

    def _test_scope(self) -> None:
        try:
            profile = self.build_profile()
        except ValueError as exc:
            self.scope_result.setText(str(exc))
            return

        def show(r: ScopeSample) -> None:
            def side(d: ScopeSide) -> str:
                first = ", ".join(f"{x['id']} {x['title']}"[:40] for x in d.first[:3])
                return f"{d.count} ({first}{'…' if d.count > 3 else ''})"

            self.scope_result.setText(self.tr("JIRA: {}\nBitrix24: {}").format(side(r.jira), side(r.bitrix24)))

        self.op(lambda _: self.backend.profiles.sample_scope(profile), label=self.tr("Counting records in scope"),
                on_done=show)

    # -- triggers ----------------------------------------------------------------------------------
    def _show_triggers(self) -> None:
        self.trigger_table.setRowCount(len(self.triggers))
        for row, t in enumerate(self.triggers):
            kind, detail = describe_trigger(t, self.tr)
            self.trigger_table.setItem(row, 0, QTableWidgetItem(kind))
            self.trigger_table.setItem(row, 1, QTableWidgetItem(detail))

    def _append_trigger(self, trigger: dict[str, Any]) -> None:
        self.triggers.append(trigger)
        self._show_triggers()
        self._touched()

    def _add_trigger(self, kind: str) -> None:
        dialog = TriggerDialog(kind, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self._append_trigger(dialog.trigger)

    def _remove_trigger(self) -> None:
        row = self.trigger_table.currentRow()
        if 0 <= row < len(self.triggers):
            del self.triggers[row]
            self._show_triggers()
            self._touched()

    # -- profile files -----------------------------------------------------------------------------
    def _new(self) -> None:
        name, ok = QInputDialog.getText(self, self.tr("New profile"),
                                        self.tr("Name (lower-case letters, digits, '-'):"))
        if not ok or not name.strip():
            return
        try:
            profile = Profile.model_validate({"name": name.strip(), "title": name.strip(),
                                              "jira": {"projects": ["PROC"]}, "bitrix24": {"entity": "deal"}})
        except ValidationError as exc:
            QMessageBox.warning(self, self.tr("New profile"), "; ".join(e["msg"] for e in exc.errors()))
            return
        self.op(lambda _: self.backend.profiles.save(profile), label=self.tr("Creating profile"),
                on_done=lambda _: self.refresh(select=profile.name))

    def _delete(self) -> None:
        if self.current is None:
            return
        name = self.current.name
        if QMessageBox.question(self, self.tr("Delete profile"), self.tr("Delete profile {}?").format(name)) \
                != QMessageBox.StandardButton.Yes:
            return
        self.current = None
        self._form_dirty = False
        self.constructor.mark_saved()
        self.op(lambda _: self.backend.profiles.delete(name), label=self.tr("Deleting profile"),
                on_done=lambda _: self.refresh())

    def _import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Import profiles"), "", "YAML (*.yaml *.yml)")
        if not path:
            return
        try:
            profiles = load_profiles(path)
        except ProfileFileErrors as exc:
            QMessageBox.warning(self, self.tr("Not imported"), self.tr("Nothing was changed:\n{}").format(exc))
            return

        async def store(_: object) -> None:
            for p in profiles:
                await self.backend.profiles.save(p)

        self.op(store, label=self.tr("Importing profiles"),
                on_done=lambda _: self.refresh(select=profiles[0].name if profiles else None))

    def _export(self) -> None:
        if self.current is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export profile"), f"{self.current.name}.yaml",
                                              "YAML (*.yaml)")
        if path:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(dump_profiles([self.current]))
