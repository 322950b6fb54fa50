"""What each of two names says, for a question that compares them.

"Both Convergence Health & Technology and Health Hub Utrecht mention prevention. What kind of
prevention does each emphasise?" needs a sentence from each one's document: "Prevention and
early diagnostics to proactively maintain health" and "working coalitions around
'neighborhood focused prevention'". The small model often gives one side only, or gives one
side's words to the other. Here each name's sentence on the question's topic is found in its
own document's passages, so the answer can show both, quoted and cited.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from askconvergence.answer.types import Passage

# "Both X and Y" or "X and Y both ..." asks each of them; "part of both X and Y", "belong both
# to X and Y" ask which things are in the two at once, which no one side answers.
_EACH = re.compile(
    r"\b(?:each|elk|elke|ieder|allebei|zowel)\b|"
    r"(?<!\bof\s)(?<!\bin\s)(?<!\bto\s)\bboth\b(?!\s+(?:to|in|of)\b)",
    re.IGNORECASE,
)

# Two names a question asks the same of: "X and Y", "zowel X als Y", "in the X mission and in
# Y's working coalitions" (each name may be followed by one plain word).
_NAME = r"[A-ZÀ-Ý][\w'’-]*(?:\s+(?:&\s+)?[A-ZÀ-Ý][\w'’-]*)*"
_TWO_NAMES = re.compile(
    rf"(?P<a>{_NAME})(?:\s+[a-z]\w*)?\s+(?:and|en|als)\s+(?:(?:in|at|to|bij|in)\s+)?"
    rf"(?:(?:the|de|het)\s+)?(?P<b>{_NAME})"
)

# Words that ask for a comparison rather than say what it is about ("what does each say
# about it", "hoe verwoorden ze dat"): left out of the topic a side's sentence is chosen by.
_ASKING = frozenset(
    """do does did each both say says said phrase phrases word words mention mentions mentioned
    emphasise emphasises emphasize emphasizes describe describes stress stresses address
    addresses aim aims kind form take takes them they their article story piece elk elke
    allebei zowel beide verwoorden verwoordt noemen noemt zeggen zegt ze zij er over dat dit
    ideaal doel willen wil soort vorm artikel verhaal""".split()  # noqa: SIM905
)


# Words in most names of the field, which say nothing of which one is meant.
_FIELD = frozenset({"health", "technology", "tech", "medtech", "medical", "care"})


class SentencePicker(Protocol):
    """Picks the passages' sentence that best answers a query (see ExcerptSelector)."""

    def best_sentence(
        self, query: str, passages: Sequence[Passage]
    ) -> tuple[Passage, str] | None: ...


def compared_names(question: str) -> tuple[str, str] | None:
    """The two names a question asks the same of, or None when it compares nothing."""
    from askconvergence.retrieve import _OPENING

    if not _EACH.search(question):
        return None
    pair = _TWO_NAMES.search(question)
    if pair is None:
        return None
    names = [
        re.sub(r"['’]s$", "", _OPENING.sub("", name)).strip()
        for name in (pair.group("a"), pair.group("b"))
    ]
    if not all(names) or names[0] == names[1]:
        return None
    return names[0], names[1]


def _words(text: str) -> set[str]:
    from askconvergence.retrieve import _fold, _stop_words

    return set(re.findall(r"\w+", _fold(text))) - _stop_words()


def _topic(question: str, names: Sequence[str]) -> list[str]:
    from askconvergence.answer.citations import _found, _passage_keys
    from askconvergence.retrieve import content_terms

    for name in names:
        question = question.replace(name, " ")
    # A word of a name is no topic ("utrechtse" of "Health Hub Utrecht"), but for the words
    # the names of this field share ("Convergence Health & Technology" asks of health too).
    named = _passage_keys(" ".join(w for w in " ".join(names).split() if w.lower() not in _FIELD))
    return [w for w in content_terms(question) if w not in _ASKING and not _found(w, *named)]


def _own(name: str, passages: Sequence[Passage]) -> tuple[str, list[Passage]]:
    """The passages of the name's own documents (the name is in their title or source), else
    those that mention it; and the name as they hold it."""
    words = _words(name)
    if not words:
        return name, []
    own = [p for p in passages if words <= _words(f"{p.title} {p.source}")]
    if not own:
        # The documents that name it in a passage, all their passages: "the East Netherlands
        # MedTech article" says "2030" in a chunk that does not repeat the region.
        sources = {p.source for p in passages if words <= _words(p.text)}
        own = [p for p in passages if p.source in sources]
    first, _, rest = name.partition(" ")
    if not own and rest and _words(first):
        # A yes/no question's verb runs into the name: "Zetten Convergence Health & ...".
        return _own(rest, passages)
    return name, own


