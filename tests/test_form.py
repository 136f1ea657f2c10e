"""The secure form over HTTP: a value typed in the page moves the same dialogue as a typed message; forged,
replayed, expired or someone else's submissions are refused, change nothing and count as failed attempts."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

import aiohttp
import pytest

from bot.settings import SettingsError, load
from conversations import form_texts
from sandbox.driver import Person
from storage.attempts import MAX_FAILURES
from tests import flows
from tests.conftest import Harness
from tests.form_helpers import FormClient, an_hour_ago, form_url, signed, token_of


async def at_provisional(parent: Person) -> None:
    await flows.to_identifier(parent)
    await parent.send(flows.IDENTIFIER)


async def through_form(parent: Person, client: FormClient, at: datetime | None = None, **values: str) -> dict[str, object]:
    """Opens the latest prompt's page as Telegram would (at `at`, now by default), and sends `values`; the page's answer."""
    url = await form_url(parent)
    status, opened = await client.open(token_of(url), signed(parent, at=at))
    assert status == 200, opened
    status, answer = await client.submit(str(opened["token"]), signed(parent, at=at), **values)
    assert status == 200, answer
    return answer


async def step_of(bot: Harness, parent: Person) -> str | None:
    progress = await bot.store.progress.get(parent.user_id)
    return progress.step if progress is not None else None


async def failures(bot: Harness, person: Person) -> int:
    async with bot.store.db.read() as conn:
        rows = list(await conn.execute_fetchall(
            "SELECT failures, locked_until FROM attempts WHERE scope = 'user' AND key = ?", (str(person.user_id),)))
    if not rows:
        return 0
    return MAX_FAILURES if rows[0][1] else int(rows[0][0])


async def test_an_activation_whose_secrets_all_go_through_the_form(fbot: Harness, client: FormClient,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    parent = await fbot.parent()
    await at_provisional(parent)
    assert "Plus sûr" in (await parent.last()).text
    assert (await through_form(parent, client, value=flows.PROVISIONAL))["ok"] is True
    await parent.wait_for("Étape 3/6")
    await parent.click("✅ J'ai lu et j'accepte")
    await parent.click("⏭ Passer (recommandé)")
    await flows.choose_question(parent, 7)
    assert (await through_form(parent, client, value=flows.ANSWER1))["ok"] is True
    await flows.choose_question(parent, 14)
    assert (await through_form(parent, client, value=flows.ANSWER2))["ok"] is True
    answer = await through_form(parent, client, value=flows.PASSWORD, confirm=flows.PASSWORD)
    assert answer == {"ok": True, "message": form_texts.DONE}
    assert "Compte activé" in (await parent.last()).text
    account = await fbot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None and account.state == "active"
    assert await fbot.store.accounts.check_password(account, flows.PASSWORD)
    # Nothing secret in the chat, the database's progress or the log; initData is never logged either.
    seen = " ".join(m.text for m in await parent.messages())
    logged = caplog.text
    for secret in (flows.PROVISIONAL, flows.ANSWER1, flows.ANSWER2, flows.PASSWORD):
        assert secret not in seen and secret not in logged
    assert "hash=" not in logged and "auth_date" not in logged
    # The form's prompts were replaced in place: no pile of stale prompts with live buttons.
    with_buttons = [m for m in await parent.messages() if m.from_bot and m.button(form_texts.BUTTON)]
    assert with_buttons == []


async def test_without_webapp_url_no_button_and_the_chat_works_as_before(bot: Harness) -> None:
    await flows.with_account(bot)
    parent = await bot.parent()
    await at_provisional(parent)
    prompt = await parent.last()
    assert form_texts.BUTTON not in prompt.button_texts and "Plus sûr" not in prompt.text


async def test_a_forged_init_data_is_refused_changes_nothing_and_withdraws_the_link(fbot: Harness,
                                                                                     client: FormClient) -> None:
    """A signature that is not Telegram's says someone else holds the link: refused, nothing counted on the
    family (a stranger would lock it out), and the link works no more; the next prompt brings a new one."""
    parent = await fbot.parent()
    await at_provisional(parent)
    url = await form_url(parent)
    forged = signed(parent, token="123456789:another-bots-token-xyz")
    status, answer = await client.submit(token_of(url), forged, value=flows.PROVISIONAL)
    assert (status, answer["ok"], answer["message"]) == (401, False, form_texts.refused("not_signed"))
    status, answer = await client.open(token_of(url), signed(parent))
    assert (status, answer["code"]) == (410, "unknown")
    tampered = signed(parent).replace("first_name", "first_nam")
    status, _ = await client.open(token_of(url), tampered)
    assert status == 401
    assert await step_of(fbot, parent) == "provisional"
    assert await failures(fbot, parent) == 0
    await parent.send("/start")
    await parent.click(re.compile("Reprendre"))  # the prompt again, with a new link
    assert (await through_form(parent, client, value=flows.PROVISIONAL))["ok"] is True


async def test_a_replayed_submission_is_refused(fbot: Harness, client: FormClient) -> None:
    parent = await fbot.parent()
    await at_provisional(parent)
    url = await form_url(parent)
    init = signed(parent)
    status, first = await client.submit(token_of(url), init, value=flows.PROVISIONAL)
    assert (status, first["ok"]) == (200, True)
    before = len(await parent.messages())
    status, again = await client.submit(token_of(url), init, value=flows.PROVISIONAL)
    assert (status, again["ok"]) in ((409, False), (410, False))
    assert again["message"] in (form_texts.refused("spent"), form_texts.refused("unknown"))
    assert len(await parent.messages()) == before
    assert await step_of(fbot, parent) == "cgu"
    assert await failures(fbot, parent) == 1


async def test_a_token_of_another_chat_is_refused(fbot: Harness, client: FormClient) -> None:
    parent = await fbot.parent()
    await at_provisional(parent)
    url = await form_url(parent)
    stranger = await fbot.parent("Intrus")
    status, answer = await client.submit(token_of(url), signed(stranger), value=flows.PROVISIONAL)
    assert (status, answer["message"]) == (403, form_texts.refused("other_user"))
    status, answer = await client.open(token_of(url), signed(stranger))
    assert status == 403
    assert await step_of(fbot, parent) == "provisional"
    assert await failures(fbot, stranger) == 2 and await failures(fbot, parent) == 0
    assert (await through_form(parent, client, value=flows.PROVISIONAL))["ok"] is True


async def test_an_expired_link_and_an_old_signature_are_refused(fbot: Harness, client: FormClient) -> None:
    parent = await fbot.parent()
    await at_provisional(parent)
    url = await form_url(parent)
    status, answer = await client.submit(token_of(url), signed(parent, at=an_hour_ago()), value=flows.PROVISIONAL)
    assert (status, answer["message"]) == (401, form_texts.refused("old_signature"))
    fbot.clock.advance(timedelta(minutes=16))
    status, answer = await client.submit(token_of(url), signed(parent, at=fbot.clock.now()), value=flows.PROVISIONAL)
    assert (status, answer["message"]) == (410, form_texts.refused("expired"))
    assert await step_of(fbot, parent) == "provisional"


async def test_a_wrong_value_is_refused_in_the_chats_words_and_the_page_can_try_again(
        fbot: Harness, client: FormClient) -> None:
    parent = await fbot.parent()
    await at_provisional(parent)
    url = await form_url(parent)
    answer = await through_form(parent, client, value="Pas-le-bon-1")
    assert answer["ok"] is False and answer["retry"] is True
    assert "Identifiant ou mot de passe provisoire incorrect" in str(answer["message"])
    assert "Identifiant ou mot de passe provisoire incorrect" in (await parent.last()).text  # as if typed
    assert await failures(fbot, parent) == 1
    # The spent link, reopened by its owner, gives a new one for the same step; the old one sends nothing more.
    status, reopened = await client.open(token_of(url), signed(parent))
    assert status == 200 and reopened["token"] != token_of(url)
    status, _ = await client.submit(token_of(url), signed(parent), value=flows.PROVISIONAL)
    assert status in (409, 410)
    status, done = await client.submit(str(reopened["token"]), signed(parent), value=flows.PROVISIONAL)
    assert (status, done["ok"]) == (200, True)
    assert await step_of(fbot, parent) == "cgu"


async def test_a_password_refused_by_the_rule_says_what_is_missing(fbot: Harness, client: FormClient) -> None:
    parent = await fbot.parent()
    await flows.to_password(parent)
    answer = await through_form(parent, client, value="court", confirm="court")
    assert answer["ok"] is False and "au moins 8 caractères" in str(answer["message"])
    assert await step_of(fbot, parent) == "password"


async def test_a_message_typed_in_the_chat_first_wins_the_race(fbot: Harness, client: FormClient) -> None:
    parent = await fbot.parent()
    await at_provisional(parent)
    url = await form_url(parent)
    status, opened = await client.open(token_of(url), signed(parent))
    assert status == 200
    await parent.send(flows.PROVISIONAL)  # typed in the chat while the page was open
    status, answer = await client.submit(str(opened["token"]), signed(parent), value=flows.PROVISIONAL)
    assert (status, answer["message"]) == (409, form_texts.refused("other_step"))
    assert await step_of(fbot, parent) == "cgu"


async def test_the_bot_restarting_between_opening_and_sending(fbot: Harness, client: FormClient) -> None:
    parent = await fbot.parent()
    await at_provisional(parent)
    url = await form_url(parent)
    status, opened = await client.open(token_of(url), signed(parent))
    assert status == 200
    await fbot.restart()
    status, answer = await client.submit(str(opened["token"]), signed(parent), value=flows.PROVISIONAL)
    assert (status, answer["ok"]) == (200, True)
    await parent.wait_for("Étape 3/6")


async def test_wrong_values_through_the_form_lock_like_wrong_answers(fbot: Harness, client: FormClient) -> None:
    """Five wrong provisional passwords sent from one page (which renews its link after each refusal, as form.js
    does): the person is locked, on the page and in the chat."""
    parent = await fbot.parent()
    await at_provisional(parent)
    token = token_of(await form_url(parent))
    for n in range(MAX_FAILURES):
        status, opened = await client.open(token, signed(parent))
        assert status == 200, opened
        token = str(opened["token"])
        status, answer = await client.submit(token, signed(parent), value=f"Pas-le-bon-{n}")
        assert (status, answer["ok"]) == (200, False)
    status, answer = await client.open(token, signed(parent))
    assert (status, answer["message"]) == (429, form_texts.refused("locked"))
    await parent.send(flows.PROVISIONAL)  # the chat holds the same lock
    assert "Trop" in (await parent.last()).text or "bloqu" in (await parent.last()).text
    assert await step_of(fbot, parent) == "provisional"


async def test_bodies_types_and_sizes_are_checked_and_every_answer_has_strict_headers(
        fbot: Harness, client: FormClient) -> None:
    parent = await fbot.parent()
    await at_provisional(parent)
    token = token_of(await form_url(parent))
    status, _ = await client.post("/form/api/submit", b"token=x", content_type="application/x-www-form-urlencoded")
    assert status == 415
    status, _ = await client.post("/form/api/submit", b"{" + b" " * 20_000 + b"}")
    assert status == 413
    status, _ = await client.post("/form/api/submit", b"[1, 2]")
    assert status == 400
    status, answer = await client.submit(token, signed(parent), value="A" * 129)
    assert (status, answer["message"]) == (400, form_texts.refused("too_big"))
    status, _ = await client.post("/form/api/submit", {"token": token, "init_data": signed(parent), "values": {"x": "y"}})
    assert status == 400
    status, _ = await client.post("/form/api/submit", {"token": "../../etc", "init_data": signed(parent), "values": {}})
    assert status == 400
    assert await step_of(fbot, parent) == "provisional"
    async with aiohttp.ClientSession() as session:
        for path in ("/form?t=" + token, "/form/static/form.js", "/form/static/nothing.js", "/form/api/open"):
            async with session.get(client.base + path) as response:
                headers = response.headers
                assert "frame-ancestors https://web.telegram.org" in headers["Content-Security-Policy"]
                assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
                assert headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "no-referrer"
        async with session.get(client.base + "/form") as response:
            page = await response.text()
    assert "<script>" not in page and "telegram-web-app.js" in page and 'lang="fr"' in page


async def test_the_forgotten_password_through_the_form(fbot: Harness, client: FormClient) -> None:
    parent = await fbot.parent()
    await flows.activate(parent)
    await flows.to_first_question(parent)
    assert (await through_form(parent, client, value=flows.ANSWER1))["ok"] is True
    assert (await through_form(parent, client, value=flows.ANSWER2))["ok"] is True
    answer = await through_form(parent, client, value=flows.NEW_PASSWORD, confirm=flows.NEW_PASSWORD)
    assert answer["ok"] is True
    assert "Mot de passe changé" in (await parent.last()).text
    account = await fbot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None and await fbot.store.accounts.check_password(account, flows.NEW_PASSWORD)


def test_webapp_url_must_be_https_except_on_loopback() -> None:
    base = {"TELEGRAM_BOT_TOKEN": "123456:ABCDEFGHIJKLMNOP", "SCHOOL_CONTACT_EMAIL": "ce@college.fr"}
    with pytest.raises(SettingsError, match="https"):
        load({**base, "WEBAPP_URL": "http://ent-bot.college.fr"}, env_file=None)
    with pytest.raises(SettingsError, match="WEBAPP_URL"):
        load({**base, "WEB_LISTEN": "0.0.0.0:8090"}, env_file=None)
    with pytest.raises(SettingsError, match="WEB_LISTEN"):
        load({**base, "WEBAPP_URL": "https://ent-bot.college.fr", "WEB_LISTEN": "8090"}, env_file=None)
    settings = load({**base, "WEBAPP_URL": "https://ent-bot.college.fr/", "WEB_LISTEN": "127.0.0.1:9000"}, env_file=None)
    assert settings.form is not None and settings.form.public_url == "https://ent-bot.college.fr"
    assert load({**base, "WEBAPP_URL": "http://127.0.0.1:9000"}, env_file=None).form is not None
    assert load(base, env_file=None).form is None


async def test_doctor_says_whether_the_public_address_answers(fbot: Harness) -> None:
    from bot import doctor
    from bot.form_settings import FormSettings
    from tests.form_helpers import free_port

    assert fbot.settings.form is not None
    check = await doctor.check_form(fbot.settings.form)
    assert check.ok is True and fbot.settings.form.public_url in check.detail
    port = free_port()  # nothing listens there: what a proxy not yet set up gives
    check = await doctor.check_form(FormSettings("127.0.0.1", port, f"http://127.0.0.1:{port}"))
    assert check.ok is False and "/form/health" in check.detail
    assert (await doctor.check_form(None)).ok is None


async def test_the_privacy_notice_and_register_mention_the_form(fbot: Harness) -> None:
    parent = await fbot.parent()
    await parent.send("/confidentialite")
    assert "Formulaire sécurisé" in (await parent.last()).text
    assert "initData" in form_texts.register_section("https://ent-bot.college.fr")


async def test_without_the_form_the_notice_does_not_mention_it(bot: Harness) -> None:
    parent = await bot.parent()
    await parent.send("/confidentialite")
    assert "Formulaire sécurisé" not in (await parent.last()).text


async def test_the_login_test_and_the_re_authentication_through_the_form(fbot: Harness, client: FormClient) -> None:
    parent = await fbot.parent()
    await flows.to_cgu(parent)
    fbot.clock.advance(timedelta(minutes=31))  # away too long: the provisional password again
    await parent.click("✅ J'ai lu et j'accepte")
    url = await form_url(parent)
    status, opened = await client.open(token_of(url), signed(parent, at=fbot.clock.now()))
    assert status == 200 and opened["page"]["title"] == form_texts.REAUTH_TITLE
    status, answer = await client.submit(str(opened["token"]), signed(parent, at=fbot.clock.now()),
                                         value=flows.PROVISIONAL)
    assert (status, answer["ok"]) == (200, True)
    assert (await fbot.store.progress.get(parent.user_id)).reauth_due == 0  # type: ignore[union-attr]

    other = await fbot.parent("Lina")
    await flows.with_account(fbot, identifiant="lina.martin3")
    await flows.to_cgu(other, identifier="lina.martin3")
    await other.click("✅ J'ai lu et j'accepte")
    await other.click("⏭ Passer (recommandé)")
    await flows.choose_question(other, 7)
    await other.send(flows.ANSWER1)
    await flows.choose_question(other, 14)
    await other.send(flows.ANSWER2)
    await other.send(flows.PASSWORD)
    await other.send(flows.PASSWORD)
    await other.send("/start")
    await other.click("🔎 Tester ma connexion")
    await other.send("lina.martin3")
    url = await form_url(other)
    status, opened = await client.open(token_of(url), signed(other, at=fbot.clock.now()))
    assert opened["page"]["fields"][0]["autocomplete"] == "current-password"
    status, answer = await client.submit(str(opened["token"]), signed(other, at=fbot.clock.now()),
                                         value=flows.PASSWORD)
    assert (status, answer["ok"]) == (200, True)
    assert "Identifiant et mot de passe corrects" in (await other.last()).text


async def test_form_values_spend_the_same_argon2_budget(fbot: Harness, client: FormClient) -> None:
    from conversations.common import HASHES_PER_MINUTE, hash_budget

    parent = await fbot.parent()
    await at_provisional(parent)
    budget = hash_budget(fbot.app)  # type: ignore[arg-type]
    assert budget.spend(parent.user_id, fbot.clock.now(), HASHES_PER_MINUTE)  # a minute's worth already spent
    answer = await through_form(parent, client, value=flows.PROVISIONAL)
    assert answer["ok"] is False and "un peu vite" in str(answer["message"])
    assert await step_of(fbot, parent) == "provisional"


async def test_a_form_submission_and_a_chat_message_at_once_never_interleave(fbot: Harness, client: FormClient) -> None:
    import asyncio

    parent = await fbot.parent()
    await at_provisional(parent)
    url = await form_url(parent)
    status, opened = await client.open(token_of(url), signed(parent))
    assert status == 200
    typed = asyncio.ensure_future(parent.send(flows.PROVISIONAL))
    status, answer = await client.submit(str(opened["token"]), signed(parent), value=flows.PROVISIONAL)
    await typed
    # Whichever came first moved the dialogue once; the other was refused as out of step, nothing else.
    assert await step_of(fbot, parent) == "cgu"
    assert (status, answer.get("ok")) == (200, True) or answer["message"] == form_texts.refused("other_step")
    account = await fbot.store.accounts.find(flows.IDENTIFIER)
    assert account is not None
    identified = [e for _, _, e, _ in await fbot.store.audit.for_account(account.id) if e == "identified"]
    assert len(identified) == 1
