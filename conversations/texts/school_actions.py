"""What a family is told when its school acts on its account (a reset, a lock lifted), outside its own messages."""

from __future__ import annotations

from i18n import N_, Catalog

CATALOG = Catalog("school_actions")

__all__: list[str] = []  # every text here is the family's, read through the package in its language

ACCOUNT_RESET_NOTICE = N_("ℹ️ Le collège vient de réinitialiser votre compte ENT. Ce que vous étiez en train de faire "
                          "s'arrête là, sans conséquence. Quand vous aurez reçu le <b>nouveau</b> mot de passe "
                          "provisoire, tapez /start et touchez « Mon compte a été réinitialisé ».")
UNLOCKED_PARENT = N_("🔓 Le collège a levé le blocage : vous pouvez reprendre.")
UNLOCKED_PARENT_NO_STEP = N_("🔓 Le collège a levé le blocage : vous pouvez reprendre. Tapez /start pour le menu.")
