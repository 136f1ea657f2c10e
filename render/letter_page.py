"""The printed letter: one A4 page per family, black and white, with the QR code that opens the bot; a bilingual
letter has a second page, the same letter in the family's language (Arabic set right to left, shaped)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from importlib import resources

import segno
from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, WrapMode, XPos, YPos

from i18n import RIGHT_TO_LEFT, SHIPPED, SOURCE, using
from render import texts

PAGE_W, PAGE_H = 210.0, 297.0  # A4, in millimetres
MARGIN = 18.0
WIDTH = PAGE_W - 2 * MARGIN
QR_SIZE = 70.0  # with its quiet zone; phones read it from arm's length
QR_SMALLEST = 44.0  # when long names and passwords need the room: still over 1 mm a module
COLUMN = WIDTH - QR_SIZE - 6  # the steps, left of the code
BOTTOM = PAGE_H - MARGIN - 2  # nothing printed below (2 mm of slack for rounding)
SANS, MONO = "DejaVuSans", "DejaVuSansMono"  # every French character; the mono one tells 0 from O and 1 from l and I
# DejaVu Sans also covers English, Ukrainian, Turkish and Portuguese; Arabic is set in Noto Sans Arabic, shaped by
# HarfBuzz, its Latin fragments (the ENT's French words, a URL, an address) falling back to DejaVu Sans.
ARABIC = "NotoSansArabic"
TRANSLATED = tuple(language for language in SHIPPED if language != SOURCE)  # a bilingual letter's second languages


@dataclass(frozen=True)
class Letter:
    identifier: str
    provisional: str
    link: str
    name: str | None = None
    class_name: str | None = None
    language: str = SOURCE  # another shipped language: a second page, the letter in that language

    def __post_init__(self) -> None:
        if self.language != SOURCE and self.language not in TRANSLATED:
            raise ValueError(f"unknown letter language {self.language!r}")

    @property
    def bilingual(self) -> bool:
        return self.language != SOURCE


@dataclass(frozen=True)
class Letterhead:
    school: str
    contact_email: str
    ent_url: str
    day: date  # the letter's date
    valid_until: date
    postal_address: str | None = None  # under the school's name, when the settings give it


def _font(name: str) -> str:
    return str(resources.files("render") / "resources" / "fonts" / name)


def _fit(pdf: FPDF, family: str, style: str, text: str, width: float, largest: float, smallest: float,
         lines: int = 1) -> float:
    """The largest font size (down to `smallest`) at which `text` takes at most `lines` lines of `width`."""
    size = largest
    while size > smallest:
        pdf.set_font(family, style, size)
        if pdf.get_string_width(text) <= width * lines * (0.92 if lines > 1 else 1.0):
            break
        size -= 0.5
    pdf.set_font(family, style, size)
    return size


def _line_height(size: float, family: str = SANS) -> float:
    # Points to millimetres, with some leading; Arabic's letters reach higher and lower (its dots, its descenders).
    return size * 0.3528 * (1.55 if family == ARABIC else 1.3)


def _french(text: str) -> str:
    """French spacing: no line break inside « … » nor before a colon."""
    return text.replace("« ", "«\u00a0").replace(" »", "\u00a0»").replace(" :", "\u00a0:").replace(" ;", "\u00a0;")


# Line breaking is most of the time spent on a page, and most paragraphs are the same on every page.
_LINES: dict[tuple[str, str, str, float, float, WrapMode], list[str]] = {}


def _lines(pdf: FPDF, text: str, width: float, family: str, style: str, size: float, wrap: WrapMode) -> list[str]:
    """`text` broken into lines of `width` as multi_cell breaks it (remembered for the next pages)."""
    if wrap is WrapMode.WORD:
        text = _french(text)
    key = (text, family, style, size, width, wrap)
    pdf.set_font(family, style, size)
    found = _LINES.get(key)  # read once: another thread's render may clear the cache meanwhile
    if found is None:
        lines = pdf.multi_cell(width, _line_height(size, family), text, wrapmode=wrap, dry_run=True,
                               output=MethodReturnValue.LINES)
        assert isinstance(lines, list)
        found = _LINES[key] = lines
    return found


def _text(pdf: FPDF, x: float, width: float, text: str, family: str = SANS, style: str = "", size: float = 11,
          align: Align = Align.L, wrap: WrapMode = WrapMode.WORD) -> None:
    for line in _lines(pdf, text, width, family, style, size, wrap):
        pdf.set_x(x)
        pdf.cell(width, _line_height(size, family), line, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _qr(pdf: FPDF, link: str, x: float, y: float, size: float) -> None:
    """The code as vector squares (sharp at any printer resolution), with its 4-module quiet zone left white."""
    code = segno.make(link, error="m", micro=False)
    rows = [list(r) for r in code.matrix_iter(scale=1, border=4)]
    module = size / len(rows)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            # A hair wider and taller, so that no white seam shows between neighbouring squares.
            pdf.rect(x + start * module, y + r * module, (c - start) * module + 0.02, module + 0.02, style="F")


def _step(pdf: FPDF, number: int, text: str, x: float, width: float, family: str = SANS, rtl: bool = False,
          size: float = 12) -> None:
    """A numbered step: its number in a black disc, on the left (on the right for a right-to-left language)."""
    y = pdf.get_y()
    disc = x + width - 8 if rtl else x
    pdf.set_fill_color(0, 0, 0)
    pdf.ellipse(disc, y, 8, 8, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(SANS, "B", 13)
    pdf.set_xy(disc, y + 0.6)
    pdf.cell(8, 6.8, str(number), align=Align.C)
    pdf.set_text_color(0, 0, 0)
    text_x = x if rtl else x + 11
    pdf.set_xy(text_x, y + 0.8)
    _text(pdf, text_x, width - 11, text, family=family, size=size, align=Align.R if rtl else Align.L)
    pdf.set_y(max(pdf.get_y(), y + 9) + 3)


def _link_lines(pdf: FPDF, link: str, width: float) -> str:
    """The link as printed: on one line if it fits, else cut before `?start=` so that each half reads whole.

    Leaves the font set at the size chosen.
    """
    if _fit(pdf, MONO, "B", link, width, 9, 7) and pdf.get_string_width(link) <= width:
        return link
    base, sep, rest = link.partition("?")
    lines = f"{base}\n{sep}{rest}" if sep else link
    longest = max(lines.split("\n"), key=len)
    _fit(pdf, MONO, "B", longest, width, 9, 6)
    return lines


def _frame(pdf: FPDF, top: float, height: float, line: float) -> None:
    """A box the width of the text, its stroke inside the margins."""
    pdf.set_line_width(line)
    pdf.rect(MARGIN + line / 2, top, WIDTH - line, height)
    pdf.set_line_width(0.3)


@contextmanager
def _language(pdf: FPDF, language: str) -> Iterator[tuple[str, bool]]:
    """Texts in `language` inside the block, and the font family that sets them; for a right-to-left language,
    HarfBuzz shapes the text (joined letters, ligatures) and fpdf2 orders each line right to left.

    Yields (body font family, right to left)."""
    rtl = language in RIGHT_TO_LEFT
    with using(language):
        if not rtl:
            yield SANS, False
            return
        pdf.set_fallback_fonts([SANS])
        pdf.set_text_shaping(True, direction="rtl")
        try:
            yield ARABIC, True
        finally:
            pdf.set_text_shaping(False)
            pdf.set_fallback_fonts([])


def _page(pdf: FPDF, head: Letterhead, letter: Letter) -> None:
    """The French page, as every letter has it; the family's language only says where its translation is."""
    pdf.add_page()
    pdf.set_text_color(0, 0, 0)
    top = MARGIN
    # Header: the school on the left, the date on the right.
    date_text = texts.letter_header_date(head.day)
    pdf.set_font(SANS, "", 10)
    date_w = pdf.get_string_width(date_text) + 2
    pdf.set_xy(PAGE_W - MARGIN - date_w, top)
    pdf.cell(date_w, 6, date_text, align=Align.R)
    school_w = WIDTH - date_w - 6
    size = _fit(pdf, SANS, "B", head.school, school_w, 14, 9, lines=2)
    pdf.set_xy(MARGIN, top)
    _text(pdf, MARGIN, school_w, head.school, style="B", size=size)
    if head.postal_address:
        _text(pdf, MARGIN, school_w, head.postal_address, size=_fit(pdf, SANS, "", head.postal_address, school_w, 10, 7,
                                                                       lines=2))
    if letter.bilingual:  # above the title, in the family's language: the parent who reads no French turns over
        # One line, so that the French page keeps its room (the code shrinks first when it lacks some).
        pdf.set_y(max(pdf.get_y(), top + 7) + 3)
        with _language(pdf, letter.language) as (family, rtl):
            overleaf = texts.tr(texts.LETTER_OVERLEAF)
            size = _fit(pdf, family, "B", overleaf, WIDTH, 10.5, 7)
            _text(pdf, MARGIN, WIDTH, overleaf, family=family, style="B", size=size, align=Align.R if rtl else Align.L)
        pdf.ln(1)
    else:
        pdf.set_y(max(pdf.get_y(), top + 7) + 5)

    # What it is, and for whom: what a parent reads first.
    _text(pdf, MARGIN, WIDTH, texts.tr(texts.LETTER_TITLE), style="B", size=22)
    whom = texts.letter_for(letter.name, letter.class_name)
    if whom:
        pdf.ln(1)
        size = _fit(pdf, SANS, "B", whom, WIDTH, 15, 9, lines=2)
        _text(pdf, MARGIN, WIDTH, whom, style="B", size=size)
    pdf.ln(2)
    _text(pdf, MARGIN, WIDTH, texts.tr(texts.LETTER_INTRO), size=11)
    pdf.ln(5)

    # The three steps on the left, the code on the right, the link under it; the code gives up room
    # (down to QR_SMALLEST) when long names or passwords need it below.
    block = pdf.get_y()
    link_w = QR_SIZE + 6
    printed_link = _link_lines(pdf, letter.link, link_w)
    link_size = pdf.font_size_pt
    link_h = _para(pdf, 0, 0, link_w, printed_link, False, family=MONO, style="B", size=link_size, wrap=WrapMode.CHAR)
    room = BOTTOM - 4 - _bottom(pdf, head, letter, 0, draw=False) - block - 1 - link_h
    qr_size = max(QR_SMALLEST, min(QR_SIZE, room))
    qr_x = PAGE_W - MARGIN - QR_SIZE + (QR_SIZE - qr_size) / 2
    _qr(pdf, letter.link, qr_x, block, qr_size)
    pdf.set_y(block + 2)
    for number, step in enumerate(texts.letter_steps(code_beside=True), start=1):
        _step(pdf, number, step, MARGIN, COLUMN)
    steps_end = pdf.get_y()
    # Centred under the code's column, a little wider on the left only: the right margin is the page's.
    pdf.set_y(block + qr_size + 1)
    _text(pdf, PAGE_W - MARGIN - link_w, link_w, printed_link, family=MONO, style="B", size=link_size,
          align=Align.C, wrap=WrapMode.CHAR)
    pdf.set_y(max(steps_end, pdf.get_y()) + 4)

    _bottom(pdf, head, letter, pdf.get_y(), draw=True)


