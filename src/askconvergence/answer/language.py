"""Telling Dutch from English questions (a stop-word vote; enough for short questions)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["detect_language", "foreign_letters", "written_in_english"]

_DUTCH = set(
    "de het een en van is zijn wat wie waar wanneer waarom hoe welke welk hoeveel niet ook"  # noqa: SIM905
    " voor met op aan bij door naar uit over dat dit die deze er om te tot wordt worden"
    " kan kun kunt heeft hebben hun haar zij ze wij we jullie ik je u als maar nog al"
    " instellingen samen binnen waarvoor waarmee onderzoek zorg bedrijf gebaseerd".split()
)
_ENGLISH = set(
    "the a an and of is are was were what who where when why how which many much not also"  # noqa: SIM905
    " for with on at by to from about that this these those it its their they he she we you"
    " does do did has have be been can will would".split()
)
_WORD = re.compile(r"[a-zà-ÿ]+")


def _votes(text: str) -> tuple[int, int]:
    """How many of the text's words are Dutch and how many English stop words."""
    words = _WORD.findall(text.lower())
    return sum(w in _DUTCH for w in words), sum(w in _ENGLISH for w in words)


def detect_language(text: str) -> str:
    """``"nl"`` when the text reads as Dutch, else ``"en"``."""
    nl, en = _votes(text)
    return "nl" if nl > en else "en"


def written_in_english(text: str, min_words: int = 3) -> bool:
    """Whether a text (an answer) is English prose: more English than Dutch stop words, and at
    least ``min_words`` of them, so a bare name or number ("Health Valley [1]") is not."""
    nl, en = _votes(text)
    return en >= min_words and en > nl


def foreign_letters(text: str, sources: Iterable[str] = ()) -> set[str]:
    """Letters of a text in another script than the Latin one that the ``sources`` do not
    have: the small Qwen model now and then slips a Chinese character into a Dutch answer
    ("het ver結en van ...")."""
    found = {c for c in text if c.isalpha() and not unicodedata.name(c, "").startswith("LATIN")}
    for source in sources:
        if not found:
            break
        found -= set(source)
    return found
