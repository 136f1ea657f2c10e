"""Bilingual letters: the French page, then the same letter in the family's language (Arabic shaped, right to left)."""

from __future__ import annotations

import os
import re
import sqlite3
from collections import Counter
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from fpdf import FPDF
from PIL import Image, ImageOps

from i18n import SOURCE, using
from render import texts
from render.letter_page import ARABIC, MARGIN, TRANSLATED, Letter, Letterhead, _font, render
from sandbox.driver import Person
from tests.conftest import Harness
from tests.test_letters import BOT_LINK, FAMILIES, entbot, token_of

DPI = 110
HEAD = Letterhead("Collège Léonard de Vinci", "secretariat@college-vinci.fr", "https://www.touraine-eschool.fr",
                  date(2026, 12, 8), date(2027, 3, 8), "12 rue des Écoles, 37000 Tours")
LINK = BOT_LINK + "Qx7" * 10
IDENTIFIER, PROVISIONAL = "jean.dupont12", "Kp7m-X4tz-R9"
# The ENT's words, quoted in French in every language so that the parent finds them on the ENT's screen.
ENT_WORDS = ("« Se connecter »", "« Élève ou parent »")
ARABIC_WORD = re.compile(r"[\u0621-\u065f\u0670-\u06d3]+")  # letters and their marks, no punctuation


async def family_reading(bot: Harness, name: str, language: str) -> Person:
    """A parent whose Telegram app is in `language` (the one place a test says how a family's language is set)."""
    return await bot.parent(name, language_code=language)


def letter(language: str, name: str = "Jean Dupont", class_name: str = "5B") -> Letter:
    return Letter(IDENTIFIER, PROVISIONAL, LINK, name, class_name, language=language)


def images(pdf: bytes) -> list[Image.Image]:
    document = pdfium.PdfDocument(pdf)
    return [document[i].render(scale=DPI / 72).to_pil().convert("L") for i in range(len(document))]


def codes(image: Image.Image) -> list[str]:
    return [code.text for code in zxingcpp.read_barcodes(image)]


def flat(text: str) -> str:
    """Extracted text as a sentence reads: one space between words; PDFium's end-of-line hyphen put back."""
    return " ".join(text.replace("\ufffe", "-").replace("\u00a0", " ").replace("\u202f", " ").split())


def plain(text: str) -> str:
    """A translated text as printed, without its invisible isolates (FSI … PDI)."""
    return flat(re.sub("[\u2066-\u2069]", "", text))


