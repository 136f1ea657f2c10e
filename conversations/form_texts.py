"""The secure form's words: its button and hint in the chat and everything its page says (the family's, translated
in the `form` catalog), and the IT referent's and the DPO's lines (French)."""

from __future__ import annotations

from i18n import N_, Catalog

CATALOG = Catalog("form")
_ = CATALOG.gettext
ngettext = CATALOG.ngettext

__all__ = [  # functions, and the staff's French; every other upper-case text is the family's, read in its language
    "CATALOG", "DOCTOR_FORM", "DOCTOR_FORM_OFF", "answer_title", "doctor_form_down", "doctor_form_ok", "refused",
    "register_section", "rule_kinds", "rule_length",
]

# -- in the chat ------------------------------------------------------------------------------------

# TRANSLATORS: button
BUTTON = N_("🔒 Saisir dans le formulaire sécurisé")
# TRANSLATORS: quote the button's own words (your translation of it, without its emoji)
HINT = N_("🛡 <b>Plus sûr</b> : touchez « Saisir dans le formulaire sécurisé ». Ce que vous y tapez va directement "
          "au serveur du collège, sans passer par la conversation. Vous pouvez aussi l'écrire ici.")

# -- on the page: the frame -------------------------------------------------------------------------

PAGE_TITLE = N_("Formulaire sécurisé — Assistant ENT")
LOADING = N_("Chargement du formulaire…")
NO_SCRIPT = N_("Ce formulaire a besoin de JavaScript. Ouvrez-le depuis le bouton du bot dans Telegram.")
# TRANSLATORS: quote the chat button's own words (your translation of it, without its emoji)
OUTSIDE_TELEGRAM = N_("Ce formulaire s'ouvre seulement depuis Telegram : revenez dans la conversation avec le bot "
                      "et touchez le bouton « Saisir dans le formulaire sécurisé ».")
# TRANSLATORS: the page's send button (short)
SUBMIT = N_("Envoyer")
SENDING = N_("Envoi…")
# TRANSLATORS: the small button beside a password field that shows what was typed (short)
SHOW = N_("Afficher")
# TRANSLATORS: the same button once the password is shown: hides it again (short)
HIDE = N_("Masquer")
DONE = N_("✅ Envoyé. La suite s'affiche dans la conversation avec le bot.")
NETWORK = N_("Le serveur du collège ne répond pas. Vérifiez votre connexion et réessayez.")
FOOTER = N_("🔒 Ce que vous tapez ici va directement au serveur du collège (chiffré), jamais dans la conversation.")

# -- why a submission is refused (the page shows it; the dialogue is unchanged) -------------------------

_REFUSED = {
    "bad_request": N_("Cette demande est incomplète ou mal formée. Fermez ce formulaire et rouvrez-le depuis la "
                      "conversation."),
    "too_big": N_("Ce que vous avez tapé est trop long."),
    "unknown": N_("Ce lien n'est plus valable (un formulaire plus récent a été ouvert, ou l'étape est passée). "
                  "Fermez ce formulaire et touchez le bouton du dernier message du bot."),
    "spent": N_("Ce formulaire a déjà été envoyé une fois : il ne sert qu'une fois. Fermez-le et touchez le bouton du "
                "dernier message du bot."),
    "expired": N_("Ce formulaire a expiré (il reste valable quelques minutes). Fermez-le et touchez le bouton du "
                  "dernier message du bot, ou tapez votre réponse dans la conversation."),
    "not_signed": N_("Telegram n'a pas pu confirmer qui ouvre ce formulaire. Fermez-le et rouvrez-le depuis la "
                     "conversation avec le bot."),
    "other_user": N_("Ce formulaire a été ouvert pour une autre personne. Ouvrez le vôtre depuis votre propre "
                     "conversation avec le bot."),
    "old_signature": N_("Ce formulaire a été ouvert avant l'étape en cours. Fermez-le et rouvrez-le depuis la "
                        "conversation."),
    "other_step": N_("Votre conversation avec le bot est passée à une autre étape. Fermez ce formulaire et suivez le "
                     "dernier message du bot."),
    "locked": N_("Trop d'essais : patientez, la conversation avec le bot vous dit combien de temps."),
    "busy": N_("Le serveur est très occupé. Réessayez dans une minute."),
    "error": N_("Un problème technique est survenu. Fermez ce formulaire et tapez votre réponse dans la conversation, "
                "ou réessayez dans quelques minutes."),
}
# Before the bot's own words, when the step refused the value.
STEP_REFUSED = N_("Ce n'est pas accepté :")


