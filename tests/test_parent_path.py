"""The parent's path as a parent lives it (issue 14): each test reads as one parent's session on a phone."""

from __future__ import annotations

from sandbox.driver import Chat, Msg
from tests import flows
from tests.conftest import Harness


async def message(chat: Chat, message_id: int) -> Msg:
    return next(m for m in await chat.messages() if m.message_id == message_id)


async def staff_texts(group: Chat) -> str:
    return "\n".join(m.text for m in await group.messages() if m.from_bot)


async def test_follow_ups_go_to_the_school_until_the_parent_resumes(bot: Harness) -> None:
    await flows.with_account(bot)
    parent = await bot.parent("Amina")
    group = await bot.staff_group(await bot.secretary())
    await flows.to_identifier(parent)

    await parent.send("/aide")
    await parent.click("✍️ Écrire au collège")
    await parent.send("Je n'ai pas reçu le courrier")
    confirmation = await parent.last()
    assert "demande n°1" in confirmation.text and "Reprendre l'activation" in confirmation.text
    assert confirmation.button_texts == ["▶️ Reprendre l'activation"]

    await parent.send("C'est pour Emma Dupont en 3e A, merci")
    assert "Message ajouté à votre demande n°1" in await parent.text()
    await parent.send_photo(caption="Voici la feuille")
    assert "Message ajouté à votre demande n°1" in await parent.text()
    staff = await staff_texts(group)
    assert "C'est pour Emma Dupont en 3e A, merci" in staff
    assert "Identifiant : C'est pour" not in await parent.all_text()

    await parent.click("▶️ Reprendre l'activation")
    assert "Étape 2/6 — Votre identifiant" in await parent.text()
    await parent.send(flows.IDENTIFIER)
    assert "Identifiant : jean.dupont12" in await parent.text()
    # The confirmation stays where it was, and its button is spent.
    assert "demande n°1" in (await message(parent, confirmation.message_id)).text


async def test_follow_ups_survive_a_restart(bot: Harness) -> None:
    await flows.with_account(bot)
    parent = await bot.parent("Amina")
    group = await bot.staff_group(await bot.secretary())
    await flows.to_identifier(parent)
    await parent.send(flows.IDENTIFIER)
    await parent.send("/aide")
    await parent.click("✍️ Écrire au collège")
    await parent.send("Le mot de passe provisoire est illisible sur la feuille")
    await bot.restart()
    await parent.send("Merci de me le renvoyer")
    assert "Message ajouté à votre demande n°1" in await parent.text()
    assert "Merci de me le renvoyer" in await staff_texts(group)
    await parent.click("▶️ Reprendre l'activation")
    assert "Mot de passe provisoire" in await parent.text()



async def test_start_midway_shows_the_menu_with_resume_first(bot: Harness) -> None:
    await flows.with_account(bot)
    parent = await bot.parent("Amina")
    await flows.to_identifier(parent)  # step 2, and the letter is not at hand

    await parent.send("/start")
    menu = await parent.last()
    assert "Vous en êtes à l'étape 2/6" in menu.text and "Que souhaitez-vous faire ?" in menu.text
    assert menu.button_texts[0] == "▶️ Reprendre à l'étape 2/6"
    assert "✍️ Écrire au collège" in menu.button_texts
    await parent.click("🔐 Comment me connecter")
    assert "Se connecter" in await parent.text()

    await parent.send("/start")
    await parent.click("▶️ Reprendre à l'étape 2/6")
    assert "Étape 2/6 — Votre identifiant" in await parent.text()
    await parent.send(flows.IDENTIFIER)
    assert "Identifiant : jean.dupont12" in await parent.text()
