"""Who is who in the demo: the two parents, the secretary, the staff group and the channel, as the page shows them."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.world import World

# Fixed ids, so that the bot's settings (STAFF_USER_IDS, STAFF_CHAT_ID, ANNONCES_CHANNEL_ID) can name them.
PARENT1_ID = 5000001
PARENT2_ID = 5000002
STAFF_ID = 5000010
STAFF_GROUP_ID = -1005000000001
CHANNEL_ID = -1005000000002

SCHOOL_NAME = "Collège de démonstration"
SCHOOL_EMAIL = "secretariat@college-demonstration.fr"
MAIL_FROM = "assistant-ent@college-demonstration.fr"
PARENT_EMAIL = "amina.benali@famille-demonstration.fr"  # what a visitor may type at step 4


@dataclass(frozen=True)
class View:
    """One entry of the page's switch: a chat, seen by the person who acts in it (none in the channel)."""

    id: str
    label: str
    chat_id: int
    actor_id: int | None
    hint: str

    def to_json(self) -> dict[str, object]:
        # In a group, staff answer a ticket by replying to its message, as in Telegram.
        return {"id": self.id, "label": self.label, "can_write": self.actor_id is not None, "hint": self.hint,
                "replies": self.chat_id < 0 and self.actor_id is not None}


VIEWS: tuple[View, ...] = (
    View("parent1", "Amina (parent)", PARENT1_ID, PARENT1_ID,
         "Amina, une mère d'élève, dans sa conversation avec le bot."),
    View("parent2", "Karim (parent)", PARENT2_ID, PARENT2_ID,
         "Karim, un autre parent : sa propre conversation avec le bot."),
    View("staff-group", "Groupe du secrétariat", STAFF_GROUP_ID, STAFF_ID,
         "Le groupe Telegram du secrétariat, vu par Sylvie : les demandes des familles y arrivent ; "
         "pour répondre, touchez « Répondre » sous une demande."),
    View("staff", "Sylvie (secrétariat)", STAFF_ID, STAFF_ID,
         "La conversation privée de Sylvie avec le bot : /annonce, /stats, /compte jean.dupont12, /lettre noah.petit3…"),
    View("channel", "Canal d'annonces", CHANNEL_ID, None,
         "Le canal d'annonces du collège : le bot y publie les annonces du secrétariat."),
)
BY_ID = {view.id: view for view in VIEWS}


def populate(world: World) -> None:
    """The people and chats of the demo, as a school would have set them up in Telegram."""
    world.add_user("Amina", "Benali", user_id=PARENT1_ID)
    world.add_user("Karim", "Haddad", user_id=PARENT2_ID)
    world.add_user("Sylvie", "Moreau", user_id=STAFF_ID)
    group = world.add_group("Secrétariat — ENT", [STAFF_ID], chat_id=STAFF_GROUP_ID)
    group.admins.add(world.bot.id)
    world.add_group("Annonces du collège", [], chat_id=CHANNEL_ID, kind="channel")


def name_of(world: World, user_id: int | None) -> str:
    if user_id is None or user_id == world.bot.id:
        return world.bot.first_name
    user = world.users.get(user_id)
    return user.first_name if user else "?"