def page_texts(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


def ink_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    return ImageOps.invert(image).point(lambda v: 255 if v > 40 else 0).getbbox()


def within_margins(image: Image.Image) -> None:
    box = ink_box(image)
    assert box is not None
    margin = MARGIN * DPI / 25.4 - DPI / 25.4  # one millimetre of tolerance for the antialiasing
    left, top, right, bottom = box
    assert left >= margin and top >= margin and right <= image.width - margin and bottom <= image.height - margin, box


def translated_page_texts(language: str) -> dict[str, str]:
    """What the translated page says, read from the catalog in `language`, by the French it translates."""
    with using(SOURCE):
        french = [texts.tr(texts.LETTER_TITLE), texts.tr(texts.LETTER_INTRO), *texts.letter_steps(code_beside=False),
                  texts.tr(texts.LETTER_NO_PHONE_TITLE), texts.letter_web_french_page(HEAD.ent_url),
                  texts.tr(texts.LETTER_CREDENTIALS_FRENCH_PAGE), texts.tr(texts.LETTER_CASE),
                  texts.tr(texts.LETTER_WARNING), texts.letter_validity(HEAD.valid_until),
                  texts.letter_contact(HEAD.contact_email), texts.tr(texts.LETTER_TRANSLATION),
                  texts.letter_for("Jean Dupont", "5B") or ""]
    with using(language):
        translated = [texts.tr(texts.LETTER_TITLE), texts.tr(texts.LETTER_INTRO),
                      *texts.letter_steps(code_beside=False), texts.tr(texts.LETTER_NO_PHONE_TITLE),
                      texts.letter_web_french_page(HEAD.ent_url), texts.tr(texts.LETTER_CREDENTIALS_FRENCH_PAGE),
                      texts.tr(texts.LETTER_CASE), texts.tr(texts.LETTER_WARNING),
                      texts.letter_validity(HEAD.valid_until), texts.letter_contact(HEAD.contact_email),
                      texts.tr(texts.LETTER_TRANSLATION), texts.letter_for("Jean Dupont", "5B") or ""]
    return dict(zip(french, translated, strict=True))


def arabic_words(text: str) -> list[str]:
    """The Arabic words of a text, each as the multiset of its letters: PDFium reports the two letters of a ligature
    (lam-alef) in either order, so a word is compared by its letters, and the text by the order of its words."""
    return ["".join(sorted(word)) for word in ARABIC_WORD.findall(text)]


def in_order(words: list[str], sentence: list[str]) -> bool:
    return any(words[i:i + len(sentence)] == sentence for i in range(len(words) - len(sentence) + 1))


def char_x(pdf: bytes, page: int, needle: str, nth: int = 0) -> list[float]:
    """The left edge of each character of the `nth` occurrence of `needle` in PDFium's text of the page."""
    textpage = pdfium.PdfDocument(pdf)[page].get_textpage()
    text = textpage.get_text_range()
    start = -1
    for _ in range(nth + 1):
        start = text.find(needle, start + 1)
        assert start >= 0, needle
    return [textpage.get_charbox(start + i)[0] for i in range(len(needle))]


def word_x(pdf: bytes, page: int, word: str, near: str) -> float:
    """The left edge of `word` where PDFium's text has it closest to `near` (a short word recurs on a page)."""
    textpage = pdfium.PdfDocument(pdf)[page].get_textpage()
    text = textpage.get_text_range()
    anchor = text.index(near)
    found = min((m.start() for m in re.finditer(re.escape(word), text)), key=lambda i: abs(i - anchor))
    return float(textpage.get_charbox(found)[0])


def line_chars(pdf: bytes, page: int, needle: str) -> list[tuple[float, str]]:
    """The characters (left edge, character) printed on the same line as `needle`."""
    textpage = pdfium.PdfDocument(pdf)[page].get_textpage()
    text = textpage.get_text_range()
    bottom = textpage.get_charbox(text.index(needle))[1]
    return [(textpage.get_charbox(i)[0], char) for i, char in enumerate(text)
            if char.strip() and abs(textpage.get_charbox(i)[1] - bottom) < 2]


def arabic_glyph_forms(pdf: bytes) -> tuple[int, int]:
    """In the ToUnicode maps of the PDF's fonts: the most glyphs drawn for one Arabic letter (its isolated, initial,
    medial and final forms: 1 when the text is not shaped) and the number of Arabic ligatures (one glyph for two
    letters, such as lam-alef)."""
    raw = pdf.decode("latin-1")
    forms: Counter[str] = Counter()
    ligatures = 0
    for block in re.findall(r"beginbfchar(.*?)endbfchar", raw, re.S):
        for _, target in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            letters = bytes.fromhex(target).decode("utf-16-be")
            if not ARABIC_WORD.fullmatch(letters):
                continue
            if len(letters) == 1:
                forms[letters] += 1
            else:
                ligatures += 1
    return max(forms.values(), default=0), ligatures


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_language_s_letter_is_the_french_page_then_its_translation(language: str) -> None:
    pdf = render(HEAD, [letter(language)])
    front, back = images(pdf)  # one sheet: the French page, the translation on its back
    # The code once, on the French page, and it still reads as the letter's link.
    assert codes(front) == [LINK] and codes(back) == []
    for image in (front, back):
        within_margins(image)
    french, translated = (flat(t) for t in page_texts(pdf))
    # The French page is the French letter, whole: what the ENT and the school's staff read.
    for expected in ("Activer votre compte ENT", "Pour : Jean Dupont — classe 5B", "Installez l'application gratuite "
                     "Telegram", "cliquez sur « Se connecter », choisissez « Élève ou parent »", IDENTIFIER,
                     PROVISIONAL, "Mot de passe provisoire :", "c'est lui donner votre compte",
                     "jusqu'au 8 mars 2027", "secretariat@college-vinci.fr"):
        assert expected in french, expected
    assert LINK in french.replace(" ", "")
    # The identifier, the provisional password and the link are printed once: not on the translation.
    for secret in (IDENTIFIER, PROVISIONAL, token_of(LINK)):
        assert secret not in translated.replace(" ", "")
    sentences = translated_page_texts(language)
    for source, sentence in sentences.items():
        assert sentence != source, f"not translated: {source}"  # the catalog translates it
        assert source not in translated  # and no French sentence is left on the translated page
    with using(language):
        overleaf = texts.tr(texts.LETTER_OVERLEAF)
    if language == "ar":
        # PDFium reads a mixed Arabic and Latin line in its own order: the Arabic words are compared in their order,
        # the Latin fragments' order on the page by their position (test_arabic_is_shaped_and_set_right_to_left).
        words, front_words = arabic_words(translated), arabic_words(french)
        for sentence in (*sentences.values(), overleaf):
            assert set(arabic_words(sentence)) <= set(words) | set(front_words), sentence
        return
    assert plain(overleaf) in french  # above the French title, in the family's language: turn over
    for sentence in sentences.values():
        assert plain(sentence) in translated, sentence
    for word in ENT_WORDS:
        assert word in translated
    assert "Identifiant :" in translated and "Mot de passe provisoire :" in translated  # where to find them


def test_arabic_is_shaped_and_set_right_to_left() -> None:
    pdf = render(HEAD, [letter("ar")])
    translated = page_texts(pdf)[1]
    sentences = translated_page_texts("ar")
    # Shaped: HarfBuzz drew the letters in their joined forms (initial, medial, final) and their ligatures. Text set
    # without shaping draws one glyph per letter and no ligature: the same count on such a PDF says so.
    most_forms, ligatures = arabic_glyph_forms(pdf)
    assert most_forms >= 3 and ligatures >= 1, (most_forms, ligatures)
    unshaped = FPDF()
    unshaped.add_page()
    unshaped.add_font(ARABIC, "", _font("NotoSansArabic-Regular.ttf"))
    unshaped.set_font(ARABIC, "", 12)
    unshaped.cell(text=plain(sentences[texts.LETTER_WARNING]))
    assert arabic_glyph_forms(bytes(unshaped.output())) == (1, 0)
    # Logical order: the sentences that are Arabic from end to end are read back word after word, as written (text
    # set left to right would read backwards).
    words = arabic_words(translated)
    for source in (texts.LETTER_INTRO, texts.LETTER_WARNING, texts.LETTER_CASE, texts.LETTER_TRANSLATION,
                   texts.LETTER_STEP_SCAN_FRENCH_PAGE, texts.LETTER_CREDENTIALS_FRENCH_PAGE):
        sentence = arabic_words(sentences[source])
        assert len(sentence) >= 8 and in_order(words, sentence), source
        assert not in_order(words, sentence[::-1])
    # Right to left on the page: a line's first Arabic word is right of the Latin that follows it, and the Latin
    # fragments (the ENT's address, its French buttons) keep their own left-to-right order inside the line.
    assert char_x(pdf, 1, "ادخلوا")[0] > char_x(pdf, 1, "https://www.touraine-eschool.fr")[0]
    for french_words in (("Se", "connecter"), ("Élève", "ou", "parent"), ("Mot", "de", "passe", "provisoire")):
        positions = [word_x(pdf, 1, word, near=french_words[0]) for word in french_words]
        assert positions == sorted(positions), french_words
    # The colon of a quoted French label stays on its right, inside its guillemets, as on the French page.
    label = char_x(pdf, 1, "Identifiant")
    colons = [x for x, char in line_chars(pdf, 1, "Identifiant") if char == ":"]
    assert any(0 < x - label[-1] < 12 for x in colons), (label, colons)
    # On the French page, the Arabic line saying where the translation is sits at the right margin.
    overleaf_right = max(char_x(pdf, 0, "الترجمة"))
    assert overleaf_right > 210 * 72 / 25.4 - (MARGIN + 10) * 72 / 25.4


def test_a_long_name_and_school_stay_within_the_margins_in_every_language() -> None:
    head = Letterhead("Collège Marie-Éléonore de Saint-Exupéry-Lévêque — Saint-Cyr-sur-Loire (Indre-et-Loire)",
                      "ce.0371122u@ac-orleans-tours.fr", "https://www.touraine-eschool.fr", date(2026, 11, 29),
                      date(2027, 2, 27))
    name = "Marie-Éléonore-Françoise-Bérénice-Anne-Sophie de La Tour d'Auvergne-Lauragais-Montmorency"
    letters = [Letter("marie.delatour", "Œ0oIl1-Ÿçàéèêëîïôöùûü-" * 3, LINK, name,
                      "3e Européenne Bilingue Allemand-Anglais", language=language) for language in TRANSLATED]
    rendered = images(render(head, letters))
    assert len(rendered) == 2 * len(TRANSLATED)
    for image in rendered:
        within_margins(image)
    assert [codes(image) for image in rendered[0::2]] == [[LINK]] * len(TRANSLATED)


async def test_the_csv_langue_column_and_language_option_print_bilingual_letters(bot: Harness) -> None:
    # A row's own `langue` wins; `fr` is French alone; an empty cell takes --language.
    languages = ["ar", "fr", ""]
    path = bot.tmp_path / "comptes.csv"
    path.write_text("identifiant;mot_de_passe_provisoire;nom;prenom;profil;classe;langue\n"
                    + "\n".join(f"{line};{language}" for line, language in zip(FAMILIES, languages, strict=True))
                    + "\n", encoding="utf-8")
    code, out, err = await entbot(bot, "letters", str(path), "--out", "lettres.pdf", "--language", "UK")
    assert code == 0, err
    assert "3 lettre(s) dans lettres.pdf (dont 2 bilingue(s)" in out and "recto verso" in out
    pdf = (bot.tmp_path / "lettres.pdf").read_bytes()
    pages = images(pdf)
    texts_ = [flat(t) for t in page_texts(pdf)]
    # Each family's letter on its own sheet: the French letter's back is left blank.
    assert len(pages) == 6
    links = [codes(image) for image in pages]
    assert [len(found) for found in links] == [1, 0, 1, 0, 1, 0]
    assert ink_box(pages[3]) is None and texts_[3] == ""
    for front, identifier in zip((0, 2, 4), ("lea.martin", "noe.lefevre", "zoe.hennault"), strict=True):
        assert identifier in texts_[front] and "Installez l'application gratuite Telegram" in texts_[front]
    with using("ar"):
        arabic_warning = texts.tr(texts.LETTER_WARNING)
    with using("uk"):
        ukrainian_warning = texts.tr(texts.LETTER_WARNING)
    assert in_order(arabic_words(page_texts(pdf)[1]), arabic_words(arabic_warning))
    assert plain(ukrainian_warning) in texts_[5]
    assert "Pour : Zoé Hénault — classe 4C" in texts_[4] and "Для: Zoé Hénault — клас 4C" in texts_[5]
    # The Arabic letter's code opens the activation of its own account, as any letter's does.
    parent = await family_reading(bot, "Lina", "ar")
    await parent.send(f"/start {token_of(links[0][0])}")
    await parent.text()
    progress = await bot.store.progress.get(parent.user_id)
    account = await bot.store.accounts.find("lea.martin")
    assert progress is not None and account is not None
    assert (progress.step, progress.account_id) == ("cgu", account.id)


async def test_an_unknown_langue_is_refused_with_its_line_and_nothing_is_printed(bot: Harness) -> None:
    path = bot.tmp_path / "comptes.csv"
    path.write_text("identifiant;mot_de_passe_provisoire;nom;prenom;profil;classe;langue\n"
                    f"{FAMILIES[0]};ar\n{FAMILIES[1]};arabe\n{FAMILIES[2]};xx\n", encoding="utf-8")
    code, _, err = await entbot(bot, "letters", str(path), "--out", "lettres.pdf")
    assert code == 1
    assert "ligne 3 : langue inconnue « arabe » pour « noe.lefevre »" in err
    assert "ligne 4 : langue inconnue « xx » pour « zoe.hennault »" in err
    assert "ligne 2" not in err and "Rien n'a été importé ni imprimé" in err
    assert not (bot.tmp_path / "lettres.pdf").exists() and await bot.store.accounts.all() == []
    good = bot.tmp_path / "bons.csv"
    good.write_text("identifiant;mot_de_passe_provisoire;nom;prenom;profil;classe\n" + "\n".join(FAMILIES) + "\n",
                    encoding="utf-8")
    code, _, err = await entbot(bot, "letters", str(good), "--out", "lettres.pdf", "--language", "klingon")
    assert code == 2 and "--language klingon : langue inconnue" in err
    assert not (bot.tmp_path / "lettres.pdf").exists() and await bot.store.accounts.all() == []
    rows = sqlite3.connect(bot.settings.database).execute("SELECT count(*) FROM letter_tokens").fetchone()
    assert rows == (0,)


def test_the_readme_picture_of_an_arabic_letter() -> None:
    """The French page and its Arabic back, side by side; written where LETTER_PICTURE says (docs/letter-ar.png)."""
    front, back = (image.convert("RGB") for image in images(render(HEAD, [letter("ar")])))
    picture = Image.new("RGB", (front.width + back.width + 24, front.height + 24), (200, 200, 200))
    picture.paste(front, (8, 12))
    picture.paste(back, (front.width + 16, 12))
    assert codes(picture.convert("L")) == [LINK]
    target = os.environ.get("LETTER_PICTURE")
    if target:
        picture.convert("L").save(Path(target), optimize=True)