def _para(pdf: FPDF, x: float, y: float, width: float, text: str, draw: bool, family: str = SANS, style: str = "",
          size: float = 11, wrap: WrapMode = WrapMode.WORD, align: Align = Align.L) -> float:
    """Draws (or only measures) a paragraph at (x, y); returns the y below it."""
    if draw:
        pdf.set_y(y)
        _text(pdf, x, width, text, family, style, size, align=align, wrap=wrap)
        return pdf.get_y()
    return y + len(_lines(pdf, text, width, family, style, size, wrap)) * _line_height(size, family)


def _value_size(pdf: FPDF, value: str, width: float) -> float:
    size = _fit(pdf, MONO, "B", value, width, 18, 8, lines=1)
    if pdf.get_string_width(value) > width:  # too long even small: it wraps, never leaves the page
        size = _fit(pdf, MONO, "B", value, width, 11, 8, lines=3)
    return size


def _bottom(pdf: FPDF, head: Letterhead, letter: Letter, y: float, draw: bool) -> float:
    """Without a phone (the web path, the identifier and provisional password), the warning, the contact.

    Measured first (draw=False) so that the code above can shrink to leave it room.
    """
    if draw:
        pdf.set_draw_color(0, 0, 0)
        pdf.set_line_width(0.3)
        pdf.line(MARGIN, y, PAGE_W - MARGIN, y)
    y = _para(pdf, MARGIN, y + 4, WIDTH, texts.tr(texts.LETTER_NO_PHONE_TITLE), draw, style="B", size=13)
    y = _para(pdf, MARGIN, y + 1, WIDTH, texts.letter_web(head.ent_url), draw)
    box_top = y = y + 3
    label_w = 58.0
    value_w = WIDTH - label_w - 6
    for label, value in ((texts.tr(texts.LETTER_IDENTIFIER), letter.identifier),
                         (texts.tr(texts.LETTER_PROVISIONAL), letter.provisional)):
        y += 2
        if draw:
            pdf.set_font(SANS, "", 11)
            pdf.set_xy(MARGIN + 3, y + 1.5)
            pdf.cell(label_w, 6, label)
        size = _value_size(pdf, value, value_w)
        end = _para(pdf, MARGIN + 3 + label_w, y, value_w, value, draw, family=MONO, style="B", size=size,
                    wrap=WrapMode.CHAR)
        y = max(end, y + 8)
    y = _para(pdf, MARGIN + 3, y + 1, WIDTH - 6, texts.tr(texts.LETTER_CASE), draw, size=9) + 1
    if draw:
        _frame(pdf, box_top, y - box_top, 0.3)
    # Whoever gets the link gets the letter; how long it works; whom to ask.
    warn_top = y = y + 5
    y = _para(pdf, MARGIN + 4, y + 2.5, WIDTH - 8, texts.tr(texts.LETTER_WARNING), draw, style="B")
    y = _para(pdf, MARGIN + 4, y + 1, WIDTH - 8, texts.letter_validity(head.valid_until), draw, size=10) + 2
    if draw:
        _frame(pdf, warn_top, y - warn_top, 0.8)
    return _para(pdf, MARGIN, y + 4, WIDTH, texts.letter_contact(head.contact_email), draw, size=10)


