"""The secure form's words, in French: its button and hint in the chat, and everything its page says."""

from __future__ import annotations

# -- in the chat ------------------------------------------------------------------------------------

BUTTON = "🔒 Saisir dans le formulaire sécurisé"
HINT = ("🛡 <b>Plus sûr</b> : touchez « Saisir dans le formulaire sécurisé ». Ce que vous y tapez va directement "
        "au serveur du collège, sans passer par la conversation. Vous pouvez aussi l'écrire ici.")

# -- on the page: the frame -------------------------------------------------------------------------

PAGE_TITLE = "Formulaire sécurisé — Assistant ENT"
LOADING = "Chargement du formulaire…"
NO_SCRIPT = "Ce formulaire a besoin de JavaScript. Ouvrez-le depuis le bouton du bot dans Telegram."
OUTSIDE_TELEGRAM = ("Ce formulaire s'ouvre seulement depuis Telegram : revenez dans la conversation avec le bot "
                    "et touchez le bouton « Saisir dans le formulaire sécurisé ».")
SUBMIT = "Envoyer"
SENDING = "Envoi…"
SHOW = "Afficher"
HIDE = "Masquer"
DONE = "✅ Envoyé. La suite s'affiche dans la conversation avec le bot."
NETWORK = "Le serveur du collège ne répond pas. Vérifiez votre connexion et réessayez."
FOOTER = "🔒 Ce que vous tapez ici va directement au serveur du collège (chiffré), jamais dans la conversation."

# -- why a submission is refused (the page shows it; the dialogue is unchanged) -------------------------

REFUSED = {
    "bad_request": "Cette demande est incomplète ou mal formée. Fermez ce formulaire et rouvrez-le depuis la conversation.",
    "too_big": "Ce que vous avez tapé est trop long.",
    "unknown": ("Ce lien n'est plus valable (un formulaire plus récent a été ouvert, ou l'étape est passée). "
                "Fermez ce formulaire et touchez le bouton du dernier message du bot."),
    "spent": ("Ce formulaire a déjà été envoyé une fois : il ne sert qu'une fois. Fermez-le et touchez le bouton du "
              "dernier message du bot."),
    "expired": ("Ce formulaire a expiré (il reste valable quelques minutes). Fermez-le et touchez le bouton du dernier "
                "message du bot, ou tapez votre réponse dans la conversation."),
    "not_signed": ("Telegram n'a pas pu confirmer qui ouvre ce formulaire. Fermez-le et rouvrez-le depuis la "
                   "conversation avec le bot."),
    "other_user": ("Ce formulaire a été ouvert pour une autre personne. Ouvrez le vôtre depuis votre propre "
                   "conversation avec le bot."),
    "old_signature": "Ce formulaire a été ouvert avant l'étape en cours. Fermez-le et rouvrez-le depuis la conversation.",
    "other_step": ("Votre conversation avec le bot est passée à une autre étape. Fermez ce formulaire et suivez le "
                   "dernier message du bot."),
    "locked": "Trop d'essais : patientez, la conversation avec le bot vous dit combien de temps.",
    "busy": "Le serveur est très occupé. Réessayez dans une minute.",
    "error": ("Un problème technique est survenu. Fermez ce formulaire et tapez votre réponse dans la conversation, "
              "ou réessayez dans quelques minutes."),
}
STEP_REFUSED = "Ce n'est pas accepté :"  # before the bot's own words, when the step refused the value

# -- on the page: each step -----------------------------------------------------------------------

PROVISIONAL_TITLE = "Mot de passe provisoire"
PROVISIONAL_INTRO = "Tapez le mot de passe provisoire envoyé par le collège. Respectez les majuscules et les minuscules."
PROVISIONAL_LABEL = "Mot de passe provisoire"
REAUTH_TITLE = "Vérification"
REAUTH_INTRO = "Par sécurité, tapez à nouveau votre mot de passe provisoire pour continuer l'activation."
ANSWER_TITLE = {1: "Première question secrète", 2: "Seconde question secrète"}
ANSWER_INTRO = "Choisissez la question et tapez votre réponse. Majuscules, accents et espaces ne comptent pas."
FORGOT_ANSWER_INTRO = "Répondez à la question que vous aviez choisie. Majuscules, accents et espaces ne comptent pas."
QUESTION_LABEL = "Question"
ANSWER_LABEL = "Votre réponse"
PASSWORD_TITLE = "Votre nouveau mot de passe"
PASSWORD_INTRO = "Choisissez un mot de passe que personne ne peut deviner. Il doit :"
PASSWORD_LABEL = "Nouveau mot de passe"
CONFIRM_TITLE = "Confirmation du mot de passe"
CONFIRM_INTRO = "Tapez une seconde fois le mot de passe que vous venez de choisir."
CONFIRM_LABEL = "Le même mot de passe, une seconde fois"
MISMATCH = "Les deux mots de passe ne sont pas identiques."
CODE_TITLE = "Code reçu par e-mail"
CODE_INTRO = "Tapez le code à 6 chiffres reçu par e-mail."
CODE_LABEL = "Code à 6 chiffres"
LOGIN_TITLE = "Tester ma connexion"
LOGIN_INTRO = "Tapez votre mot de passe ENT actuel : je vérifie qu'il fonctionne avec votre identifiant."
LOGIN_LABEL = "Mot de passe ENT"
# The live checklist of the password rule: each line ticked as the parent types (same numbers as the chat's rule).
RULE_LENGTH = "au moins {min_length} caractères"
RULE_KINDS = "au moins {min_kinds} sortes parmi : minuscules, majuscules, chiffres, caractères spéciaux"
RULE_NOT_IDENTIFIER = "ne pas contenir votre identifiant, ni être un mot de passe courant"

# -- `entbot doctor` ------------------------------------------------------------------------------------

DOCTOR_FORM = "Formulaire sécurisé"
DOCTOR_FORM_OFF = "désactivé (pas de WEBAPP_URL) : les secrets se tapent dans la conversation"


def doctor_form_ok(url: str) -> str:
    return f"{url} répond (le proxy joint bien le bot)"


def doctor_form_down(url: str, why: str) -> str:
    return (f"{url}/form/health ne répond pas ({why}). Le bot tourne-t-il (entbot run) ? Le proxy HTTPS transmet-il "
            "/form vers WEB_LISTEN ? Voir docs/installation.md, « Le formulaire sécurisé ».")

# -- privacy: the notice (/confidentialite) and the register (`entbot privacy register`) -----------------

PRIVACY_NOTE = ("🛡 <b>Formulaire sécurisé</b> : aux étapes qui demandent un secret, le bouton « Saisir dans le "
                "formulaire sécurisé » ouvre une page du collège dans Telegram. Ce que vous y tapez va directement "
                "au serveur du collège, chiffré, sans passer par la conversation ni par les serveurs de Telegram. "
                "Telegram transmet seulement votre numéro et votre prénom Telegram pour prouver que c'est vous. "
                "Chaque lien ne sert qu'une fois, 15 minutes au plus, et est effacé 2 jours après.")


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
