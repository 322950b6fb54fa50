"""Turning a follow-up question ("Who is its director?") into one that stands on its own."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from askconvergence.answer.citations import _ASKS_QUANTITY, ASKS_WHEN, ASKS_WHO
from askconvergence.answer.language import detect_language
from askconvergence.answer.prompts import SYSTEM_PROMPT

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

__all__ = ["Turn", "heuristic_rewrite", "is_follow_up", "llm_rewrite", "standalone_question"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Turn:
    """One message of the conversation so far."""

    role: Literal["user", "assistant"]
    content: str


_REFERRING = re.compile(
    r"\b(it|its|it's|they|them|their|theirs|he|him|his|she|her|hers|this|that|these|those|"
    r"there|such|the same|the latter|the former|that person|this person|"
    r"het|hij|hem|zij|ze|hun|haar|zijn|dit|dat|deze|die|daar|daarvan|ervan|erin|hiervan|"
    r"dezelfde|datzelfde)\b",
    re.IGNORECASE,
)
# "Where is the company based?" after "What is Inreda Diabetic known for?": a kind of thing
# with "the" and no name refers to the one just talked about.
_THE_KIND = re.compile(
    r"\b(the|de)\s+(company|firm|bedrijf|organi[sz]ations?|organisatie|network|netwerk|device|"
    r"apparaat|system|systeem|chips?|start-?up|spin-off|centre|center|centrum|campus|"
    r"ecosystem|ecosysteem|programme|program|programma|project|event|region|regio)\b"
    r"(?!\s+(of|in|at|for|that|which|called|named|van|die|dat)\b)",
    re.IGNORECASE,
)
_LEADING_CONNECTIVE = re.compile(r"^\s*(and|also|what about|how about|en|ook|en wat)\b", re.I)
_MARKERS = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")
_WORD = re.compile(r"\w[\w&'’-]*", re.UNICODE)
_QUESTION_WORDS = {
    "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "is", "are", "was",
    "were", "does", "do", "did", "can", "the", "a", "an", "tell", "me", "about", "of",
    "wat", "welk", "welke", "wie", "wanneer", "waar", "waarom", "hoe", "zijn",
    "de", "het", "een", "van", "vertel", "over", "heeft", "doet",
}  # fmt: skip


def _user_turns(history: Sequence[Turn]) -> list[str]:
    return [t.content for t in history if t.role == "user" and t.content.strip()]


def is_follow_up(question: str, history: Sequence[Turn]) -> bool:
    """Whether a question probably leans on the conversation (a pronoun, "and ...", very short)."""
    if not _user_turns(history):
        return False
    return bool(
        _REFERRING.search(question)
        or _THE_KIND.search(question)
        or _LEADING_CONNECTIVE.search(question)
        or len(question.split()) <= 4
    )


def _subject(question: str) -> str:
    """What a question is about: its words minus question words ("What is Micronit?" → Micronit)."""
    words = [w for w in _WORD.findall(question) if w.casefold() not in _QUESTION_WORDS]
    return " ".join(words)


def _last_subject(history: Sequence[Turn]) -> str:
    """The subject of the conversation: that of the last user turn naming something (a
    capitalised word after its first), or else of the last user turn. After "Wat is Health Hub
    Utrecht?" and "Met hoeveel partners werken ze samen?", it is Health Hub Utrecht."""
    turns = _user_turns(history)
    for turn in reversed(turns):
        subject = _subject(turn)
        if any(w[0].isupper() for w in _WORD.findall(turn)[1:]) and subject:
            return subject
    return _subject(turns[-1]) if turns else ""


def _names(text: str) -> list[str]:
    """The capitalised words of a subject (names), but question words."""
    return [
        w
        for w in _WORD.findall(text)
        if w[0].isupper() and len(w) > 2 and w.casefold() not in _QUESTION_WORDS
    ]


def _shares_a_word(a: str, b: str) -> bool:
    words_b = {w.casefold() for w in _WORD.findall(b) if len(w) > 2}
    return any(w.casefold() in words_b for w in _WORD.findall(a) if len(w) > 2)


def _names_from_answer(rewritten: str, question: str, history: Sequence[Turn]) -> bool:
    """Whether a rewrite brings in a name (a capitalised word) of the last answer that the
    follow-up itself did not hold."""
    answers = [t.content for t in history if t.role == "assistant"]
    if not answers:
        return False
    asked = {w.casefold() for w in _WORD.findall(question)}
    names = {
        w.casefold()
        for w in _WORD.findall(_MARKERS.sub("", answers[-1]))
        if len(w) > 2 and w[0].isupper() and w.casefold() not in asked
    }
    return any(w.casefold() in names for w in _WORD.findall(rewritten))


def heuristic_rewrite(question: str, history: Sequence[Turn]) -> str:
    """A search query for a follow-up without an LLM: the question plus the earlier subject."""
    if not is_follow_up(question, history):
        return question
    subject = _last_subject(history)
    return f"{question} ({subject})" if subject else question


_REWRITE_INSTRUCTION = (
    "Rewrite the last question so it can be understood without the conversation: replace "
    "words like it, its, they, that, het, hun, die with what they refer to. Keep its language. "
    "Reply with the rewritten question only."
)