def _translation(pdf: FPDF, head: Letterhead, letter: Letter) -> None:
    """The letter again in the family's language, on the back of the French page: every sentence, the ENT's French
    words quoted; the code, the identifier and the provisional password stay on the French page alone (printed once,
    so that the two pages can never disagree and a secret is not printed twice)."""
    pdf.add_page()
    pdf.set_text_color(0, 0, 0)
    with _language(pdf, letter.language) as (family, rtl):
        align = Align.R if rtl else Align.L
        grow = 1.1 if rtl else 1.0  # Arabic's letters look smaller than Latin ones of the same size
        top = MARGIN
        # Header: the school as it is named in French, the date in the family's language, mirrored for Arabic.
        date_text = texts.letter_header_date(head.day)
        pdf.set_font(family, "", 10)
        date_w = pdf.get_string_width(date_text) + 2
        pdf.set_xy(MARGIN if rtl else PAGE_W - MARGIN - date_w, top)
        pdf.cell(date_w, 6, date_text, align=Align.L if rtl else Align.R)
        school_w = WIDTH - date_w - 6
        school_x = PAGE_W - MARGIN - school_w if rtl else MARGIN
        size = _fit(pdf, family, "B", head.school, school_w, 14, 9, lines=2)
        pdf.set_xy(school_x, top)
        _text(pdf, school_x, school_w, head.school, family=family, style="B", size=size, align=align)
        pdf.set_y(max(pdf.get_y(), top + 7) + 4)
        y = _para(pdf, MARGIN, pdf.get_y(), WIDTH, texts.tr(texts.LETTER_TRANSLATION), True, family=family, size=10 * grow,
                  align=align)
        pdf.set_y(y + 4)

        _text(pdf, MARGIN, WIDTH, texts.tr(texts.LETTER_TITLE), family=family, style="B", size=22 * grow, align=align)
        whom = texts.letter_for(letter.name, letter.class_name)
        if whom:
            pdf.ln(1)
            size = _fit(pdf, family, "B", whom, WIDTH, 15 * grow, 9, lines=2)
            _text(pdf, MARGIN, WIDTH, whom, family=family, style="B", size=size, align=align)
        pdf.ln(2)
        _text(pdf, MARGIN, WIDTH, texts.tr(texts.LETTER_INTRO), family=family, size=11 * grow, align=align)
        pdf.ln(5)
        for number, step in enumerate(texts.letter_steps(code_beside=False), start=1):
            _step(pdf, number, step, MARGIN, WIDTH, family=family, rtl=rtl, size=12 * grow)

        y = pdf.get_y() + 1
        pdf.set_draw_color(0, 0, 0)
        pdf.set_line_width(0.3)
        pdf.line(MARGIN, y, PAGE_W - MARGIN, y)
        y = _para(pdf, MARGIN, y + 4, WIDTH, texts.tr(texts.LETTER_NO_PHONE_TITLE), True, family=family, style="B",
                  size=13 * grow, align=align)
        y = _para(pdf, MARGIN, y + 1, WIDTH, texts.letter_web_french_page(head.ent_url), True, family=family,
                  size=11 * grow, align=align)
        box_top = y = y + 3
        y = _para(pdf, MARGIN + 3, y + 2, WIDTH - 6, texts.tr(texts.LETTER_CREDENTIALS_FRENCH_PAGE), True,
                  family=family, style="B", size=11 * grow, align=align)
        y = _para(pdf, MARGIN + 3, y + 1, WIDTH - 6, texts.tr(texts.LETTER_CASE), True, family=family, size=9 * grow,
                  align=align) + 1
        _frame(pdf, box_top, y - box_top, 0.3)
        warn_top = y = y + 5
        y = _para(pdf, MARGIN + 4, y + 2.5, WIDTH - 8, texts.tr(texts.LETTER_WARNING), True, family=family,
                  style="B", size=11 * grow, align=align)
        y = _para(pdf, MARGIN + 4, y + 1, WIDTH - 8, texts.letter_validity(head.valid_until), True, family=family,
                  size=10 * grow, align=align) + 2
        _frame(pdf, warn_top, y - warn_top, 0.8)
        _para(pdf, MARGIN, y + 4, WIDTH, texts.letter_contact(head.contact_email), True, family=family, size=10 * grow,
              align=align)


