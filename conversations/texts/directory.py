"""What the bot says when the ENT's directory refuses a change or cannot finish one."""

from __future__ import annotations

from i18n import N_, Catalog

CATALOG = Catalog("directory")

__all__ = [  # staff's, in French; the rest is the family's, read through the package in its language
    "RESET_NOT_FAMILY",
]

RESET_NOT_FAMILY = ("Le compte <code>{identifier}</code> n'est pas celui d'une famille (c'est un compte du personnel "
                    "dans l'annuaire de l'ENT) : je ne le réinitialise pas et n'y touche pas. Son mot de passe relève "
                    "de l'administrateur de l'ENT.")
ACCOUNT_RESET_BY_ENT = N_("Ce compte a été remis à zéro dans l'ENT depuis son activation : l'ancien mot de passe "
                          "provisoire ne sert plus. Le collège doit vous transmettre un <b>nouveau</b> mot de passe "
                          "provisoire ; écrivez-lui avec le bouton ci-dessous.")
ACTIVATION_NOT_FINISHED = N_("😕 L'annuaire de l'ENT n'a pas accepté l'activation pour l'instant : rien n'a été changé. "
                             "Retapez votre mot de passe dans un moment pour réessayer, ou écrivez au collège avec "
                             "le bouton ci-dessous.")
