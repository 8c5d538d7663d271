"""First guesses an editor confirms: which language a submission is in, and what kind
of piece it is. Pure functions over text; they never decide, they propose.

Language: the agency publishes in English, Dari and Pashto. English is told from the
other two by its script; Dari and Pashto share the Arabic script, but Pashto writes
sounds Dari has no letters for (ټ ډ ړ ږ ښ ګ ڼ ځ څ ې ۍ), several in almost every
sentence.

Kind: writers say what they send, in the subject or the first lines ("Opinion:",
"op-ed", "Editorial", "Analysis"), in English, Dari or Pashto.
"""

from __future__ import annotations

import re
import unicodedata

ENGLISH, DARI, PASHTO = "en", "prs", "ps"
NEWS, OPINION, EDITORIAL, ANALYSIS = "news", "opinion", "editorial", "analysis"

# Letters Pashto has and Dari does not.
PASHTO_LETTERS = frozenset("ټډړږښګڼځڅېۍ")
# Pashto letters per thousand Arabic-script letters above which text is Pashto;
# measured on the TICO-19 news stories: Pashto 89-115, Dari 0.
PASHTO_PER_THOUSAND = 8
_LOOKED_AT = 20_000  # characters: enough to tell, however long the story

_KINDS = (
    (EDITORIAL, re.compile(r"\beditorial\b|سرمقاله|سر مقاله", re.I)),
    (
        OPINION,
        re.compile(
            r"\bop[-\s]?ed\b|\bopinion\b|\bcommentary\b|\bcolumn\b|دیدگاه|"
            r"^\s*نظر\s*:",
            re.I | re.M,
        ),
    ),
    (ANALYSIS, re.compile(r"\banalysis\b|تحلیل|تحليل|شننه", re.I)),
)


def language_guess(text: str) -> str:
    """Return the language a text is most likely in: "en", "prs" or "ps"."""
    sample = text[:_LOOKED_AT]
    arabic = latin = pashto = 0
    for char in sample:
        if not char.isalpha():
            continue
        if "\u0600" <= char <= "\u06ff" or "\ufb50" <= char <= "\ufeff":
            arabic += 1
            if char in PASHTO_LETTERS:
                pashto += 1
        elif unicodedata.name(char, "").startswith("LATIN"):
            latin += 1
    if arabic <= latin:
        return ENGLISH
    return PASHTO if pashto * 1000 >= arabic * PASHTO_PER_THOUSAND else DARI


def kind_guess(*, subject: str, text: str) -> str:
    """Return the kind of piece a submission says it is (news when it says nothing)."""
    opening = subject + "\n" + "\n".join(text.strip().splitlines()[:3])
    for kind, pattern in _KINDS:
        if pattern.search(opening):
            return kind
    return NEWS
