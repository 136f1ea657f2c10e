"""What a family reads in the six steps of the activation."""

from __future__ import annotations

import re
from functools import cache
from html import escape, unescape

import i18n  # its upper-case strings (SOURCE, FSI…) read through it: a module's own are its texts
from conversations.texts.common import question_shown
from i18n import N_, Catalog, MissingCatalog, current, using

CATALOG = Catalog("activation")
_ = CATALOG.gettext
ngettext = CATALOG.ngettext

# -- activation, step by step ----------------------------------------------------------------

__all__ = [  # staff's and the code's, as they are; the rest is the family's, read through the package in its language
    "CGU_GUIDE_EXCERPT",
    "STEP_NAME",
    "STEP_NUMBER",
    "answer_prompt",
    "cgu_step",
    "email_code",
    "email_code_mail",
    "email_code_wrong",
    "email_confirm",
    "expects",
    "kept_messages",
    "locked",
    "password_problem",
    "password_rejected",
    "password_rule",
    "password_step",
    "provisional",
    "question_prompt",
    "start_mid_flow",
    "step_name",
    "where",
]


RESET_INTRO = N_("♻️ <b>Votre compte a été réinitialisé</b> par le collège : votre ancien mot de passe et vos "
                 "réponses secrètes ne fonctionnent plus. Il faut le réactiver, comme la première fois, avec le "
                 "<b>nouveau mot de passe provisoire</b> que le collège vous a transmis. Six étapes, quelques minutes.")

# The ENT's « Bienvenue dans votre ENT ! » screen; its ÉduConnect paragraph is the menu's EDUCONNECT, repeated here
# so that the step is one text for translators (a test keeps the two alike).
PROFILE = N_("<b>Étape 1/6</b> — Votre profil\n\nQui êtes-vous ? Choisissez ci-dessous, comme sur l'écran "
             "« Bienvenue dans votre ENT ! ».\n\n"
             "Vous avez un compte <b>ÉduConnect</b> (le compte national des parents) ? Sur la page de connexion "
             "de l'ENT, choisissez « Élève ou parent » puis « ÉduConnect », et connectez-vous avec ce compte : "
             "il n'a pas besoin d'être activé ici.")
# The three choices are the ENT's own words: a translation keeps them, with a short gloss beside when it fits.
# TRANSLATORS: button
PROFILE_PARENT = N_("👪 Élève ou parent")
# The account belongs to none of the deployment's schools (its ENT entry's, or the school files imported): one
# sentence, no other detail.
NOT_OUR_SCHOOL = N_("Votre compte ENT n'est rattaché à aucun des établissements que cet assistant accompagne : "
                    "adressez-vous à l'établissement de votre enfant.")
ACCOUNT_BLOCKED = N_("🔒 Ce compte est bloqué dans l'annuaire de l'ENT : il ne peut pas être activé ici. "
                     "Contactez le collège, qui pourra le débloquer ; vous pouvez lui écrire avec le bouton ci-dessous.")
# TRANSLATORS: button; the ENT's words, already 37 of the 40 characters: keep them as they are (the step's text
# translates them)
PROFILE_STAFF = N_("🏫 Personnel de l'éducation nationale")
# TRANSLATORS: button
PROFILE_OTHER = N_("🏢 Autre public")
PROFILE_STAFF_ANSWER = N_("Les personnels de l'éducation nationale se connectent avec leur compte académique "
                          "(le même que pour la messagerie professionnelle), en choisissant « Personnel de "
                          "l'éducation nationale » sur la page de connexion de l'ENT. Ce compte n'a pas besoin "
                          "d'être activé ici. Tapez /start pour revenir au menu.")
PROFILE_OTHER_ANSWER = N_("Le personnel de collectivité, les entreprises et les utilisateurs locaux se connectent en "
                          "choisissant « Autre public » sur la page de connexion de l'ENT, avec les accès donnés "
                          "par leur organisme. Pour toute question, contactez le collège. Tapez /start pour revenir "
                          "au menu.")

