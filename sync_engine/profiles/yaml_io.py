"""Profiles as YAML files (config as code) and the published JSON Schema.

Loading is all-or-nothing and side-effect free: a file either yields every profile or raises
:class:`ProfileFileErrors` listing each problem with the file, the path inside it and, where the
YAML parser knows it, the line. Callers apply the result only after a successful load, so an invalid
file can never half-change the stored configuration.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sync_engine.profiles.schema import SCHEMA_VERSION, Profile, ProfilesDocument, profile_json_schema

# Where the published schema lives in the source tree; tests compare it with the generated one.
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "resources" / "profiles" / "profile.schema.json"

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class ProfileFileError:
    """One problem in a profiles file. ``line``/``column`` are 1-based, None when unknown."""

    file: str
    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}:{self.column or 1}"
        return f"{where}: {self.path or '(top level)'}: {self.message}"


class ProfileFileErrors(Exception):
    """A profiles file could not be loaded; ``errors`` lists every problem found."""

    def __init__(self, errors: Sequence[ProfileFileError]) -> None:
        self.errors = tuple(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


def format_path(loc: Iterable[str | int]) -> str:
    """``('profiles', 0, 'mappings', 3, 'jira')`` → ``profiles[0].mappings[3].jira``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


# ----------------------------------------------------------------------------------------- loading


def _scalar_key(node: yaml.Node) -> Any:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _duplicate_keys(node: yaml.Node, loc: Loc, file: str, seen_nodes: set[int] | None = None
                    ) -> list[ProfileFileError]:
    """PyYAML silently keeps the last of repeated keys; in a config file that hides mistakes.

    Aliases make the node tree a graph; each node is visited once so an alias bomb cannot hang us.
    """
    errors: list[ProfileFileError] = []
    seen_nodes = set() if seen_nodes is None else seen_nodes
    if id(node) in seen_nodes:
        return errors
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = _scalar_key(key_node)
            if key in seen:
                mark = key_node.start_mark
                errors.append(ProfileFileError(file, format_path((*loc, str(key))),
                                               f"duplicate key {key!r}", mark.line + 1, mark.column + 1))
            seen.add(key)
            errors.extend(_duplicate_keys(value_node, (*loc, str(key)), file, seen_nodes))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            errors.extend(_duplicate_keys(item, (*loc, i), file, seen_nodes))
    return errors


def _locate(root: yaml.Node | None, loc: Loc) -> tuple[Loc, yaml.Node | None]:
    """Walk pydantic's error location through the YAML node tree.

    Pydantic inserts the discriminator tag of a union member into locations
    (``transform.value_map.pairs``); such parts are not keys of the YAML mapping and are dropped.
    Returns the cleaned location and the deepest node reached (for its line number).
    """
    node = root
    clean: list[str | int] = []
    for part in loc:
        if isinstance(part, int):
            clean.append(part)
            if isinstance(node, yaml.SequenceNode) and 0 <= part < len(node.value):
                node = node.value[part]
            continue
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if _scalar_key(k) == part), None)
            if match is None and _scalar_key(next((v for k, v in node.value if _scalar_key(k) == "type"),
                                                  yaml.ScalarNode("", None))) == part:
                continue  # the union tag
            clean.append(part)
            if match is not None:
                node = match
            continue
        clean.append(part)
    return tuple(clean), node


def _pydantic_errors(exc: ValidationError, root: yaml.Node | None, file: str) -> list[ProfileFileError]:
    out: list[ProfileFileError] = []
    for err in exc.errors(include_url=False):
        loc, node = _locate(root, tuple(err["loc"]))
        message = str(err["msg"])
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
        if err["type"] == "extra_forbidden":
            message = f"unknown key {loc[-1]!r}" if loc else message
        elif err["type"] == "union_tag_invalid":
            tag = err["ctx"].get("tag", err["input"])
            message = f"unknown type {tag!r}; expected one of {err['ctx']['expected_tags']}"
        mark = node.start_mark if node is not None else None
        out.append(ProfileFileError(file, format_path(loc), message,
                                    mark.line + 1 if mark else None, mark.column + 1 if mark else None))
    return out


def loads_profiles(text: str, file: str = "<string>") -> list[Profile]:
    """Parse and validate a profiles document; raises :class:`ProfileFileErrors`."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            duplicates = _duplicate_keys(root, (), file) if root is not None else []
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = "; ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise ProfileFileErrors([ProfileFileError(file, "", f"YAML syntax error: {reason}",
                                                  mark.line + 1 if mark else None,
                                                  mark.column + 1 if mark else None)]) from None
    except yaml.YAMLError as exc:
        raise ProfileFileErrors([ProfileFileError(file, "", f"YAML error: {exc}")]) from None
    except RecursionError:
        raise ProfileFileErrors([ProfileFileError(file, "", "the YAML is nested too deeply")]) from None
    if duplicates:
        raise ProfileFileErrors(duplicates)
    if data is None:
        raise ProfileFileErrors([ProfileFileError(file, "", "the file is empty; expected 'version' and 'profiles'")])
    if not isinstance(data, dict):
        mark = root.start_mark if root is not None else None
        raise ProfileFileErrors([ProfileFileError(
            file, "", f"the top level must be a mapping with 'version' and 'profiles', not a {type(data).__name__}",
            mark.line + 1 if mark else None, mark.column + 1 if mark else None)])
    try:
        document = ProfilesDocument.model_validate(data)
    except ValidationError as exc:
        raise ProfileFileErrors(_pydantic_errors(exc, root, file)) from None
    return list(document.profiles)


def load_profiles(path: str | os.PathLike[str]) -> list[Profile]:
    """Read a profiles YAML file; raises :class:`ProfileFileErrors` naming the file on any problem."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileFileErrors([ProfileFileError(file, "", "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise ProfileFileErrors([ProfileFileError(file, "", f"not UTF-8 text (byte {exc.start})")]) from None
    except OSError as exc:
        raise ProfileFileErrors([ProfileFileError(file, "", f"cannot read: {exc.strerror}")]) from None
    return loads_profiles(text, file)


# ----------------------------------------------------------------------------------------- dumping


def dump_profiles(profiles: Sequence[Profile]) -> str:
    """YAML text for ``profiles``; defaults are left out so files stay short and readable."""
    document = ProfilesDocument(profiles=list(profiles))  # re-checks cross-profile rules (unique names)
    body = document.model_dump(mode="json", exclude_defaults=True)
    data = {"version": SCHEMA_VERSION, "profiles": body.get("profiles", [])}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110, default_flow_style=False)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export_profiles(profiles: Sequence[Profile], path: str | os.PathLike[str]) -> None:
    """Write ``profiles`` to ``path`` atomically, so a crash never leaves a truncated file."""
    _atomic_write(Path(path), dump_profiles(profiles))


def json_schema_text() -> str:
    return json.dumps(profile_json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_json_schema(path: str | os.PathLike[str] = SCHEMA_PATH) -> Path:
    """Regenerate the published JSON Schema (run after changing :mod:`sync_engine.profiles.schema`)."""
    target = Path(path)
    _atomic_write(target, json_schema_text())
    return target
