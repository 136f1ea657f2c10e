"""The catalogs are whole and faithful: every family text translated in every shipped language, nothing lost.

Each check reads the catalogs as shipped (i18n/locales) against the French of the code, extracted afresh: a French
text changed or added without its translations fails here, not in front of a family.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from i18n import DOMAINS, ENT_WORDS, LOCALES, RIGHT_TO_LEFT, SHIPPED, isolate, latin_outside_isolates

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = SHIPPED[1:]
# Where each domain's French lives (the Makefile's SOURCES_*).
SOURCES = {"form": ROOT / "conversations" / "form_texts.py", "document": ROOT / "render" / "texts.py"}
# Telegram's limit is 4,096 characters a message: a template leaves room for the values put in it.
TEMPLATE_MAX = 3500
# A phone shows about 40 characters of a full-width inline button before it cuts the label with "…".
BUTTON_MAX = 40
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
PLACEHOLDER = re.compile(r"\{(\w*)(?:[!:][^{}]*)?\}")
TAG = re.compile(r"</?([a-z]+)[^>]*>")


def source(domain: str) -> Path:
    return SOURCES.get(domain, ROOT / "conversations" / "texts" / f"{domain}.py")


def catalog(path: Path) -> Catalog:
    with path.open("rb") as fp:
        return read_po(fp)


def messages(found: Catalog) -> list[Message]:
    return [m for m in found if m.id]


def ids(message: Message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def strings(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def key(message: Message) -> tuple[str | None, str]:
    return (message.context, ids(message)[0])


CASES = [(d, lang) for d in DOMAINS for lang in TRANSLATED]


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_template_is_the_code_s_french(domain: str) -> None:
    """`make catalogs-extract` was run after the last change of a French text: the .pot is what the code says."""
    extracted = {(ctx, msgid if isinstance(msgid, str) else msgid[0])
                 for _, msgid, _, ctx in extract_from_file("python", source(domain), keywords=KEYWORDS)}
    template = {key(m) for m in messages(catalog(LOCALES / f"{domain}.pot"))}
    assert extracted == template, f"lancez make catalogs-extract catalogs-update DOMAINS={domain}"


@pytest.mark.parametrize(("domain", "language"), CASES)
def test_every_message_is_translated(domain: str, language: str) -> None:
    template = {key(m) for m in messages(catalog(LOCALES / f"{domain}.pot"))}
    translated = catalog(LOCALES / language / "LC_MESSAGES" / f"{domain}.po")
    assert {key(m) for m in messages(translated)} == template
    missing = [ids(m)[0][:60] for m in messages(translated) if not all(strings(m)) or m.fuzzy]
    assert missing == []


@pytest.mark.parametrize(("domain", "language"), CASES)
def test_placeholders_tags_and_the_ents_words_are_kept(domain: str, language: str) -> None:
    problems = []
    for m in messages(catalog(LOCALES / language / "LC_MESSAGES" / f"{domain}.po")):
        french = " ".join(ids(m))
        wanted = Counter(PLACEHOLDER.findall(french))
        tags = sorted(TAG.findall(french))
        for number, text in enumerate(strings(m)):
            if not text:
                continue
            found = Counter(PLACEHOLDER.findall(text))
            # A plural's singular form may say "one" rather than {n}; every other placeholder stays.
            if found != wanted and not (len(ids(m)) > 1 and set(found) <= set(wanted)):
                problems.append(f"placeholders {dict(found)} != {dict(wanted)}: {text[:60]}")
            if len(ids(m)) == 1 and sorted(TAG.findall(text)) != tags:
                problems.append(f"tags {sorted(TAG.findall(text))} != {tags}: {text[:60]}")
            problems += [f"« {word} » lost: {text[:60]}" for word in ENT_WORDS if word in french and word not in text]
            if len(text) > TEMPLATE_MAX:
                problems.append(f"{len(text)} characters: {text[:60]}")
            del number
    assert problems == []


@pytest.mark.parametrize(("domain", "language"), CASES)
def test_button_labels_fit_on_a_phone(domain: str, language: str) -> None:
    buttons = {key(m) for m in messages(catalog(LOCALES / f"{domain}.pot"))
               if any("button" in comment for comment in m.auto_comments)}
    too_long = [text for m in messages(catalog(LOCALES / language / "LC_MESSAGES" / f"{domain}.po"))
                if key(m) in buttons for text in strings(m) if len(text) > max(BUTTON_MAX, len(ids(m)[0]))]
    assert too_long == []


@pytest.mark.parametrize(("domain", "language"), CASES)
def test_each_catalog_says_who_translated_it_and_whether_a_native_speaker_reviewed_it(domain: str,
                                                                                      language: str) -> None:
    header = (LOCALES / language / "LC_MESSAGES" / f"{domain}.po").read_text(encoding="utf-8").split("msgid", 1)[0]
    assert re.search(r"^# Translated by: \S.+$", header, re.MULTILINE)
    assert re.search(r"^# Native review: \S.*$", header, re.MULTILINE)


@pytest.mark.parametrize(("domain", "language"), [(d, lang) for d in DOMAINS for lang in RIGHT_TO_LEFT])
def test_no_latin_fragment_is_left_outside_an_isolate_in_right_to_left_texts(domain: str, language: str) -> None:
    """What the bot shows of an Arabic text (isolated as the catalog serves it): every Latin run held apart."""
    left = {}
    for m in messages(catalog(LOCALES / language / "LC_MESSAGES" / f"{domain}.po")):
        for text in strings(m):
            shown = isolate(text)
            if latin_outside_isolates(shown):
                left[text[:60]] = latin_outside_isolates(shown)
            assert re.findall(r"(?<!\u2068)\{\w*\}|\{\w*\}(?!\u2069)", shown) == []  # every value set apart
    assert left == {}


def test_the_isolates_hold_identifiers_addresses_urls_and_ent_words() -> None:
    text = isolate("اكتب {identifier} ثم اضغط « Se connecter » على https://www.touraine-eschool.fr/ أو اكتب /start")
    assert "\u2068{identifier}\u2069" in text
    assert "« \u2068Se connecter\u2069 »" in text
    assert "\u2068https://www.touraine-eschool.fr/\u2069" in text
    assert "\u2068/start\u2069" in text
    assert latin_outside_isolates(text) == []
    assert latin_outside_isolates("اضغط Se connecter") == ["Se", "connecter"]  # the check itself can fail
    # Tags and entities are markup, not text: never split.
    assert isolate("<b>ENT</b> &amp; <a href=\"https://x.fr\">ici</a>") == (
        "<b>\u2068ENT\u2069</b> &amp; <a href=\"https://x.fr\">\u2068ici\u2069</a>")


def _bare(label: str) -> str:
    """A button's words without the emoji and symbols it starts with."""
    return re.sub(r"^[^\w«]+", "", label).strip()


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_text_naming_one_of_the_bots_buttons_quotes_the_buttons_own_translation(language: str) -> None:
    """« Touchez « Écrire au collège » »: in each language, the words of that button as the parent sees it."""
    labels = {(d, m.id): _bare(m.id) for d in DOMAINS for m in messages(catalog(LOCALES / f"{d}.pot"))
              if isinstance(m.id, str) and any("button" in c for c in m.auto_comments)}
    labels = {k: v for k, v in labels.items() if len(v) >= 4 and not any(v.startswith(w) for w in ENT_WORDS)}
    translated = {(d, ids(m)[0]): strings(m) for d in DOMAINS
                  for m in messages(catalog(LOCALES / language / "LC_MESSAGES" / f"{d}.po"))}
    assert len(labels) > 20
    wrong = []
    for (domain, msgid), texts in translated.items():
        for (button_domain, button), french in labels.items():
            if f"« {french} »" not in msgid:
                continue
            own = _bare(translated[(button_domain, button)][0])
            wrong += [f"{domain}: « {own} » missing in {text[:70]}" for text in texts
                      if not re.search(rf"«\s?\u2068?{re.escape(own)}\u2069?\s?»", text)]
    assert wrong == []


@pytest.mark.parametrize(("domain", "language"), CASES)
def test_every_translation_formats_as_its_french_does(domain: str, language: str) -> None:
    """A stray brace in a translation would make `.format()` fail in front of a family: each one formats with the
    French's placeholders (a text without any has no brace, as its French)."""
    failures = []
    for m in messages(catalog(LOCALES / language / "LC_MESSAGES" / f"{domain}.po")):
        french = " ".join(ids(m))
        names = {name: "x" for name in PLACEHOLDER.findall(french)}
        for text in strings(m):
            if not names:
                if ("{" in text or "}" in text) and "{" not in french:
                    failures.append(text[:60])
                continue
            try:
                text.format(**names)
            except (KeyError, IndexError, ValueError) as exc:
                failures.append(f"{exc!r}: {text[:60]}")
    assert failures == []