IDENTIFIER = N_("<b>Étape 2/6</b> — Votre identifiant\n\nTapez l'<b>identifiant</b> transmis par le collège "
                "(sur le courrier ou la feuille remise à votre enfant), par exemple <code>jean.dupont12</code>.")


# The identifier just typed is not repeated: it may be a password typed in the wrong box (issue 22).
def provisional() -> str:
    return _("<b>Étape 2/6</b> — Mot de passe provisoire\n\nIdentifiant reçu.\n\n"
             "Tapez maintenant le <b>mot de passe provisoire</b> envoyé par le collège.\n"
             "⚠️ Respectez bien les majuscules et les minuscules.\n"
             "🔒 J'efface votre message dès que je l'ai lu.")


WRONG_PAIR = N_("❌ Identifiant ou mot de passe provisoire incorrect. Vérifiez les majuscules et les minuscules, puis "
                "retapez le mot de passe provisoire.")
# TRANSLATORS: button
CHANGE_IDENTIFIER = N_("✏️ Changer d'identifiant")
REAUTH_WRONG = N_("❌ Mot de passe provisoire incorrect. Réessayez : majuscules et minuscules comptent.")
ALREADY_ACTIVE = N_("✅ Ce compte est déjà activé. Connectez-vous sur l'ENT avec votre identifiant et le mot de passe "
                    "que vous avez choisi. Si vous l'avez oublié, touchez « Mot de passe oublié » ci-dessous.")

TOO_FAST = N_("⏳ Vous allez un peu vite : je vérifie chaque réponse et chaque mot de passe avec soin, et cela prend "
              "du temps. Par sécurité, j'ai effacé votre message sans le lire.\n\nAttendez une minute, puis tapez-le "
              "à nouveau : vous êtes toujours à la même étape.")


