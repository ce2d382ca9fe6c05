"""Settings from a YAML file, the environment and command-line values, over the schema's defaults.

The file holds sections (``service:``, ``engine:``, ``bitrix24:``, ``jobs:``, ``studio:``); the keys of
the service section may also stand at the top level, as the service's file had them before it had
sections. The environment sets any setting as ``B24S__<SECTION>__<NAME>`` (``B24S__SERVICE__PORT=9000``).
Later sources win: defaults, file, environment, command line. Errors name the file, the setting and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sync_engine.settings.schema import SECTIONS, RuntimeSettings, ServiceSettings

ENV_PREFIX = "B24S__"
RENAMED = {"service": {"register": "register_webhooks"}}  # old name -> new, still read from files


class SettingsError(ValueError):
    """A setting is wrong; the message names it."""


def _read_file(path: str) -> dict[str, Any]:
    file = Path(path)
    try:
        doc = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise SettingsError(f"settings file {path} is not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise SettingsError(f"settings file {path} must hold a mapping of settings")
    out: dict[str, Any] = {}
    flat = {k: v for k, v in doc.items() if k not in SECTIONS}
    unknown = sorted(set(flat) - set(ServiceSettings.model_fields) - set(RENAMED["service"]))
    if unknown:
        raise SettingsError(f"settings file {path}: unknown setting(s) {', '.join(map(str, unknown))} "
                            f"(sections: {', '.join(SECTIONS)})")
    for section in SECTIONS:
        value = doc.get(section)
        if value is not None and not isinstance(value, dict):
            raise SettingsError(f"settings file {path}: section {section!r} must be a mapping")
        if value:
            out[section] = dict(value)
    if flat:
        out["service"] = {**flat, **out.get("service", {})}
    for section, names in RENAMED.items():
        for old, new in names.items():
            if old in out.get(section, {}):
                out[section].setdefault(new, out[section].pop(old))
    return out


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in env.items():
        if not key.startswith(ENV_PREFIX):
            continue
        section, _, name = key[len(ENV_PREFIX):].lower().partition("__")
        if section not in SECTIONS or not name:
            raise SettingsError(f"environment variable {key}: expected {ENV_PREFIX}<SECTION>__<NAME> with a "
                                f"section of {', '.join(SECTIONS)}")
        out.setdefault(section, {})[name] = yaml.safe_load(value) if value.strip() else None
    return out


def _merge(base: dict[str, Any], more: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: dict(v) for k, v in base.items()}
    for section, values in more.items():
        out.setdefault(section, {}).update(values)
    return out


def load_settings(path: str | None = None, *, env: Mapping[str, str] | None = None,
                  overrides: Mapping[str, Mapping[str, Any]] | None = None) -> RuntimeSettings:
    """The settings of a process; ``overrides`` (section → name → value, None = unset) are the CLI's."""
    values: dict[str, Any] = _read_file(path) if path else {}
    values = _merge(values, _from_env(env or {}))
    values = _merge(values, {s: {k: v for k, v in kv.items() if v is not None} for s, kv in (overrides or {}).items()})
    if isinstance(values.get("service", {}).get("job_plugins"), list):
        values["service"]["job_plugins"] = tuple(str(v) for v in values["service"]["job_plugins"])
    try:
        return RuntimeSettings.model_validate(values)
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            where = ".".join(str(p) for p in e["loc"])
            msg = "unknown setting" if e["type"] == "extra_forbidden" else e["msg"]
            problems.append(f"{where}: {msg}")
        source = f"settings file {path}" if path else "settings"
        raise SettingsError(f"{source}: " + "; ".join(problems)) from None


def describe() -> list[dict[str, Any]]:
    """Every setting with its type, default and description (``b24sync settings``, docs/settings.md)."""
    out: list[dict[str, Any]] = []
    defaults = RuntimeSettings()
    for section, field in RuntimeSettings.model_fields.items():
        model = field.annotation
        assert model is not None
        for name, f in model.model_fields.items():
            default = "(per instance)" if name == "instance_id" else getattr(getattr(defaults, section), name)
            out.append({"name": f"{section}.{name}", "type": _type_name(f.annotation), "default": default,
                        "description": f.description or ""})
    return out


def _type_name(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) or str(annotation)
    return text.replace("typing.", "").replace("NoneType", "None")


def settings_markdown() -> str:
    """``docs/settings.md``: the schema as a page (regenerated by ``write_settings_doc``, checked by a test)."""
    lines = ["# Runtime settings", "",
             "Generated from `sync_engine/settings/schema.py` (the one place settings are declared); "
             "`b24sync settings` lists them with the values in force.", "",
             "Set them in the sync service's settings file (`b24sync serve --config FILE`, sections as below), "
             f"or as environment variables `{ENV_PREFIX}<SECTION>__<NAME>` (e.g. `{ENV_PREFIX}SERVICE__PORT=9000`). "
             "Command-line options win over both.", ""]
    section = None
    for row in describe():
        head = row["name"].split(".", 1)[0]
        if head != section:
            section = head
            doc = (RuntimeSettings.model_fields[head].annotation.__doc__ or "").strip()
            if lines[-1] != "":
                lines.append("")
            lines += [f"## `{head}`", "", doc, "", "| setting | type | default | what it is for |", "|---|---|---|---|"]
        lines.append(f"| `{row['name']}` | {row['type']} | `{row['default']!r}` | {row['description']} |")
    return "\n".join(lines) + "\n"


def write_settings_doc(path: Path) -> None:
    path.write_text(settings_markdown(), encoding="utf-8")
