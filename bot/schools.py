"""SCHOOLS_FILE: the deployment's schools, one `[[school]]` table each, read with tomllib and checked whole."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import replace
from datetime import time
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email

from conversations.common import School, StaffConfig
from render.documents import DocumentError, services_from_file
from storage.schools import normal_uai, uai_problem

REQUIRED = ("uai", "name", "contact_email")
OPTIONAL = ("staff_chat_id", "staff_user_ids", "annonces_channel_id", "postal_address", "services_file", "cgu_url",
            "quiet_hours")


class SchoolsError(Exception):
    """The file is wrong; the message is one French line naming the school and the key."""


def load(path: Path, template: School, quiet_hours: Callable[[str], tuple[time, time] | None]) -> tuple[School, ...]:
    """The schools of `path`; each takes what it does not set from `template` (the global settings).

    `quiet_hours` is the settings' own parser, so that a school's value is read as QUIET_HOURS is."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise SchoolsError(f"SCHOOLS_FILE={str(path)!r} illisible.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SchoolsError(f"SCHOOLS_FILE {path.name} : syntaxe TOML invalide ({exc}).") from None
    unknown_top = sorted(set(data) - {"school"})
    if unknown_top:
        raise SchoolsError(f"SCHOOLS_FILE {path.name} : clé inconnue « {unknown_top[0]} » (attendu des tables [[school]]).")
    tables = data.get("school")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise SchoolsError(f"SCHOOLS_FILE {path.name} : aucun établissement (attendu au moins une table [[school]]).")
    schools: list[School] = []
    for number, table in enumerate(tables, start=1):
        school = _school(number, table, template, quiet_hours)
        if any(s.uai == school.uai for s in schools):
            raise SchoolsError(f"établissement n°{number} ({school.name}), clé uai : {school.uai} en double.")
        # A group or channel of two schools would show each one's families to the other's staff.
        for key, chat in (("staff_chat_id", school.staff.chat_id), ("annonces_channel_id", school.annonces_channel_id)):
            other = next((s for s in schools if chat is not None and chat in (s.staff.chat_id, s.annonces_channel_id)),
                         None)
            if other is not None:
                raise SchoolsError(f"établissement n°{number} ({school.name}), clé {key} : {chat} est déjà le groupe "
                                   f"ou le canal de {other.name} ; chaque établissement a les siens.")
        schools.append(school)
    return tuple(schools)


def _school(number: int, table: dict[str, Any], template: School,
            quiet_hours: Callable[[str], tuple[time, time] | None]) -> School:
    label = f"établissement n°{number}" + (f" ({table['name']})" if isinstance(table.get("name"), str) else "")

    def fail(key: str, why: str) -> SchoolsError:
        return SchoolsError(f"{label}, clé {key} : {why}.")

    for key in sorted(table):
        if key not in REQUIRED and key not in OPTIONAL:
            raise fail(key, f"clé inconnue (attendu : {', '.join((*REQUIRED, *OPTIONAL))})")
    for key in REQUIRED:
        if key not in table:
            raise fail(key, "manquante")

    def text(key: str) -> str:
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            raise fail(key, "attendu un texte non vide")
        return value.strip()

    def integer(key: str) -> int:
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail(key, "attendu un nombre entier (identifiant Telegram)")
        return value

    uai = text("uai")
    if (problem := uai_problem(uai)) is not None:
        raise fail("uai", problem)
    try:
        contact = validate_email(text("contact_email"), check_deliverability=False).normalized
    except EmailNotValidError:
        raise fail("contact_email", "attendu une adresse électronique") from None
    staff_ids = table.get("staff_user_ids", [])
    if not isinstance(staff_ids, list) or any(isinstance(i, bool) or not isinstance(i, int) for i in staff_ids):
        raise fail("staff_user_ids", "attendu une liste d'identifiants Telegram numériques, par ex. [12345, 67890]")
    school = replace(template, uai=normal_uai(uai), name=text("name"), contact_email=contact,
                     staff=StaffConfig(frozenset(staff_ids),
                                       integer("staff_chat_id") if "staff_chat_id" in table else None),
                     annonces_channel_id=integer("annonces_channel_id") if "annonces_channel_id" in table else None,
                     postal_address=text("postal_address") if "postal_address" in table else None)
    if "services_file" in table:
        try:
            school = replace(school, services=services_from_file(Path(text("services_file"))))
        except DocumentError as exc:
            raise fail("services_file", str(exc).rstrip(".")) from None
    if "cgu_url" in table:
        if not re.match(r"^https?://[^\s/]+", text("cgu_url")):
            raise fail("cgu_url", "attendu une adresse commençant par https://")
        school = replace(school, cgu_url=text("cgu_url"))
    if "quiet_hours" in table:
        raw = table["quiet_hours"]
        try:
            if not isinstance(raw, str):
                raise ValueError(raw)
            school = replace(school, quiet_hours=quiet_hours(raw))
        except Exception:  # the settings' parser: its own message names QUIET_HOURS, not this key
            raise fail("quiet_hours", 'attendu "HH:MM-HH:MM" (par ex. "20:00-07:00"), ou "" pour aucune') from None
    return school
