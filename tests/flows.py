"""Steps of a parent's session that many tests share, written as the parent would do them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.driver import Person

if TYPE_CHECKING:
    from tests.conftest import Harness

IDENTIFIER = "jean.dupont12"
PROVISIONAL = "Prov-2026a"
PASSWORD = "Ma-Cle:Verte42"
ACCOUNT = {"identifiant": IDENTIFIER, "mot_de_passe_provisoire": PROVISIONAL, "nom": "Dupont",
           "prenom": "Jean", "profil": "parent", "classe": "5B"}


async def with_account(bot: Harness, **changes: str) -> None:
    await bot.import_accounts([{**ACCOUNT, **changes}])


async def to_identifier(parent: Person) -> None:
    await parent.send("/start")
    await parent.click("🔑 Activer mon compte")
    await parent.click("👪 Élève ou parent")


async def to_cgu(parent: Person, identifier: str = IDENTIFIER, provisional: str = PROVISIONAL) -> None:
    await to_identifier(parent)
    await parent.send(identifier)
    await parent.send(provisional)


async def to_questions(parent: Person) -> None:
    await to_cgu(parent)
    await parent.click("✅ J'ai lu et j'accepte")
    await parent.click("⏭ Passer (recommandé)")


async def to_password(parent: Person) -> None:
    await to_questions(parent)
    await parent.click("7")
    await parent.send("01 47 20 00 01")
    await parent.click("14")
    await parent.send("Le Grand Bleu")


async def activate(parent: Person, password: str = PASSWORD) -> None:
    await to_password(parent)
    await parent.send(password)
    await parent.send(password)