def refused(code: str) -> str:
    """Why the page's request was turned down (bot/webform.py's codes), in the family's language."""
    return _(_REFUSED[code])


# -- on the page: each step -----------------------------------------------------------------------

PROVISIONAL_TITLE = N_("Mot de passe provisoire")
PROVISIONAL_INTRO = N_("Tapez le mot de passe provisoire envoyé par le collège. Respectez les majuscules et les "
                       "minuscules.")
# TRANSLATORS: the field's label (the same words as the page's title)
PROVISIONAL_LABEL = N_("Mot de passe provisoire")
REAUTH_TITLE = N_("Vérification")
REAUTH_INTRO = N_("Par sécurité, tapez à nouveau votre mot de passe provisoire pour continuer l'activation.")
_ANSWER_TITLE = {1: N_("Première question secrète"), 2: N_("Seconde question secrète")}
ANSWER_INTRO = N_("Choisissez la question et tapez votre réponse. Majuscules, accents et espaces ne comptent pas.")
FORGOT_ANSWER_INTRO = N_("Répondez à la question que vous aviez choisie. Majuscules, accents et espaces ne comptent "
                         "pas.")
QUESTION_LABEL = N_("Question")
ANSWER_LABEL = N_("Votre réponse")
PASSWORD_TITLE = N_("Votre nouveau mot de passe")
PASSWORD_INTRO = N_("Choisissez un mot de passe que personne ne peut deviner. Il doit :")
PASSWORD_LABEL = N_("Nouveau mot de passe")
CONFIRM_TITLE = N_("Confirmation du mot de passe")
CONFIRM_INTRO = N_("Tapez une seconde fois le mot de passe que vous venez de choisir.")
CONFIRM_LABEL = N_("Le même mot de passe, une seconde fois")
MISMATCH = N_("Les deux mots de passe ne sont pas identiques.")
CODE_TITLE = N_("Code reçu par e-mail")
CODE_INTRO = N_("Tapez le code à 6 chiffres reçu par e-mail.")
CODE_LABEL = N_("Code à 6 chiffres")
LOGIN_TITLE = N_("Tester ma connexion")
LOGIN_INTRO = N_("Tapez votre mot de passe ENT actuel : je vérifie qu'il fonctionne avec votre identifiant.")
LOGIN_LABEL = N_("Mot de passe ENT")
# The live checklist of the password rule: each line ticked as the parent types (same numbers as the chat's rule).
RULE_NOT_IDENTIFIER = N_("ne pas contenir votre identifiant, ni être un mot de passe courant")


def answer_title(number: int) -> str:
    """The page's title at the first or the second secret question."""
    return _(_ANSWER_TITLE[number])


def rule_length(min_length: int) -> str:
    """The checklist's line on the length (completes « Il doit : »)."""
    return ngettext("au moins {min_length} caractère", "au moins {min_length} caractères",
                    min_length).format(min_length=min_length)


def rule_kinds(min_kinds: int) -> str:
    """The checklist's line on the mix of kinds (completes « Il doit : »)."""
    return ngettext("au moins {min_kinds} sorte parmi : minuscules, majuscules, chiffres, caractères spéciaux",
                    "au moins {min_kinds} sortes parmi : minuscules, majuscules, chiffres, caractères spéciaux",
                    min_kinds).format(min_kinds=min_kinds)


