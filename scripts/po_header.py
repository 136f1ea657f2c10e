"""Sets who translated a catalog and whether a native speaker reviewed it, in the header of each of its .po files.

    python scripts/po_header.py --translator "…" --reviewed no i18n/locales/ar/LC_MESSAGES/activation.po …
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from babel.messages.pofile import read_po, write_po


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--translator", required=True)
    parser.add_argument("--reviewed", required=True, help="'no', or who reviewed it (a native speaker)")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    for path in args.files:
        with path.open("rb") as fp:
            catalog = read_po(fp)
        catalog.last_translator = args.translator
        catalog.language_team = f"{catalog.locale} — relu par un locuteur natif : {args.reviewed}"
        catalog.header_comment = re.sub(r"# FIRST AUTHOR.*\n", "", catalog.header_comment)
        catalog.header_comment = re.sub(r"# (Translated by|Native review):.*\n", "", catalog.header_comment)
        catalog.header_comment = (catalog.header_comment.rstrip("#\n") + f"\n# Translated by: {args.translator}\n"
                                  f"# Native review: {args.reviewed}\n#")
        with path.open("wb") as fp:
            write_po(fp, catalog, width=120)


if __name__ == "__main__":
    main()
