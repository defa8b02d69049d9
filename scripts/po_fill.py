"""Fill msgstr entries of a .po catalogue from a JSON object {msgid: msgstr}.

Developer tool: `python scripts/po_fill.py accounts/locale/ja/LC_MESSAGES/django.po ja.json`.
Plural entries take a list of two strings. Prints the msgids still untranslated.
"""

import json
import sys

import polib


def main(po_path: str, json_path: str) -> None:
    catalogue = polib.pofile(po_path)
    with open(json_path, encoding="utf-8") as handle:
        translations = json.load(handle)
    for entry in catalogue:
        if entry.msgid in translations:
            value = translations[entry.msgid]
            if entry.msgid_plural:
                values = value if isinstance(value, list) else [value, value]
                entry.msgstr_plural = dict(enumerate(values))
            else:
                entry.msgstr = value
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    catalogue.save()
    missing = [e.msgid for e in catalogue if not e.translated() and not e.obsolete]
    for msgid in missing:
        print("untranslated:", repr(msgid))


if __name__ == "__main__":
    main(*sys.argv[1:3])
