"""Steps of a parent's session that many tests share, written as the parent would do them.

Buttons are pressed by their labels in the language at hand: French, or the one of `i18n.using(code)` around the
call, for a parent who reads the bot in another language.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from conversations import texts
from sandbox.driver import Person, SandboxError

if TYPE_CHECKING:
    from tests.conftest import Harness

IDENTIFIER = "jean.dupont12"
PROVISIONAL = "Prov-2026a"
PASSWORD = "Ma-Cle:Verte42"
NEW_PASSWORD = "Autre-Cle:Bleue57"
ANSWER1 = "01 47 20 00 01"  # to question 7
ANSWER2 = "Le Grand Bleu"  # to question 14
ACCOUNT = {"identifiant": IDENTIFIER, "mot_de_passe_provisoire": PROVISIONAL, "nom": "Dupont",
           "prenom": "Jean", "profil": "parent", "classe": "5B"}


async def with_account(bot: Harness, **changes: str) -> None:
    await bot.import_accounts([{**ACCOUNT, **changes}])


async def to_identifier(parent: Person) -> None:
    await parent.send("/start")
    await parent.click(texts.MENU_ACTIVATE)
    await parent.click(re.compile("Élève ou parent"))  # the ENT's words, kept in every language's label


async def to_cgu(parent: Person, identifier: str = IDENTIFIER, provisional: str = PROVISIONAL) -> None:
    await to_identifier(parent)
    await parent.send(identifier)
    await parent.send(provisional)


async def to_questions(parent: Person) -> None:
    await to_cgu(parent)
    await parent.click(texts.CGU_ACCEPT)
    await parent.click(texts.EMAIL_SKIP)


async def choose_question(parent: Person, number: int) -> None:
    """Touches the secret question `number` by its button's data (the same in every language), turning to the other
    page of questions if needed."""
    for _turn in range(2):
        shown = [m for m in await parent.messages() if m.buttons][-1]
        data = [b.get("callback_data", "") for row in shown.buttons for b in row]
        wanted = [d for d in data if re.fullmatch(rf"q[12]:{number:02d}", d)]
        if wanted:
            await parent.click_data(shown.message_id, wanted[0])
            return
        await parent.click_data(shown.message_id, next(d for d in data if re.fullmatch(r"q[12]:p\d", d)))
    raise SandboxError(f"no secret question {number} offered")


async def to_password(parent: Person) -> None:
    await to_questions(parent)
    await choose_question(parent, 7)
    await parent.send(ANSWER1)
    await choose_question(parent, 14)
    await parent.send(ANSWER2)


async def activate(parent: Person, password: str = PASSWORD) -> None:
    await to_password(parent)
    await parent.send(password)
    await parent.send(password)


async def to_first_question(parent: Person, identifier: str = IDENTIFIER) -> None:
    """From the menu to the first secret question of "Mot de passe oublié"."""
    await parent.send("/start")
    await parent.click(texts.MENU_FORGOT)
    await parent.send(identifier)


async def forgot(parent: Person, identifier: str = IDENTIFIER, answer1: str = ANSWER1, answer2: str = ANSWER2) -> None:
    """From the menu, through the two secret questions of an active account."""
    await to_first_question(parent, identifier)
    await parent.send(answer1)
    await parent.send(answer2)


async def login_test(parent: Person, password: str, identifier: str = IDENTIFIER) -> None:
    await parent.send("/start")
    await parent.click(texts.MENU_TEST)
    await parent.send(identifier)
    await parent.send(password)
