"""Forged button data as an attacker sends it (issue 22's second pass): never a forged log line, never an error."""

from __future__ import annotations

import logging

import pytest

from sandbox.driver import Person
from tests import flows
from tests.conftest import Harness


async def test_a_newline_in_button_data_forges_no_log_line(bot: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    parent = await bot.parent("Intrus")
    await parent.send("/start")
    menu = (await parent.last()).message_id
    toast = await parent.click_data(menu, "x\nERROR entbot unlocked by staff 777001")
    assert toast == "Ce bouton n'est plus valable. Utilisez les boutons du dernier message."
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "unlocked by staff 777001" not in logged and "kind=button:?" in logged


async def test_forged_numbers_in_staff_buttons_are_stale_buttons_not_errors(bot: Harness, parent: Person) -> None:
    secretary = await bot.secretary()
    group = await bot.staff_group(secretary)
    await flows.to_identifier(parent)
    await parent.send(flows.IDENTIFIER)
    await parent.send("/aide")
    await parent.click("✍️ Écrire au collège")
    await parent.send("Bonjour")
    await bot.group_caught_up()
    header = (await group.messages())[0].message_id
    for data in ("ticket:take:" + "9" * 30, "ticket:close:²", "staff:unlock:" + "9" * 30, "letter:ok:1:" + "9" * 30,
                 "notice:publish:" + "9" * 30):
        toast = await secretary.click_data(header, data, chat=group)
        assert toast == "Ce bouton n'est plus valable. Utilisez les boutons du dernier message.", data
    assert not any("Désolé, un problème technique" in m.text for m in await secretary.messages())
    assert not any("Désolé, un problème technique" in m.text for m in await group.messages())
