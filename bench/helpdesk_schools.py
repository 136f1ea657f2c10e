"""The help desk with many schools, against one school or no flood in the same run: how long a school's new ticket
waits for its staff group while another school's group is flooded; the CPU of a parent's message to the help desk
with 70 schools against 1; and finding a school by part of its name among 70.

In process: the real Application against the Bot API sandbox, a fresh SQLite file per run. About a minute.
`python bench/helpdesk_schools.py [--schools 70] [--flood 300] [--messages 120]`
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import App, build_application, start_in_loop, stop_in_loop, store_of
from bot.processor import PerUserProcessor
from bot.settings import Settings
from conversations.common import DEPS_KEY, Deps, School, StaffConfig
from conversations.helpdesk import find_schools
from sandbox.driver import Chat, Sandbox
from sandbox.server import SandboxServer
from storage.db import Clock
from storage.schools import check_letter
from storage.tickets import NewMessage

TOKEN = "123456789:SANDBOX-token-for-bench"
TOWNS = ["Tours", "Amboise", "Chinon", "Loches", "Joué-lès-Tours", "Saint-Cyr-sur-Loire", "Montlouis-sur-Loire",
         "Bléré", "Château-Renault", "Langeais", "Saint-Avertin", "Ballan-Miré", "Descartes", "Richelieu"]


def schools(count: int, groups: bool = True) -> tuple[School, ...]:
    made: list[School] = []
    for index in range(count):
        digits = f"0379{index + 1:03d}"
        uai = digits + check_letter(digits)
        made.append(School(name=f"Collège n°{index} {TOWNS[index % len(TOWNS)]}", contact_email=f"ce.{uai.lower()}@ac.fr",
                           ent_url="https://www.touraine-eschool.fr", uai=uai,
                           staff=StaffConfig(frozenset({900000 + index}), -1009000000 - index if groups else None),
                           postal_address=f"{index} rue de l'École, 37000 {TOWNS[index % len(TOWNS)]}"))
    return tuple(made)


class Run:
    """One bot on a fresh database, its staff groups in the sandbox."""

    def __init__(self, count: int, groups: bool = True) -> None:
        self.count = count
        self.with_groups = groups
        self.server = SandboxServer()
        self.tmp = tempfile.TemporaryDirectory()
        self.app: App | None = None
        self.groups: list[Chat] = []

    async def __aenter__(self) -> Run:
        await self.server.start()
        listed = schools(self.count, self.with_groups)
        settings = Settings(token=TOKEN, api_url=self.server.api_url, database=Path(self.tmp.name) / "entbot.sqlite3",
                            school_contact_email=listed[0].contact_email, poll_timeout=1, quiet_hours=None,
                            school_uai=listed[0].uai, school_name=listed[0].name,
                            staff_chat_id=listed[0].staff.chat_id, staff_user_ids=listed[0].staff.user_ids,
                            school_list=listed if self.count > 1 else ())
        self.app = build_application(settings, Clock())
        await start_in_loop(self.app)
        processor = self.app.update_processor
        assert isinstance(processor, PerUserProcessor)
        self.sandbox = Sandbox(self.server.url, waiter=processor.wait_handled)
        self.schools = listed
        for school in listed:
            if school.staff.chat_id is not None:
                self.groups.append(await self.sandbox.group(school.name, [], chat_id=school.staff.chat_id))
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.app is not None
        await stop_in_loop(self.app)
        await self.sandbox.close()
        await self.server.stop()
        self.tmp.cleanup()

    @property
    def deps(self) -> Deps:
        assert self.app is not None
        value = self.app.bot_data[DEPS_KEY]
        assert isinstance(value, Deps)
        return value

    async def queue(self, user: int, school: School) -> None:
        """A ticket, queued for its school's group exactly as the help desk queues it."""
        assert self.app is not None
        await store_of(self.app).tickets.submit(user, f"Parent {user}", None, None, "Identifiant : inconnu", False,
                                                NewMessage("text", "Bonjour"), None,
                                                to_group=school.staff.chat_id is not None, uai=school.uai)
        self.deps.wake_staff_poster()

    async def header_delay(self, school_index: int) -> float:
        """Seconds from a new ticket at this school to its header in the school's group."""
        start = time.monotonic()
        await self.queue(5_000_000 + school_index, self.schools[school_index])
        group = self.groups[school_index]
        while not any(m.from_bot and m.text.startswith("🆘") for m in await group.messages()):  # noqa: ASYNC110
            await asyncio.sleep(0.01)  # (the sandbox's state, polled as the tests do)
        return time.monotonic() - start


async def fairness(count: int, flood: int) -> tuple[float, float]:
    """School 1's new ticket: without any flood, then while school 0's group has `flood` tickets waiting."""
    async with Run(count) as run:
        quiet = await run.header_delay(1)
    async with Run(count) as run:
        for user in range(flood):
            await run.queue(1_000_000 + user, run.schools[0])
        await asyncio.sleep(1.0)  # school 0's group takes its minute's worth, the rest of the flood waits
        flooded = await run.header_delay(1)
        sent = len([m for m in await run.groups[0].messages() if m.from_bot])
        assert sent <= 18, sent
    return quiet, flooded


async def message_cpu(count: int, messages: int) -> float:
    """CPU seconds per follow-up message of a parent on an open ticket (the parent's, the bot's and the sandbox's
    work in this one process: the same in both runs, so the ratio is the bot's difference). The schools have no
    staff group here: with one school its group would take 18 posts a minute and leave the rest unsent, with 70 all
    would go, and the runs would not do the same work (the staff groups' pace is measured above)."""
    async with Run(count, groups=False) as run:
        people = [await run.sandbox.person(f"P{n}") for n in range(messages // 3)]
        for n, person in enumerate(people):  # each opens a ticket at a school of the deployment
            await run.queue(person.user_id, run.schools[n % count])
        start = time.process_time()
        for round_ in range(3):
            for person in people:
                await person.send(f"Message {round_} de {person.first_name}")
        spent = time.process_time() - start
        assert "ajouté à votre demande" in await people[-1].text()
    return spent / (3 * len(people))


def search_cost(count: int, repeat: int = 2000) -> float:
    listed = schools(count)
    start = time.perf_counter()
    for n in range(repeat):
        find_schools(listed, TOWNS[n % len(TOWNS)])
    return (time.perf_counter() - start) / repeat


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=70)
    parser.add_argument("--flood", type=int, default=300)
    parser.add_argument("--messages", type=int, default=120)
    args = parser.parse_args()
    quiet, flooded = await fairness(args.schools, args.flood)
    print(f"staff groups, {args.schools} schools: a new ticket's header in its group after {quiet * 1000:.0f} ms "
          f"with no flood, {flooded * 1000:.0f} ms while another school's group has {args.flood} tickets waiting")
    one = statistics.median([await message_cpu(1, args.messages) for _ in range(3)])
    many = statistics.median([await message_cpu(args.schools, args.messages) for _ in range(3)])
    print(f"a parent's follow-up message (CPU, bot and sandbox in one process): {one * 1000:.2f} ms with 1 school, "
          f"{many * 1000:.2f} ms with {args.schools} ({(many / one - 1) * 100:+.1f} %)")
    print(f"finding a school by a town's name: {search_cost(1) * 1e6:.1f} µs among 1, "
          f"{search_cost(args.schools) * 1e6:.1f} µs among {args.schools}")


if __name__ == "__main__":
    asyncio.run(main())