def llm_rewrite(question: str, history: Sequence[Turn], llm: LLM, max_tokens: int = 48) -> str:
    """A standalone version of a follow-up question, written by the LLM (tiny prompt).

    The system prompt is the answering one, so llama.cpp can keep it in its prompt cache.
    Falls back to the heuristic when the model returns nothing usable.
    """
    from llama_index.core.llms import ChatMessage, MessageRole

    lines = []
    for turn in list(history)[-2:]:
        text = _MARKERS.sub("", turn.content).strip()
        words = text.split()
        if len(words) > 40:  # a long earlier answer costs prefill time and adds little
            text = " ".join(words[:40]) + " ..."
        lines.append(f"{'User' if turn.role == 'user' else 'Assistant'}: {text}")
    conversation = "\n".join(lines)
    prompt = f"Conversation:\n{conversation}\n\nLast question: {question}\n\n{_REWRITE_INSTRUCTION}"
    messages = [
        ChatMessage(role=MessageRole.SYSTEM, content=SYSTEM_PROMPT),
        ChatMessage(role=MessageRole.USER, content=prompt),
    ]
    try:
        reply = llm.chat(messages, max_tokens=max_tokens).message.content or ""
    except Exception:  # a failing rewrite must not fail the answer
        log.warning("Follow-up rewrite failed; using the heuristic", exc_info=True)
        return heuristic_rewrite(question, history)
    rewritten = reply.strip().splitlines()[0].strip().strip('"').strip() if reply.strip() else ""
    rewritten = re.sub(r"^(rewritten question|question|vraag)\s*:\s*", "", rewritten, flags=re.I)
    if len(rewritten.split()) < 2 or len(rewritten) > 4 * len(question) + 120:
        return heuristic_rewrite(question, history)
    if detect_language(rewritten) != detect_language(question):
        # The small model sometimes answers "En waar is dat bedrijf gevestigd?" with an English
        # rewrite, and an English question gets an English answer: keep the user's words and
        # add what the rewrite resolved the reference to.
        kept = _in_language(question, rewritten, history)
        log.info("Rewrite %r changed the language; using %r", rewritten, kept)
        return kept
    if _asked_word(question) - _asked_word(rewritten):
        # "and who should I get in touch with there?" rewritten as "What should I contact at
        # the Netherlands Embassy in Finland?" asks for something else: keep the user's words
        # and add what the rewrite resolved the reference to.
        kept = _in_language(question, rewritten, history)
        log.info("Rewrite %r changed what is asked; using %r", rewritten, kept)
        return kept
    # A rewrite that names nothing from the earlier question or answer did not resolve the
    # reference (the small model sometimes guesses another subject): keep the earlier subject.
    # A name from the last answer resolves it too ("that person" → "Jelle van der Weijde").
    subject = _last_subject(history)
    # A subject with a name is kept only by its name: "Wat voor onderzoek worden ze
    # gebruikt?" shares "voor" with "Wat voor chips maakt Micronit?", not the company.
    kept = " ".join(_names(subject)) or subject
    if subject and not (
        _shares_a_word(rewritten, kept) or _names_from_answer(rewritten, question, history)
    ):
        log.info("Rewrite %r lost the subject %r; adding it", rewritten, subject)
        return f"{rewritten} ({kept})"
    log.info("Follow-up %r rewritten as %r", question, rewritten)
    return rewritten


# "Where": asked of places, as ASKS_WHO is of people and ASKS_WHEN of times.
_ASKS_WHERE = re.compile(r"\b(where|waar)\b", re.IGNORECASE)


def _asked_word(question: str) -> set[str]:
    """The kinds a question asks for by its question words: a person, a time, a place, an
    amount."""
    kinds = (
        ("who", ASKS_WHO),
        ("when", ASKS_WHEN),
        ("where", _ASKS_WHERE),
        ("amount", _ASKS_QUANTITY),
    )
    return {kind for kind, pattern in kinds if pattern.search(question)}


def _in_language(question: str, rewritten: str, history: Sequence[Turn]) -> str:
    """The follow-up in its own words plus the conversation's names the rewrite brought in
    ("En waar is dat bedrijf gevestigd? (Flux Robotics)"), spelled as the conversation spells
    them; the heuristic rewrite when it brought in none."""
    spelled: dict[str, str] = {}
    for turn in history:
        for word in _WORD.findall(_MARKERS.sub("", turn.content)):
            spelled.setdefault(word.casefold(), word)
    asked = {w.casefold() for w in _WORD.findall(question)}
    added = [
        spelled[w.casefold()]
        for w in _WORD.findall(rewritten)
        if w.casefold() in spelled
        and spelled[w.casefold()][0].isupper()  # a name, not "network"
        and w.casefold() not in asked
        and w.casefold() not in _QUESTION_WORDS
        and len(w) > 2
    ]
    added = list(dict.fromkeys(added))
    return f"{question} ({' '.join(added)})" if added else heuristic_rewrite(question, history)


def standalone_question(question: str, history: Sequence[Turn], llm: LLM | None) -> str:
    """The question to search for and answer: itself, or rewritten when it is a follow-up."""
    if not is_follow_up(question, history):
        return question
    if llm is None:
        return heuristic_rewrite(question, history)
    return llm_rewrite(question, history, llm)
