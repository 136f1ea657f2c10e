"""Every text the bot shows, by flow: a family's in its language (i18n), staff's in French.

A flow's texts are its module's; a module with a CATALOG is translated: its French strings that it does not list
in `__all__` are read through this package (`texts.NAME`) in the language of the family at hand.
"""

from __future__ import annotations

from types import ModuleType

from conversations.texts import activation as _activation
from conversations.texts import cli as _cli
from conversations.texts import common as _common
from conversations.texts import directory as _directory
from conversations.texts import helpdesk as _helpdesk
from conversations.texts import helpdesk_staff as _helpdesk_staff
from conversations.texts import language as _language
from conversations.texts import letters as _letters
from conversations.texts import menu as _menu
from conversations.texts import notices as _notices
from conversations.texts import notices_staff as _notices_staff
from conversations.texts import operations as _operations
from conversations.texts import privacy as _privacy
from conversations.texts import privacy_staff as _privacy_staff
from conversations.texts import recovery as _recovery
from conversations.texts import school_actions as _school_actions
from conversations.texts import staff as _staff
from conversations.texts.activation import *  # noqa: F403
from conversations.texts.cli import *  # noqa: F403
from conversations.texts.common import *  # noqa: F403
from conversations.texts.directory import *  # noqa: F403
from conversations.texts.helpdesk import *  # noqa: F403
from conversations.texts.helpdesk_staff import *  # noqa: F403
from conversations.texts.language import *  # noqa: F403
from conversations.texts.letters import *  # noqa: F403
from conversations.texts.menu import *  # noqa: F403
from conversations.texts.notices import *  # noqa: F403
from conversations.texts.notices_staff import *  # noqa: F403
from conversations.texts.operations import *  # noqa: F403
from conversations.texts.privacy import *  # noqa: F403
from conversations.texts.privacy_staff import *  # noqa: F403
from conversations.texts.recovery import *  # noqa: F403
from conversations.texts.school_actions import *  # noqa: F403
from conversations.texts.staff import *  # noqa: F403

# The families' flows, translated where they have a CATALOG; then the staff's, French only.
_FLOWS: tuple[ModuleType, ...] = (_common, _language, _menu, _activation, _recovery, _helpdesk, _notices, _letters,
                                  _privacy, _directory, _school_actions,
                                  _staff, _operations, _helpdesk_staff, _notices_staff, _privacy_staff, _cli)


def _index() -> dict[str, tuple[ModuleType, str]]:
    """Each translated flow's French strings by name (those its `__all__` leaves out), checked once at import."""
    found: dict[str, tuple[ModuleType, str]] = {}
    for flow in _FLOWS:
        catalog = getattr(flow, "CATALOG", None)
        if catalog is None:
            continue
        for name, value in vars(flow).items():
            if name.isupper() and isinstance(value, str) and name not in flow.__all__ and name != "CATALOG":
                if name in found:
                    raise ImportError(f"text {name} in two flows: {found[name][0].__name__} and {flow.__name__}")
                found[name] = (flow, value)
    return found


_INDEX = _index()


def __getattr__(name: str) -> str:
    """A translated flow's text, in the language of the update at hand."""
    try:
        flow, french = _INDEX[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    text: str = flow.CATALOG.gettext(french)
    return text