def _duration(minutes: int) -> str:
    if minutes < 120:
        return ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)
    hours = -(-minutes // 60)  # rounded up
    return ngettext("{n} heure", "{n} heures", hours).format(n=hours)


def locked(minutes: int, contact: str | None) -> str:
    if contact:
        return _("🔒 Trop d'essais incorrects. Par sécurité, réessayez dans <b>{duration}</b>.\n\nEn cas de blocage, "
                 "le collège peut vous débloquer : touchez « Écrire au collège », ou écrivez à {contact}").format(
            duration=_duration(minutes), contact=escape(contact))
    return _("🔒 Trop d'essais incorrects. Par sécurité, réessayez dans <b>{duration}</b>.\n\nEn cas de blocage, "
             "le collège peut vous débloquer : touchez « Écrire au collège ».").format(duration=_duration(minutes))


# The guide's own words at step 3, verbatim: the bot invents no terms of use. Binding, so French in every language
# (not in the catalogs): a family reading another language gets a summary labelled as having no legal value.
CGU_GUIDE_EXCERPT = ("Toute personne utilisant les outils et services de l'ESPACE NUMERIQUE DE TRAVAIL Touraine e-school "
                     "mis à disposition par l'établissement, dans le cadre des activités éducatives, à l'intérieur ou à "
                     "l'extérieur de l'établissement. Ci-après dénommé « l'utilisateur », élèves, parents d'élèves, "
                     "tous les personnels de l'Éducation.")
# TRANSLATORS: a summary of the French terms of use above it, shown only to a family reading another language;
# begin with the words saying that it is a translation for information only, with no legal value
CGU_SUMMARY = N_("<i>Résumé traduit, pour information, sans valeur juridique (seul le texte français ci-dessus fait "
                 "foi) :</i> ces règles s'appliquent à toute personne qui utilise les outils et services de l'ENT "
                 "Touraine e-school fournis par l'établissement pour les activités éducatives, dans l'établissement "
                 "ou en dehors : les élèves, les parents d'élèves et tous les personnels de l'Éducation, appelés "
                 "ci-après « l'utilisateur ».")
# TRANSLATORS: button
CGU_FULL_TEXT = N_("📄 Lire les conditions complètes")


def cgu_step(school_text: str | None, has_link: bool) -> str:
    text = _("<b>Étape 3/6</b> — Les règles d'usage de l'ENT\n\n<i>{excerpt}</i>").format(
        excerpt=escape(CGU_GUIDE_EXCERPT))
    if current() != i18n.SOURCE:
        text += "\n\n" + _(CGU_SUMMARY)
    if school_text:  # the school's own rules, as the school wrote them
        text += "\n\n" + _("<b>Règles du collège</b>\n{rules}").format(rules=escape(school_text))
    if has_link:
        text += "\n\n" + _("Le texte complet des Conditions générales d'utilisation de l'ENT : « Lire les conditions "
                           "complètes ».")
    return text + "\n\n" + _("Touchez « J'ai lu et j'accepte » pour accepter les Conditions générales d'utilisation.")


# TRANSLATORS: button
CGU_ACCEPT = N_("✅ J'ai lu et j'accepte")
# TRANSLATORS: button
CGU_REFUSE = N_("❌ Je refuse")
CGU_REFUSED = N_("Vous avez refusé les conditions d'utilisation : l'activation s'arrête là, rien n'a été activé. "
                 "Vous pourrez recommencer quand vous voudrez avec /start. Pour toute question, contactez le collège.")

EMAIL = N_("<b>Étape 4/6</b> — Adresse électronique\n\n"
           "Le collège vous conseille de <b>ne pas</b> indiquer d'adresse personnelle : touchez "
           "« Passer (recommandé) ». Vous pourrez en ajouter une plus tard dans votre espace ENT.\n\n"
           "Si vous tenez à en donner une, tapez-la ici. Elle pourrait être utilisée par l'établissement, "
           "l'Académie d'Orléans-Tours, le Département d'Indre-et-Loire et le GIP RECIA, exclusivement dans le "
           "cadre de l'ENT, et servirait d'adresse de secours en cas d'oubli du mot de passe.")
# TRANSLATORS: button
EMAIL_SKIP = N_("⏭ Passer (recommandé)")
EMAIL_INVALID = N_("Cette adresse ne semble pas valide ({reason}). Tapez-la à nouveau, ou touchez « Passer "
                   "(recommandé) ».")
EMAIL_NO_AT = N_("il manque le @")
EMAIL_CHECK_SPELLING = N_("vérifiez l'orthographe")


def email_confirm(address: str) -> str:
    return _("<b>Étape 4/6</b> — Confirmation\n\nVous avez tapé : <code>{address}</code>\n"
             "Tapez-la une seconde fois pour confirmer.").format(address=escape(address))


EMAIL_MISMATCH = N_("Les deux adresses ne sont pas identiques. Tapez à nouveau votre adresse, ou touchez « Passer "
                    "(recommandé) ».")
# TRANSLATORS: button
EMAIL_CODE_RESEND = N_("🔁 Renvoyer un code")


def email_code(address: str) -> str:
    return _("<b>Étape 4/6</b> — Vérification de l'adresse\n\nJe viens d'envoyer un <b>code à 6 chiffres</b> à "
             "<code>{address}</code>. Tapez-le ici : il est valable 15 minutes.\n\n"
             "Rien reçu après quelques minutes ? Regardez dans les courriers indésirables, ou touchez « Renvoyer un "
             "code ». Vous pouvez aussi passer cette étape.").format(address=escape(address))


EMAIL_CODE_SUBJECT = N_("Votre code de confirmation ENT")  # also in migration 0006, for the mail already queued


def email_code_mail(school: str, code: str, minutes: int) -> tuple[str, str]:
    """The mail in the family's language (plain text: nothing escaped)."""
    # The code never in the subject: subjects are kept (outbox, mail servers' logs) where bodies are not.
    return (_(EMAIL_CODE_SUBJECT),
            _("Bonjour,\n\nVoici votre code de confirmation pour l'Assistant ENT du {school} : {code}\n\n"
              "Tapez-le dans la conversation Telegram avec l'assistant. Il est valable {minutes} minutes.\n\n"
              "Si vous n'avez rien demandé, ignorez ce message.\n").format(school=school, code=code, minutes=minutes))


def email_code_wrong(left: int) -> str:
    if left <= 0:
        return _(EMAIL_CODE_SPENT)
    return ngettext("❌ Code incorrect. Il vous reste {left} essai.", "❌ Code incorrect. Il vous reste {left} essais.",
                    left).format(left=left)


EMAIL_CODE_SPENT = N_("Ce code ne peut plus servir (trop d'essais). Touchez « Renvoyer un code » pour en recevoir un "
                      "nouveau, ou passez cette étape.")
EMAIL_CODE_EXPIRED = N_("Ce code a expiré. Touchez « Renvoyer un code » pour en recevoir un nouveau, ou passez cette "
                        "étape.")
EMAIL_CODE_RESENT = N_("📨 Nouveau code envoyé. Seul le dernier code reçu fonctionne.")
# The day's share of code mails (per account, per Telegram user) is spent: the same words whichever.
EMAIL_CODE_CAPPED = N_("📭 Beaucoup de codes ont déjà été envoyés aujourd'hui pour ce compte : je n'en envoie pas "
                       "d'autre avant demain. Touchez « Passer (recommandé) » pour continuer sans adresse (vous "
                       "choisirez deux questions secrètes), ou réessayez demain.")
FORGOT_CODE_CAPPED = N_("📭 Beaucoup de codes ont déjà été envoyés aujourd'hui pour ce compte : je n'en envoie pas "
                        "d'autre avant demain. Si le dernier code reçu a expiré, réessayez demain, ou écrivez au "
                        "collège : il peut vous aider après avoir vérifié votre identité.")
EMAIL_CODE_NO_MORE = N_("Trois codes ont déjà été envoyés : passez cette étape, ou revenez en arrière pour changer "
                        "d'adresse.")
EMAIL_CONFIRMED_NO_QUESTIONS = N_("✅ Adresse confirmée. Elle vous servira si vous oubliez votre mot de passe : pas de "
                                  "questions secrètes à choisir.")
EMAIL_SAVED = N_("Adresse enregistrée. Elle n'est pas encore vérifiée : aucun courriel ne vous a été envoyé "
                 "pour l'instant.")


def question_prompt(number: int, with_email: bool) -> str:
    if number != 1:
        return _("<b>Étape 5/6</b> — Seconde question secrète\n\nTouchez la question de votre choix ci-dessous.")
    if with_email:
        return _("<b>Étape 5/6</b> — Première question secrète\n\nChoisissez deux questions secrètes et retenez vos "
                 "réponses : elles servent si vous perdez votre mot de passe.\n\n"
                 "Touchez la question de votre choix ci-dessous.")
    return _("<b>Étape 5/6</b> — Première question secrète\n\nVous avez choisi de ne pas indiquer d'adresse "
             "électronique. Pour pouvoir réinitialiser un mot de passe perdu, choisissez deux questions secrètes et "
             "retenez vos réponses.\n\nTouchez la question de votre choix ci-dessous.")


# TRANSLATORS: button
MORE_QUESTIONS = N_("➡️ Autres questions")
# TRANSLATORS: button
FIRST_QUESTIONS = N_("⬅️ Premières questions")


def answer_prompt(number: int, question: int) -> str:
    # The question (translated, with the French the ENT keeps) is set between the title and the instructions.
    title = (_("<b>Étape 5/6</b> — Première question secrète") if number == 1 else
             _("<b>Étape 5/6</b> — Seconde question secrète"))
    return (title + "\n\n" + question_shown(question) + "\n\n"
            + _("Tapez votre réponse. Majuscules, accents et espaces ne comptent pas.\n"
                "🔒 J'efface votre message dès que je l'ai lu."))


ANSWER_SAVED = N_("Réponse enregistrée (effacée du fil, conservée de façon sécurisée).")

KIND_NAMES = N_("minuscules, majuscules, chiffres, caractères spéciaux (par ex. ! ? @ # * -)")


def password_rule(min_length: int, min_kinds: int, new: bool = False) -> str:
    """The rule as the ENT sets it (PASSWORD_MIN_LENGTH, PASSWORD_MIN_KINDS), one checklist, one grammatical form;
    `new`: a forgotten password's replacement, which must differ from the old one (not from a provisional one)."""
    lines = [ngettext("• contenir <b>au moins {min_length} caractère</b> ;",
                      "• contenir <b>au moins {min_length} caractères</b> ;", min_length).format(min_length=min_length)]
    if min_kinds >= 4:
        lines.append(_("• contenir les 4 sortes de caractères : {kind_names} ;").format(kind_names=_(KIND_NAMES)))
    elif min_kinds > 1:
        lines.append(_("• mélanger au moins <b>{min_kinds} sortes</b> de caractères parmi : {kind_names} ;").format(
            min_kinds=min_kinds, kind_names=_(KIND_NAMES)))
    lines.append(_("• ne pas contenir votre identifiant ;"))
    lines.append(_("• être différent de l'ancien.") if new else _("• être différent du mot de passe provisoire."))
    return _("Il doit :") + "\n" + "\n".join(lines)


def password_step(min_length: int, min_kinds: int) -> str:
    return (_("<b>Étape 6/6</b> — Votre mot de passe\n\n"
              "Dernière étape : choisissez un mot de passe compliqué. Aucune personne, même amie, ne doit pouvoir "
              "le deviner.") + "\n\n" + password_rule(min_length, min_kinds)
            + "\n\n" + _("Tapez-le. 🔒 J'efface votre message dès que je l'ai lu."))


# What a refused password must do, one line each (the checklist of password_rejected).
_PASSWORD_PROBLEMS = {
    "length": N_("contenir au moins {min_length} caractères (il en a {length})"),
    "too_long": N_("contenir 128 caractères au plus"),
    "kinds": N_("mélanger au moins {min_kinds} sortes de caractères parmi : {kind_names} (il en mélange {kinds})"),
    "identifier": N_("ne pas contenir votre identifiant"),
    "common": N_("être moins courant (celui-ci est trop facile à deviner)"),
    "provisional": N_("être différent du mot de passe provisoire"),
    "previous": N_("être différent de votre ancien mot de passe"),
}


def password_problem(problem: str, length: int, kinds: int, min_length: int, min_kinds: int) -> str:
    """One thing a refused password must do ("length", "kinds", "common"…), in the family's language."""
    return _(_PASSWORD_PROBLEMS[problem]).format(min_length=min_length, length=length, min_kinds=min_kinds,
                                                 kinds=kinds, kind_names=_(KIND_NAMES))


def password_rejected(problems: list[str], length: int, kinds: int, min_length: int, min_kinds: int) -> str:
    lines = [f"• {password_problem(p, length, kinds, min_length, min_kinds)}" for p in problems]
    return (_("Ce mot de passe ne convient pas. Il doit :") + "\n" + "\n".join(lines) + "\n\n"
            + _("Tapez-en un autre."))


PASSWORD_CONFIRM = N_("<b>Étape 6/6</b> — Confirmation\n\nTapez votre mot de passe une seconde fois.")
PASSWORD_MISMATCH = N_("Les deux mots de passe ne sont pas identiques. Recommençons : tapez le mot de passe choisi.")

# TRANSLATORS: keep the first line as it is from one version to the next: the bot recognises this message by it
ACTIVATED = N_("🎉 <b>Compte activé !</b>\n\nFélicitations ! Votre compte ENT est maintenant actif.\n\n"
               "Pour vous connecter : ouvrez l'ENT, touchez « Se connecter », choisissez « Élève ou parent », "
               "puis tapez votre identifiant <code>{identifier}</code> et le mot de passe que vous venez de choisir.")


@cache
def kept_messages() -> tuple[str, ...]:
    """How the messages a button under them never replaces start, as a chat shows them (no tags), in every shipped
    language: a family may have changed language since the bot sent it."""
    starts = []
    for language in i18n.SHIPPED:
        try:
            with using(language):
                first = _(ACTIVATED).split("\n", 1)[0]
        except MissingCatalog:  # a language the deployment does not offer, left uncompiled
            continue
        starts.append(unescape(re.sub(r"<[^>]*>", "", first)))
    return tuple(dict.fromkeys(starts))


ACTIVATION_RACE = N_("Ce compte vient d'être activé ou réinitialisé par ailleurs : je ne peux pas terminer cette "
                     "activation. Tapez /start pour recommencer, ou contactez le collège.")
ACCOUNT_RESET_MEANWHILE = N_("Le collège a réinitialisé ce compte pendant votre activation. Pas d'inquiétude : "
                             "recommencez avec le <b>nouveau</b> mot de passe provisoire que le collège vous a "
                             "transmis. Tapez /start.")
NO_ACTIVATION = N_("Aucune activation n'est en cours. Tapez /start pour voir le menu.")

PAUSED = N_("⏸ Activation mise en pause. Les étapes déjà validées sont gardées : tapez /start pour reprendre "
            "quand vous voulez.")


def start_mid_flow(step_number: int) -> str:
    return _("Vous en êtes à l'<b>étape {n}/6</b> de l'activation : vos étapes validées sont gardées. "
             "Touchez « Reprendre » pour continuer, ou choisissez autre chose.").format(n=step_number)


REAUTH = N_("Cela fait un moment que vous n'avez rien tapé… Par sécurité, tapez à nouveau votre <b>mot de passe "
            "provisoire</b> pour continuer (identifiant <code>{identifier}</code>).\n🔒 J'efface votre message dès que "
            "je l'ai lu.")
REAUTH_OK = N_("Merci, c'est bien vous. Reprenons.")
RESUMED = N_("Reprenons là où vous en étiez.")

# What each text step expects, said when something else arrives (a sticker, a photo, a voice note…).
_EXPECTS = {
    "identifier": N_("J'attends votre identifiant, tapé au clavier (par exemple jean.dupont12)."),
    "provisional": N_("J'attends votre mot de passe provisoire, tapé au clavier."),
    "reauth": N_("J'attends votre mot de passe provisoire, tapé au clavier."),
    "email": N_("J'attends une adresse électronique tapée au clavier, ou touchez « Passer (recommandé) »."),
    "email_confirm": N_("J'attends la même adresse électronique, tapée une seconde fois."),
    "email_code": N_("J'attends le code à 6 chiffres reçu par courriel, tapé au clavier."),
    "answer1": N_("J'attends votre réponse à la question secrète, tapée au clavier."),
    "answer2": N_("J'attends votre réponse à la question secrète, tapée au clavier."),
    "password": N_("J'attends le mot de passe que vous choisissez, tapé au clavier."),
    "password_confirm": N_("J'attends votre mot de passe, tapé une seconde fois au clavier."),
    "profile": N_("Choisissez votre profil avec les boutons du message ci-dessus."),
    "cgu": N_("Touchez « J'ai lu et j'accepte » ou « Je refuse », sous le message ci-dessus."),
    "question1": N_("Touchez une question dans les boutons du message ci-dessus."),
    "question2": N_("Touchez une question dans les boutons du message ci-dessus."),
}


def expects(state: str) -> str:
    """What the step `state` waits for, said when something else arrives."""
    return _(_EXPECTS[state])


# Where each step is, for /aide and the menu (and staff's /compte, /stats: STEP_NAME is French, staff's).
STEP_NUMBER = {"profile": 1, "identifier": 2, "provisional": 2, "cgu": 3, "email": 4, "email_confirm": 4, "email_code": 4,
               "question1": 5, "answer1": 5, "question2": 5, "answer2": 5, "password": 6, "password_confirm": 6}
STEP_NAME = {1: N_("profil"), 2: N_("identifiant et mot de passe provisoire"), 3: N_("règles d'usage"),
             4: N_("adresse électronique"), 5: N_("questions secrètes"), 6: N_("mot de passe")}


def step_name(number: int) -> str:
    """Step `number`'s name in the family's language."""
    return _(STEP_NAME[number])


def where(step: str) -> str:
    """Where a parent is, to end the sentence « Vous êtes … » (the family's language)."""
    n = STEP_NUMBER[step]
    return _("à l'étape {n}/6 de l'activation ({name})").format(n=n, name=step_name(n))
