"""The secure form attacked (the second review of issue 27): a leaked link, the page's own retry, deep JSON, lone
surrogates. Each test failed on the form as first merged."""

from __future__ import annotations

import json
from datetime import timedelta

import aiohttp
import pytest

from storage.attempts import MAX_FAILURES
from tests import flows
from tests.conftest import Harness
from tests.form_helpers import FormClient, form_url, signed, token_of
from tests.test_form import at_provisional, failures


async def test_a_retry_in_the_same_page_after_a_minute_works_and_counts_once(fbot: Harness, client: FormClient) -> None:
    """form.js keeps Telegram's initData for the page's life; after a refused value it reopens (renew) and
    submits again with that same initData: the renewed link keeps its first moment, so the signature is not
    "older than the link" (it was refused, and counted as a second failure)."""
    parent = await fbot.parent()
    await at_provisional(parent)
    url = await form_url(parent)
    page_init = signed(parent, at=fbot.clock.now())  # Telegram signs once, when the button is pressed
    status, opened = await client.open(token_of(url), page_init)
    assert status == 200
    fbot.clock.advance(timedelta(seconds=40))  # typing
    status, answer = await client.submit(str(opened["token"]), page_init, value="Pas-le-bon-1")
    assert answer["retry"] is True
    assert await failures(fbot, parent) == 1
    fbot.clock.advance(timedelta(seconds=50))  # reads the error, types again
    status, reopened = await client.open(str(opened["token"]), page_init)  # form.js: renew
    assert status == 200, reopened
    status, answer = await client.submit(str(reopened["token"]), page_init, value=flows.PROVISIONAL)
    assert (status, answer.get("code")) == (200, None), answer
    assert await failures(fbot, parent) == 1


async def test_a_leaked_spent_link_does_not_let_a_stranger_lock_its_owner(fbot: Harness, client: FormClient) -> None:
    """The form's URL (with ?t=) leaks (screenshot, forwarded, a proxy's error log, a shared device). Long after it
    was used, a stranger with no Telegram account sends requests with made-up initData: nothing counts on the
    link's owner (it locked them, 15 min doubling up to 32 h)."""
    parent = await fbot.parent()
    await at_provisional(parent)
    url = await form_url(parent)
    _, opened = await client.open(token_of(url), signed(parent))
    _, answer = await client.submit(str(opened["token"]), signed(parent), value=flows.PROVISIONAL)
    assert answer["ok"] is True
    fbot.clock.advance(timedelta(hours=1))  # spent AND expired; the row is kept 2 days after expiry
    for _ in range(MAX_FAILURES):
        await client.open(token_of(url), "user=%7B%22id%22%3A1%7D&auth_date=1&hash=00")
    assert await failures(fbot, parent) == 0


async def test_deep_json_is_refused_with_the_strict_headers(fbot: Harness, client: FormClient) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(client.base + "/form/api/submit", data=b"[" * 5000,
                                headers={"Content-Type": "application/json"}) as response:
            status, csp = response.status, response.headers.get("Content-Security-Policy")
    assert status == 400 and csp is not None, (status, csp)  # was a bare 500: no CSP, no no-store


async def test_a_lone_surrogate_is_refused_before_the_dialogue(fbot: Harness, client: FormClient,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    """JSON may carry "\\ud800" (Telegram's chat never delivers such text). Fed to the step, Argon2's encode()
    raised UnicodeEncodeError: an ERROR traceback in the log, "problème technique" in the chat, the link spent."""
    parent = await fbot.parent()
    await flows.to_password(parent)
    url = await form_url(parent)
    init = signed(parent)
    status, opened = await client.open(token_of(url), init)
    lone = "Zq8!vKp2#Lm\ud800w"  # json.dumps writes it as the escape \\ud800, as a forged client would send it
    body = json.dumps({"token": opened["token"], "init_data": init, "values": {"value": lone, "confirm": lone}}).encode()
    status, answer = await client.post("/form/api/submit", body)
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert status == 400 and not errors, (status, answer, [r.getMessage() for r in errors])


async def test_a_burst_of_forgeries_with_a_live_link_withdraws_it_and_locks_no_one(fbot: Harness, client: FormClient) -> None:
    """40 forgeries in a second with the owner's live link: the link is withdrawn at the first, no lock at all
    (they took the owner's lock through all 7 doublings: 32 h); the owner's next prompt brings a new link."""
    parent = await fbot.parent()
    await at_provisional(parent)
    url = await form_url(parent)
    for _ in range(8 * MAX_FAILURES):
        await client.open(token_of(url), "user=%7B%22id%22%3A1%7D&auth_date=1&hash=00")
    assert await fbot.store.attempts.locked_until(("user", str(parent.user_id))) is None
    status, answer = await client.open(token_of(url), signed(parent))
    assert (status, answer.get("code")) == (410, "unknown")  # withdrawn: it works for no one now
