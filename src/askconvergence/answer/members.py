"""Which members two groups share, or which one has that the other lacks.

"Which institutions are part of both Convergence Health & Technology and the LDE partnership?"
and "Which member of Convergence Health & Technology is not part of the LDE partnership?" are
answered by two lists in two documents: "TU Delft, Erasmus University Rotterdam and Erasmus MC,
have joined forces within Convergence Health & Technology" and "the LDE partnership (Leiden
University, TU Delft and EUR)". The small model declines these or names the wrong one; the
lists are found, compared ("EUR" is the initials of "Erasmus University Rotterdam") and the
result given with both lists quoted and cited.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from askconvergence.answer.types import Passage

# A question about membership: "part of", "member(s) of", "belong to", "take part in", "one
# of the partners", "deel van", "lid van", "horen bij".
_MEMBERSHIP = re.compile(
    r"\b(?:part|members?|belongs?|partners?|institutions?|universit(?:y|ies)|overlap|"
    r"deel|lid|leden|horen|hoort|partner|instellingen|universiteit(?:en)?)\b",
    re.IGNORECASE,
)
_NOT = re.compile(r"\b(?:not|niet|geen)\b", re.IGNORECASE)
_BOTH = re.compile(r"\b(?:both|also|overlap|beide|allebei|zowel|ook)\b", re.IGNORECASE)

# A name: capitalised words, joined by "&", "of", "van".
_NAME = r"[A-ZÀ-Ý][\w'’-]*(?:\s+(?:(?:&|of|van|de)\s+)?[A-ZÀ-Ý][\w'’-]*)*"
# A list of three names or more: "TU Delft, Erasmus University Rotterdam and Erasmus MC".
_LIST = re.compile(rf"{_NAME}(?:\s*,\s*{_NAME})+\s*,?\s+(?:and|en|&)\s+{_NAME}")
_QUESTION_WORDS = frozenset(
    {"which", "what", "who", "welke", "welk", "wie", "wat", "the", "de", "het", "and", "en"}
)


# Words in many groups' names, which tell none apart ("the LDE partnership", "LDE-partnerschap").
_GENERIC = frozenset(
    {"health", "technology", "partnership", "partnerschap", "partners", "network", "netwerk"}
)


@dataclass(frozen=True)
class Group:
    """A group the question names, the list of its members a passage gives, and where."""

    name: str
    members: tuple[str, ...]
    listed: str  # the list as the passage writes it
    passage: Passage


def _fold(text: str) -> str:
    from askconvergence.retrieve import _fold as fold

    return fold(text)


def _key_words(name: str) -> set[str]:
    """A name's words that tell it apart: its capitalised parts ("LDE" of "LDE-universiteit"),
    less words like "the" and those in names of every kind ("partnership")."""
    parts = [p for p in re.split(r"[\s-]+", name) if p[:1].isupper() or p[:1].isdigit()]
    words = re.findall(r"\w+", _fold(" ".join(parts)))
    return {w for w in words if w not in _QUESTION_WORDS and w not in _GENERIC}


def group_names(question: str) -> list[str]:
    """The two groups a membership question names, in the order named; [] unless two."""
    names: list[str] = []
    for match in re.finditer(_NAME, question):
        name = match.group(0)
        first, _, rest = name.partition(" ")
        if _fold(first) in _QUESTION_WORDS:
            name = rest
        if not _key_words(name):
            continue
        known = next((n for n in names if _key_words(name) & _key_words(n)), None)
        if known is None:
            names.append(name)
        elif len(name) > len(known):
            names[names.index(known)] = name  # "Convergence" is "Convergence Health & ..."
    return names if len(names) == 2 else []


def _same(a: str, b: str) -> bool:
    """Whether two member names name one member: word for word, or one is the other's
    initials ("EUR", "Erasmus University Rotterdam")."""
    fa, fb = _fold(a), _fold(b)
    if fa == fb:
        return True
    for short, long in ((a, b), (b, a)):
        initials = "".join(w[0] for w in re.findall(r"[A-ZÀ-Ý][\w'’-]*", long))
        if len(short) >= 2 and short.isupper() and short == initials:
            return True
    return False


def _members(listed: str) -> tuple[str, ...]:
    return tuple(
        p.strip() for p in re.split(r"\s*,\s*(?:(?:and|en)\s+)?|\s+(?:and|en|&)\s+", listed)
    )


def find_group(name: str, passages: Sequence[Passage]) -> Group | None:
    """The list of three names or more that a passage sentence naming the group gives
    nearest to the name."""
    from askconvergence.answer.excerpts import split_sentences

    keys = _key_words(name)
    best: tuple[int, Group] | None = None
    for passage in passages:
        for sentence in split_sentences(passage.text):
            words = set(re.findall(r"\w+", _fold(sentence)))
            if not keys <= words:
                continue
            at = min(
                (
                    m.start()
                    for k in keys
                    for m in re.finditer(rf"\b{re.escape(k)}\b", _fold(sentence))
                ),
                default=0,
            )
            for match in _LIST.finditer(sentence):
                members = _members(match.group(0))
                if any(keys & _key_words(m) for m in members):
                    continue  # the group itself in a list of others
                distance = min(abs(match.start() - at), abs(match.end() - at))
                if best is None or distance < best[0]:
                    best = (distance, Group(name, members, match.group(0), passage))
    return best[1] if best else None


def membership(
    question: str, retrieve: Callable[[str], list[Passage]], passages: Sequence[Passage]
) -> tuple[list[Group], list[str], str] | None:
    """For a question asking which members two named groups share ("both", "also"), or which
    members the first has that the second lacks ("not"): the two groups, the answer's members
    and which it is ("both" or "not"). None when the question asks neither, or a group's list
    is not found in the passages or in those retrieved for its name."""
    if not _MEMBERSHIP.search(question):
        return None
    negated = bool(_NOT.search(question))
    if not negated and not _BOTH.search(question):
        return None
    names = group_names(question)
    if not names:
        return None
    if negated:
        # The group named after "not" is the one lacking the answer ("Which LDE university is
        # not one of the three Convergence partners?").
        at = _NOT.search(question)
        assert at is not None
        rest = set(re.findall(r"\w+", _fold(question[at.end() :])))
        after = [n for n in names if _key_words(n) & rest]
        if len(after) != 1:
            return None
        names = [n for n in names if n not in after] + after
    groups = []
    for name in names:
        group = find_group(name, passages) or find_group(name, retrieve(f"{name} partners"))
        if group is None:
            return None
        groups.append(group)
    first, second = groups
    shared = {m: next((o for o in second.members if _same(m, o)), "") for m in first.members}
    if negated:
        lacking = [m for m, other in shared.items() if not other]
        return (groups, lacking, "not") if 0 < len(lacking) < len(shared) else None
    # "Erasmus University Rotterdam (EUR)": the name as each list writes it.
    both = [m if other == m else f"{m} ({other})" for m, other in shared.items() if other]
    return (groups, both, "both") if both else None


def _joined(items: Sequence[str], language: str) -> str:
    last = " en " if language == "nl" else " and "
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + last + items[-1]


def membership_answer(
    found: tuple[list[Group], list[str], str], numbers: dict[str, int], language: str
) -> str:
    """The answer with both lists quoted and cited (``numbers``: a passage's marker by its
    chunk id)."""
    groups, members, kind = found
    first, second = groups
    marks = [f"[{numbers[g.passage.chunk_id]}]" for g in groups]
    quoted = [f"{g.name}: “{g.listed}” {mark}" for g, mark in zip(groups, marks, strict=True)]
    cited = " ".join(dict.fromkeys(marks))
    if language == "nl":
        head = (
            f"In beide: {_joined(members, 'nl')} {cited}."
            if kind == "both"
            else f"In {first.name} maar niet in {second.name}: {_joined(members, 'nl')} {cited}."
        )
        return f"{head} De documenten noemen {quoted[0]} en {quoted[1]}."
    head = (
        f"In both: {_joined(members, 'en')} {cited}."
        if kind == "both"
        else f"In {first.name} but not in {second.name}: {_joined(members, 'en')} {cited}."
    )
    return f"{head} The documents list {quoted[0]} and {quoted[1]}."