# -- privacy: the notice (/confidentialite) -------------------------------------------------------------

# TRANSLATORS: quote the chat button's own words (your translation of it, without its emoji)
PRIVACY_NOTE = N_("🛡 <b>Formulaire sécurisé</b> : aux étapes qui demandent un secret, le bouton « Saisir dans le "
                  "formulaire sécurisé » ouvre une page du collège dans Telegram. Ce que vous y tapez va directement "
                  "au serveur du collège, chiffré, sans passer par la conversation ni par les serveurs de Telegram. "
                  "Telegram transmet seulement votre numéro et votre prénom Telegram pour prouver que c'est vous. "
                  "Chaque lien ne sert qu'une fois, 15 minutes au plus, et est effacé 2 jours après.")

# -- `entbot doctor` ------------------------------------------------------------------------------------

DOCTOR_FORM = "Formulaire sécurisé"
DOCTOR_FORM_OFF = "désactivé (pas de WEBAPP_URL) : les secrets se tapent dans la conversation"


def doctor_form_ok(url: str) -> str:
    return f"{url} répond (le proxy joint bien le bot)"


def doctor_form_down(url: str, why: str) -> str:
    return (f"{url}/form/health ne répond pas ({why}). Le bot tourne-t-il (entbot run) ? Le proxy HTTPS transmet-il "
            "/form vers WEB_LISTEN ? Voir docs/installation.md, « Le formulaire sécurisé ».")


# -- the DPO's register (`entbot privacy register`), French -------------------------------------------


def register_section(url: str) -> str:
    """The register's paragraph on the form, when WEBAPP_URL is set."""
    return f"""
## Formulaire sécurisé (Mini App Telegram)

Aux étapes qui demandent un secret (mot de passe provisoire, réponses secrètes, nouveau mot de passe et sa
confirmation, codes reçus par courriel, mot de passe oublié, test de connexion), le bot propose une page
servie par le serveur du collège ({url}) et ouverte dans Telegram. Ce qui y est tapé va du téléphone au
serveur du collège en HTTPS, sans passer par la conversation ni par les serveurs de Telegram. La page
reçoit de Telegram des données signées (`initData` : numéro, prénom, langue de l'utilisateur Telegram,
date), vérifiées avec le jeton du bot et jamais conservées ni écrites en entier dans les journaux.

- Chaque page a son lien, à usage unique, valable 15 minutes, lié à une conversation et à une étape ; le
  lien n'est gardé que sous forme d'empreinte SHA-256, puis effacé 2 jours après son expiration.
- Les valeurs tapées suivent le même chemin que dans la conversation : mêmes vérifications, mêmes
  limites d'essais, même hachage Argon2id ; elles ne sont ni écrites dans la base ni dans les journaux.
- Le serveur ne tient pas de journal d'accès (le lien de chaque page y figurerait) ; il journalise
  seulement l'étape, le numéro Telegram et l'issue (acceptée, refusée et pourquoi).
- Chaque réponse porte une politique de sécurité du contenu stricte (aucun script intégré, seuls les
  clients web de Telegram peuvent l'afficher dans un cadre), `Cache-Control: no-store` et
  `Referrer-Policy: no-referrer` ; seule ressource extérieure : le script `telegram-web-app.js` de Telegram.
"""


# The family's texts are read as `form_texts.NAME` in the language of the update at hand, as conversations/texts
# serves its flows' (its package __getattr__): each is taken out of the module's namespace here so that every read
# goes through __getattr__ below, which translates it (mypy still sees each name, typed str, above).
_FRENCH: dict[str, str] = {name: value for name, value in globals().items()
                           if name.isupper() and isinstance(value, str) and name not in __all__}
for _name in _FRENCH:
    del globals()[_name]
del _name


def __getattr__(name: str) -> str:
    """A family's text of the form, in the language of the update (or page request) at hand."""
    try:
        french = _FRENCH[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    return _(french)
