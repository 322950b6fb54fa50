"""Prompt building (pure functions).

The system prompt never changes, so llama.cpp reuses its cache for it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from askconvergence.answer.citations import without_credits
from askconvergence.answer.types import Passage

__all__ = [
    "DECLINE_STARTS",
    "DECLINE_TOKEN",
    "ENGLISH_PROMPT",
    "SYSTEM_PROMPT",
    "TRANSLATE_PROMPT",
    "VERIFY_PROMPT",
    "asks_contact",
    "decline_message",
    "user_prompt",
]

DECLINE_TOKEN = "NOT_IN_DOCUMENTS"
# How a declining reply starts (the model's first token of each), for the decline odds.
DECLINE_STARTS = (DECLINE_TOKEN, "Not")

SYSTEM_PROMPT = (
    "You answer questions about Convergence Health & Technology and Dutch health technology, "
    "using only the numbered passages you are given.\n"
    "Rules:\n"
    "- Use only facts stated in the passages. Never add outside knowledge.\n"
    "- Start with the answer itself: the name, place, number, date or items the question asks "
    "for. Do not repeat the question.\n"
    "- If the question asks for several items, give all of them.\n"
    "- End each sentence with the number of the passage it comes from, like [1].\n"
    f"- If the passages do not contain the answer, reply only: {DECLINE_TOKEN}\n"
    "- Answer in one to three short sentences, in the language the user asks for."
)

_LANGUAGE_NAMES = {"en": "English", "nl": "Dutch"}

_DECLINES = {
    "en": "The documents don't say. I could not find this in the sources I have.",
    "nl": "Dat staat niet in de documenten. Ik kon dit niet vinden in mijn bronnen.",
}


def decline_message(language: str) -> str:
    """The plain "the documents don't say" answer, in the question's language."""
    return _DECLINES.get(language, _DECLINES["en"])


def format_passages(passages: Sequence[Passage]) -> str:
    """Passages as the model sees them: number, title, text."""
    return "\n\n".join(
        f"[{p.n}] ({p.title})\n{p.text.strip()}" if p.title else f"[{p.n}]\n{p.text.strip()}"
        for p in passages
    )


# A question's word for what the passages word otherwise: the small model declines "By what
# nickname is the Utrecht region known?" over "the region of Utrecht (also known as the Healthy
# Heart of Holland)", even when told the wording, and answers "By what name ...".
_NICKNAME = re.compile(r"\b(?:nick ?(names?)|bij(naam|namen))\b", re.IGNORECASE)
_OTHER_NAME = re.compile(r"\b(?:(?:an)?other names?|andere na(?:a|m)m(?:en)?)\b", re.IGNORECASE)


# "Wie kan ik bij de Nederlandse ambassade in Finland benaderen ...?" over "Connect with the
# Netherlands Embassy in Finland, Policy Officer for Trade and Innovation, Miina Ojanperä": the
# small model answered "the embassy", in Dutch and in English, unless told a person is asked.
_ASKS_CONTACT = re.compile(
    r"\b(?:who|whom|wie)\b.*\b(?:contact|get\s+in\s+touch|reach|approach|talk\s+to|speak\s+to|"
    r"benader\w*|contacte\w*|terecht|wenden|aanspreken|spreken|bellen|mailen)\b",
    re.IGNORECASE,
)


# Asked in Dutch, the hint is Dutch too: "Bij wie van de Nederlandse ambassade in Finland kan
# ik terecht met ideeën ...?" was declined with the English hint and without one, in Dutch and
# in English, and answered "De contactpersoon is Miina Ojanperä [2]" with this one (y030).
_CONTACT_HINTS = {"en": "(Give the person's name and role.)", "nl": "(Wie is de contactpersoon?)"}


def asks_contact(question: str) -> bool:
    """Whether a question asks whom to contact (to approach, to turn to)."""
    return bool(_ASKS_CONTACT.search(question))


def with_wording(question: str, language: str = "en") -> str:
    """The question as the model reads it: a nickname asked for as a name, with the passages'
    wording of one ("also known as") added in brackets; a contact asked for as a person, in
    the question's ``language``."""
    if asks_contact(question):
        return f"{question} {_CONTACT_HINTS.get(language, _CONTACT_HINTS['en'])}"
    if not (_NICKNAME.search(question) or _OTHER_NAME.search(question)):
        return question
    plain = _NICKNAME.sub(lambda m: m.group(1) or m.group(2), question)
    return f"{plain} (also known as)"


def user_prompt(
    question: str, passages: Sequence[Passage], language: str, reply_in: str | None = None
) -> str:
    """The user turn: the passages, then the question (in ``language``) and the language to
    answer in (``reply_in``, by default the question's)."""
    lang = _LANGUAGE_NAMES.get(reply_in or language, "English")
    # Told outright, the small model stops declining Dutch questions over English passages.
    note = "The passages may be in English; the question is in Dutch.\n" if language == "nl" else ""
    # A photo credit is read only when the question asks about the photo (see without_credits).
    shown = [replace(p, text=without_credits(p.text, question)) for p in passages]
    return (
        f"Passages:\n\n{format_passages(shown)}\n\n"
        f"{note}Question: {with_wording(question, language)}\n"
        f"Answer in {lang}, ending each sentence with its passage number like [1]."
    )


# Asked after an answer, in the same conversation (see Engine._confirmed).
VERIFY_PROMPT = (
    "Is that answer stated in the passages and does it answer the question? Reply YES or NO."
)

# Asked after an answer to a Dutch question that came out in English (see Engine._translated).
TRANSLATE_PROMPT = (
    "Write that answer in Dutch. Keep names, numbers and the passage numbers like [1] as they "
    "are. Reply with the Dutch answer only."
)

# A Dutch question comparing two names, in English: what each side's English sentence is
# chosen by (see Engine._sides).
ENGLISH_PROMPT = (
    "Translate this question into English. Keep the names as they are. Reply with the English "
    "question only.\n\n{question}"
)