def render(head: Letterhead, letters: list[Letter]) -> bytes:
    """The PDF in the order given: one page per French letter, two per bilingual one (French, then its translation,
    to print double-sided). In a batch with both, a French letter gets a blank back, so that double-sided printing
    keeps each family's letter on its own sheet."""
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)  # one family, one page: the layout is made to fit
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.add_font(SANS, "", _font("DejaVuSans.ttf"))
    pdf.add_font(SANS, "B", _font("DejaVuSans-Bold.ttf"))
    pdf.add_font(MONO, "B", _font("DejaVuSansMono-Bold.ttf"))
    if any(letter.language in RIGHT_TO_LEFT for letter in letters):  # embedded (a subset) only when used
        pdf.add_font(ARABIC, "", _font("NotoSansArabic-Regular.ttf"))
        pdf.add_font(ARABIC, "B", _font("NotoSansArabic-Bold.ttf"))
    _LINES.clear()
    pdf.set_title(texts.LETTER_TITLE)
    pdf.set_author(head.school)
    sheets = any(letter.bilingual for letter in letters)
    for letter in letters:
        with using(SOURCE):  # the French page is French, whatever the language of the update that asked for it
            _page(pdf, head, letter)
        if letter.bilingual:
            _translation(pdf, head, letter)
        elif sheets:
            pdf.add_page()  # the blank back of a French letter's sheet
    return bytes(pdf.output())
