"""The printed letter: one A4 page per family, black and white, with the QR code that opens the bot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import resources

import segno
from fpdf import FPDF
from fpdf.enums import Align, WrapMode, XPos, YPos

from conversations import texts

PAGE_W, PAGE_H = 210.0, 297.0  # A4, in millimetres
MARGIN = 18.0
WIDTH = PAGE_W - 2 * MARGIN
QR_SIZE = 72.0  # with its quiet zone; phones read it from arm's length
COLUMN = WIDTH - QR_SIZE - 8  # the steps, left of the code
SANS, MONO = "DejaVuSans", "DejaVuSansMono"  # every French character; the mono one tells 0 from O and 1 from l and I


@dataclass(frozen=True)
class Letter:
    identifier: str
    provisional: str
    link: str
    name: str | None = None
    class_name: str | None = None


@dataclass(frozen=True)
class Letterhead:
    school: str
    contact_email: str
    ent_url: str
    day: date  # the letter's date
    valid_until: date


def _font(name: str) -> str:
    return str(resources.files("conversations") / "resources" / "fonts" / name)


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


def _line_height(size: float) -> float:
    return size * 0.3528 * 1.3  # points to millimetres, with some leading


def _french(text: str) -> str:
    """French spacing: no line break inside « … » nor before a colon."""
    return text.replace("« ", "«\u00a0").replace(" »", "\u00a0»").replace(" :", "\u00a0:").replace(" ;", "\u00a0;")


def _text(pdf: FPDF, x: float, width: float, text: str, family: str = SANS, style: str = "", size: float = 11,
          align: Align = Align.L, wrap: WrapMode = WrapMode.WORD) -> None:
    if wrap is WrapMode.WORD:
        text = _french(text)
    pdf.set_font(family, style, size)
    pdf.set_x(x)
    pdf.multi_cell(width, _line_height(size), text, align=align, wrapmode=wrap, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


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


def _step(pdf: FPDF, number: int, text: str, x: float, width: float) -> None:
    y = pdf.get_y()
    pdf.set_fill_color(0, 0, 0)
    pdf.ellipse(x, y, 8, 8, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(SANS, "B", 13)
    pdf.set_xy(x, y + 0.6)
    pdf.cell(8, 6.8, str(number), align=Align.C)
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(x + 11, y + 0.8)
    _text(pdf, x + 11, width - 11, text, size=12)
    pdf.set_y(max(pdf.get_y(), y + 9) + 3)


def _page(pdf: FPDF, head: Letterhead, letter: Letter) -> None:
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
    pdf.set_y(max(pdf.get_y(), top + 7) + 5)

    # What it is, and for whom: what a parent reads first.
    _text(pdf, MARGIN, WIDTH, texts.LETTER_TITLE, style="B", size=22)
    whom = texts.letter_for(letter.name, letter.class_name)
    if whom:
        pdf.ln(1)
        size = _fit(pdf, SANS, "B", whom, WIDTH, 15, 9, lines=2)
        _text(pdf, MARGIN, WIDTH, whom, style="B", size=size)
    pdf.ln(2)
    _text(pdf, MARGIN, WIDTH, texts.LETTER_INTRO, size=11)
    pdf.ln(5)

    # The three steps on the left, the code on the right, the link under it.
    block = pdf.get_y()
    qr_x = PAGE_W - MARGIN - QR_SIZE
    _qr(pdf, letter.link, qr_x, block, QR_SIZE)
    pdf.set_y(block + 2)
    for number, step in enumerate(texts.LETTER_STEPS, start=1):
        _step(pdf, number, step, MARGIN, COLUMN)
    steps_end = pdf.get_y()
    pdf.set_y(block + QR_SIZE + 1)
    size = _fit(pdf, MONO, "B", letter.link, QR_SIZE + 6, 9, 6, lines=2)
    _text(pdf, qr_x - 3, QR_SIZE + 6, letter.link, family=MONO, style="B", size=size, align=Align.C,
          wrap=WrapMode.CHAR)
    pdf.set_y(max(steps_end, pdf.get_y()) + 4)

    # Without a phone: the ENT's web address, the guide's path, the identifier and provisional password.
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.3)
    pdf.line(MARGIN, pdf.get_y(), PAGE_W - MARGIN, pdf.get_y())
    pdf.ln(4)
    _text(pdf, MARGIN, WIDTH, texts.LETTER_NO_PHONE_TITLE, style="B", size=13)
    pdf.ln(1)
    _text(pdf, MARGIN, WIDTH, texts.letter_web(head.ent_url), size=11)
    pdf.ln(3)
    box_top = pdf.get_y()
    label_w = 58.0
    value_w = WIDTH - label_w - 6
    for label, value in ((texts.LETTER_IDENTIFIER, letter.identifier), (texts.LETTER_PROVISIONAL, letter.provisional)):
        y = pdf.get_y() + 2
        pdf.set_font(SANS, "", 11)
        pdf.set_xy(MARGIN + 3, y + 1.5)
        pdf.cell(label_w, 6, label)
        size = _fit(pdf, MONO, "B", value, value_w, 18, 8, lines=1)
        if pdf.get_string_width(value) > value_w:  # too long even small: it wraps, never leaves the page
            size = _fit(pdf, MONO, "B", value, value_w, 11, 8, lines=3)
        pdf.set_xy(MARGIN + 3 + label_w, y)
        _text(pdf, MARGIN + 3 + label_w, value_w, value, family=MONO, style="B", size=size, wrap=WrapMode.CHAR)
        pdf.set_y(max(pdf.get_y(), y + 8))
    pdf.ln(1)
    _text(pdf, MARGIN + 3, WIDTH - 6, texts.LETTER_CASE, size=9)
    pdf.ln(1)
    pdf.rect(MARGIN, box_top, WIDTH, pdf.get_y() - box_top)
    pdf.ln(5)

    # Whoever gets the link gets the letter; how long it works; whom to ask.
    warn_top = pdf.get_y()
    pdf.set_line_width(0.8)
    pdf.set_y(warn_top + 2.5)
    _text(pdf, MARGIN + 4, WIDTH - 8, texts.LETTER_WARNING, style="B", size=11)
    pdf.ln(1)
    _text(pdf, MARGIN + 4, WIDTH - 8, texts.letter_validity(head.valid_until), size=10)
    pdf.rect(MARGIN, warn_top, WIDTH, pdf.get_y() + 2 - warn_top)
    pdf.set_line_width(0.3)
    pdf.set_y(pdf.get_y() + 6)
    _text(pdf, MARGIN, WIDTH, texts.letter_contact(head.contact_email), size=10)


def render(head: Letterhead, letters: list[Letter]) -> bytes:
    """The PDF, one page per letter, in the order given."""
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)  # one family, one page: the layout is made to fit
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.add_font(SANS, "", _font("DejaVuSans.ttf"))
    pdf.add_font(SANS, "B", _font("DejaVuSans-Bold.ttf"))
    pdf.add_font(MONO, "B", _font("DejaVuSansMono-Bold.ttf"))
    pdf.set_title(texts.LETTER_TITLE)
    pdf.set_author(head.school)
    for letter in letters:
        _page(pdf, head, letter)
    return bytes(pdf.output())