def _shares_a_word(topic: Sequence[str], sentence: str) -> bool:
    """Whether the sentence holds a topic word: by an English or Dutch stem, or by the first
    six letters ("preventie" / "prevention"; five would let "interns" find "international")."""
    from askconvergence.retrieve import lexical_tokens

    stems = set(lexical_tokens(sentence))
    starts = {w[:6] for w in re.findall(r"\w+", sentence.lower()) if len(w) >= 6}
    return any(
        set(lexical_tokens(word)) & stems or (len(word) >= 6 and word[:6] in starts)
        for word in topic
    )


def sides(
    question: str,
    retrieve: Callable[[str], list[Passage]],
    picker: SentencePicker,
    english: str = "",
) -> list[tuple[str, Passage, str]]:
    """Per compared name, its own passages' sentence on the question's topic that shares a
    topic word with it (see :func:`_shares_a_word`): (name, passage, sentence). [] unless
    both names have one, and the two differ. Each side's passages are retrieved for the
    question asked of it alone: the passages of the whole question may hold one side's
    document only in a chunk that does not say it. The topic of a question not in English is
    read in its ``english`` translation when given: the passages are English."""

    names = compared_names(question)
    if names is None:
        return []
    topic = _topic(english or question, names)
    if not topic:
        return []
    out = []
    for name, other in (names, names[::-1]):
        name, own = _own(name, retrieve(" ".join(question.replace(other, " ").split())))
        if own:
            # The topic alone may find another passage of the same documents ("2030" in the
            # article's quote, not in its chunks that name the region).
            sources = {p.source for p in own}
            taken = {p.chunk_id for p in own}
            own += [
                p
                for p in retrieve(" ".join(topic))
                if p.source in sources and p.chunk_id not in taken
            ]
        best = picker.best_sentence(" ".join(topic), own) if own else None
        if best is None:
            return []
        passage, sentence = best
        if not _shares_a_word(topic, sentence):
            return []
        sentence = sentence.strip().lstrip("-•* ").strip()
        if sentence.startswith("“") and "”" not in sentence:
            sentence = sentence[1:]  # the first sentence of a quotation that goes on
        out.append((name, passage, sentence))
    if out[0][2] == out[1][2]:
        return []
    return out


def _quoted(name: str, sentence: str, n: int) -> str:
    # The full stop after the marker, so the next side starts a sentence of its own.
    return f"{name}: “{sentence.rstrip('.')}” [{n}]."


_LEAD = {"en": "In the documents:", "nl": "In de documenten:"}


def with_sides(
    text: str,
    cited: list[Passage],
    found: Sequence[tuple[str, Passage, str]],
    question: str,
    language: str,
) -> tuple[str, list[Passage]]:
    """The answer followed by each side's sentence it does not already give (most of the
    sentence's words that the question lacks are in the answer), quoted and cited; the
    sources with any passage it adds."""
    from askconvergence.answer.citations import support

    added = []
    cited = list(cited)
    for name, passage, sentence in found:
        if support(sentence, text, question) >= 0.6:
            continue
        n = next((c.n for c in cited if c.chunk_id == passage.chunk_id), 0)
        if not n:
            n = max((c.n for c in cited), default=0) + 1
            cited.append(replace(passage, n=n))
        added.append(_quoted(name, sentence, n))
    if not added:
        return text, cited
    lead = _LEAD.get(language, _LEAD["en"])
    return f"{text.rstrip()}\n\n{lead} {' '.join(added)}", cited


_SAY = {"en": "The documents say:", "nl": "De documenten zeggen:"}


def quote_sides(
    found: Sequence[tuple[str, Passage, str]], passages: Sequence[Passage], language: str
) -> str:
    """Each side's sentence, quoted and cited by its number in ``passages``: the reply to a
    comparison the model declined ("Zetten Convergence Health & Technology en Health Hub
    Utrecht allebei in op preventie?"). "" when no passage holds a side's sentence."""
    quoted = []
    for name, passage, sentence in found:
        # The sentence may be in another chunk of the passages too (two pages share a list).
        n = next((p.n for p in passages if p.chunk_id == passage.chunk_id or sentence in p.text), 0)
        if not n:
            return ""
        quoted.append(_quoted(name, sentence, n))
    return f"{_SAY.get(language, _SAY['en'])} {' '.join(quoted)}" if quoted else ""
