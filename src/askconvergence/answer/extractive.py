"""The extractive backend: the best sentences of the best passages, cited, with no LLM."""

from __future__ import annotations

import re
from collections.abc import Sequence

from askconvergence.answer.citations import (
    ASKS_WHEN,
    ASKS_WHO,
    CREDIT,
    ROLE_WORDS,
    YEAR,
    announces,
    cited_numbers,
    dangles,
    echoes_question,
    makers,
    names_nobody,
    new_names,
    one_base,
    person_roles,
    role_holders,
    role_lines,
    stated_share,
    support,
    without_names,
)
from askconvergence.answer.excerpts import DATE, key_share
from askconvergence.answer.prompts import asks_contact
from askconvergence.answer.types import Passage

__all__ = [
    "extract_answer",
    "misses_role_holder",
    "quote_answer",
    "quote_based",
    "quote_byline",
    "quote_dated",
    "quote_following",
    "quote_item",
    "quote_maker",
    "quote_person_role",
    "quote_reply",
    "quote_role",
    "quote_role_holder",
    "quote_share",
    "quote_yes_no",
    "split_sentences",
    "with_verdict",
    "yes_no_question",
]

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“‘(0-9])|\n+")


def split_sentences(text: str) -> list[str]:
    """Sentences and list items of a passage."""
    parts = (s.strip(" -\t") for s in _SENTENCE.split(text))
    return [s for s in parts if len(s.split()) >= 4]


def extract_answer(
    question: str, passages: Sequence[Passage], max_sentences: int = 2, min_overlap: float = 0.3
) -> str:
    """Pick the sentences that share most content words with the question; cite each one.

    Returns ``""`` (a decline) when no sentence shares enough of the question's words.
    """
    scored = []
    for rank, passage in enumerate(passages):
        for sentence in split_sentences(passage.text):
            shared = support(question, sentence)
            if shared < min_overlap:
                continue
            # Word overlap with the question, nudged towards better-ranked passages.
            scored.append((shared + 0.05 * (len(passages) - rank), passage.n, sentence))
    scored.sort(key=lambda t: t[0], reverse=True)
    chosen = scored[:max_sentences]
    return " ".join(f"{sentence.rstrip()} [{n}]" for _, n, sentence in chosen)


# An English sentence that ends on "is" or "are" has lost its fact ("Its email is [1].").
_ENDS_ON_VERB = re.compile(r"\b(is|are|was|were)\s*(\[[\d,\s]+\]\s*)*[.!]?\s*$", re.IGNORECASE)
_QUOTES = {"en": "The documents say: “{}” [{}]", "nl": "De documenten zeggen: “{}” [{}]"}


def quote_answer(
    answer: str,
    passages: Sequence[Passage],
    question: str,
    language: str,
    min_overlap: float = 0.4,
    named: bool = False,
) -> str:
    """The sentence of the passages that best answers the question, quoted; on a tie, one of a
    passage the answer cites.

    For an answer that only restated the question ("Erasmus MC has an intensive partnership
    with Erasmus MC [3]"): the model read the passages but did not say what they state.
    Returns ``""`` when no sentence shares enough of the question's words or says more than
    it, and when the answer breaks off where its fact should be ("The email address is
    [1]."): then the passages lack the fact, and quoting a sentence near it would only look
    like an answer. With ``named``, a "who" question is quoted only a sentence that names
    someone the question does not.
    """
    if dangles(answer) or _ENDS_ON_VERB.search(answer):
        return ""
    numbers = set(cited_numbers(answer))
    dated = bool(ASKS_WHEN.search(question))  # a "when" question wants a sentence with a year
    best: tuple[float, int, str] | None = None
    for passage in passages:
        for sentence in split_sentences(passage.text):
            shared = support(question, sentence)
            if shared < min_overlap or echoes_question(sentence, question):
                continue
            if dated and not YEAR.search(sentence):
                continue
            if named and names_nobody(sentence, question):
                # "who's behind X?" is not answered by "In doing so, X will contribute to
                # overall health", however many of the question's words it shares.
                continue
            shared += 0.1 * (passage.n in numbers)  # the passage the model chose, on a tie
            if best is None or shared > best[0]:
                best = (shared, passage.n, sentence.rstrip())
    if best is None:
        return ""
    return _QUOTES.get(language, _QUOTES["en"]).format(best[2], best[1])


def quote_item(item: tuple[int, str, str], language: str) -> str:
    """A numbered list's item (see :func:`~askconvergence.answer.citations.numbered_item`),
    quoted with what it says: “3. Responsible innovation: Take into account ...” [2]."""
    n, line, after = item
    said = f"{line}: {after}" if after and not after[:1].isdigit() else line
    return _QUOTES.get(language, _QUOTES["en"]).format(said, n)


def quote_following(
    answer: str, passages: Sequence[Passage], language: str, min_overlap: float = 0.6
) -> str:
    """The passage sentence after the one an announcing answer copied, quoted: the model
    answered "Chris Doomernik explains why this region is able to make a difference [1]", and
    what he explains ("It is vital that all players ... are closely connected") is the next
    sentence. ``""`` when no passage sentence both announces and is the answer's."""
    for passage in passages:
        sentences = split_sentences(passage.text)
        for sentence, following in zip(sentences, sentences[1:], strict=False):
            if announces(sentence) and support(answer, sentence) >= min_overlap:
                said = following.strip().strip('“”"')
                return _QUOTES.get(language, _QUOTES["en"]).format(said, passage.n)
    return ""


def quote_reply(
    question: str, passages: Sequence[Passage], language: str, min_overlap: float = 0.3
) -> str:
    """The line a passage gives in reply to a question line of its own that is the user's
    question, quoted: "Ideas for health tech co-operation between Finland and the
    Netherlands?" / "- Connect with the Netherlands Embassy in Finland, ..., Miina Ojanperä,".
    The small model named the contact of the line before (q050). The passage's question must
    have three words or more and three quarters of them in the user's, the user's
    ``min_overlap`` of its words in the passage's ("Who should I get in touch with about"
    is the user's own), names left out of both, and the passage's every name the user's asks for
    ("... between Finland and Germany?" is not the passage's question). Only for a question
    that asks whom to contact: a contact is what such lines give ("How much does health tech
    co-operation between Finland and the Netherlands cost?" is not answered by one). ``""``
    when none is."""
    from askconvergence.retrieve import content_terms

    if not asks_contact(question):
        return ""
    mine = without_names(question)  # names left out, see below
    best: tuple[float, int, str] | None = None
    for passage in passages:
        lines = [line.strip(" -\t") for line in passage.text.splitlines() if line.strip()]
        for asked, reply in zip(lines, lines[1:], strict=False):
            if not asked.endswith("?") or reply.endswith("?") or len(reply.split()) < 3:
                continue
            if any(content_terms(name) for name in new_names(question, asked)):
                continue  # not "Who" or "I": a name
            # Names left out: "Interested in collaboration with Health Hub Utrecht?" is not
            # "What does Health Hub Utrecht look for?".
            theirs = without_names(asked)
            if len(content_terms(theirs)) < 3:
                continue
            covered, shared = support(theirs, mine), support(mine, theirs)
            if covered >= 0.75 and shared >= min_overlap and (best is None or shared > best[0]):
                best = (shared, passage.n, reply.rstrip(" ,;"))
    if best is None:
        return ""
    return _QUOTES.get(language, _QUOTES["en"]).format(best[2], best[1])


def quote_role(question: str, passages: Sequence[Passage], language: str) -> str:
    """The one contact line holding the role a question asks about (see
    :func:`~askconvergence.answer.citations.role_lines`), quoted with the short line above it
    that names who has it: "Op welke dagen is de persvoorlichter bereikbaar?" to "drs. M.M.J.
    van Hillegersberg - Hofmans (Martine) Press relations (available Mon, Tue, Thu)", which
    the small model declined over. ``""`` when no line or more than one holds the role."""
    found = {
        (n, f"{name}, {line}" if name else line)
        for n, name, line in _role_contacts(passages, question)
        if line
    }
    if len({quote for _, quote in found}) != 1:
        return ""
    n, quote = min(found)
    return _QUOTES.get(language, _QUOTES["en"]).format(quote, n)


# "Who wrote the story about ...?", "Wie heeft dit artikel geschreven?", "Who is the author".
_ASKS_AUTHOR = re.compile(
    r"\b(?:who|wie)\b.*\b(?:wrote|written|writes|created|authored|published|schreef|"
    r"geschreven|gemaakt|maakte)\b|\b(?:authors?|auteurs?|schrijvers?)\b",
    re.IGNORECASE,
)
# A byline: "Co-created by Health Hub Utrecht & the Netherlands Embassy in Helsinki".
_BYLINE = re.compile(
    r"^(?:co-?)?(?:created|written|authored|published|text|story)\s+by\s+\S.*$|"
    r"^(?:tekst|door|auteur|author):?\s+[A-ZÀ-Ý].*$",
    re.IGNORECASE | re.MULTILINE,
)


def quote_byline(question: str, passages: Sequence[Passage], language: str) -> str:
    """For a question who wrote a story, the byline ("Co-created by Health Hub Utrecht & the
    Netherlands Embassy in Helsinki") of the passage whose title shares most of the question's
    words (a third at least: another story's byline is no answer), quoted; ``""`` when none."""
    from askconvergence.answer.citations import support

    if not _ASKS_AUTHOR.search(question):
        return ""
    found = [
        (support(p.title, question), p, m.group(0).strip())
        for p in passages
        for m in _BYLINE.finditer(p.text)
        if support(p.title, question) >= 1 / 3
    ]
    if not found:
        return ""
    _, passage, line = max(found, key=lambda f: f[0])
    return _QUOTES.get(language, _QUOTES["en"]).format(line, passage.n)


def quote_role_holder(question: str, passages: Sequence[Passage], language: str) -> str:
    """The one passage sentence naming someone as the role a question asks about, where the
    question says ("Chris Doomernik, director of Health Valley, explains ..."; see
    :func:`~askconvergence.answer.citations.role_holders`), quoted; ``""`` when there is none
    or more than one."""
    found = role_holders(passages, question)
    if len({sentence for _, sentence in found}) != 1:
        return ""
    passage, sentence = found[0]
    return _QUOTES.get(language, _QUOTES["en"]).format(sentence, passage.n)


def misses_role_holder(answer: str, passages: Sequence[Passage], question: str) -> bool:
    """Whether a "who" answer names no one of the one contact line holding the role asked
    about (see :func:`quote_role`): "Wie is het perscontact ... voor het artikel over
    medische technologie in Oost-Nederland?" was answered "de TechMed Centre", which the
    article names too."""
    if not ASKS_WHO.search(question):
        return False
    holders = {name for _, name, _ in _role_contacts(passages, question)}
    if len(holders) != 1 or not (holder := holders.pop()):
        return False
    named = {w.casefold() for w in re.findall(r"\w{4,}", answer)}
    return not any(w.casefold() in named for w in re.findall(r"\w{4,}", holder))


def _role_contacts(passages: Sequence[Passage], question: str) -> set[tuple[int, str, str]]:
    """Per label line of :func:`~askconvergence.answer.citations.role_lines`: its passage's
    number, the name above it and the line itself (see :func:`_name_and_line`)."""
    return {
        (passage.n, *_name_and_line(passage.text, label))
        for passage, _, _, label in role_lines(passages, question)
    }


def _name_and_line(text: str, sentence: str) -> tuple[str, str]:
    """The line of ``text`` that ``sentence`` opens ("" for none), and the line above it
    when that is short and no sentence (a name: "drs. M.M.J. van Hillegersberg - Hofmans
    (Martine)"), else "". A credit line names its own holder ("Photographer: Lizet Beek")."""
    lines = [line.strip(" -\t") for line in text.splitlines() if line.strip(" -\t")]
    at = next((j for j, line in enumerate(lines) if sentence.startswith(line[:40])), None)
    if at is None:
        return "", ""
    above = lines[at - 1] if at and not CREDIT.match(lines[at]) else ""
    named = len(above.split()) <= ROLE_WORDS and not above.endswith((".", "?", ":"))
    return (above if named else ""), lines[at]


def quote_share(question: str, passages: Sequence[Passage], language: str) -> str:
    """The one passage sentence stating the share a question asks for (see
    :func:`~askconvergence.answer.citations.stated_share`), quoted; ``""`` when there is none."""
    found = stated_share(question, passages, counts=True)
    return _QUOTES.get(language, _QUOTES["en"]).format(found[1], found[0]) if found else ""


def quote_based(question: str, passages: Sequence[Passage], language: str) -> str:
    """For a "where" question, the one passage sentence saying where what the question names
    or describes is based (see :func:`~askconvergence.answer.citations.based_places`), quoted;
    ``""`` when none or several places are."""
    based = one_base(passages, question)
    if based is None:
        return ""
    passage, sentence, _ = based
    return _QUOTES.get(language, _QUOTES["en"]).format(sentence, passage.n)


def quote_person_role(question: str, passages: Sequence[Passage], language: str) -> str:
    """For a question for the role of someone named, the passage sentence naming them that
    names most places (see :func:`~askconvergence.answer.citations.person_roles`), quoted:
    "Connect with Economic Board Utrecht, Director Health, Jelle van der Weijde"; ``""``
    when no sentence names them."""
    found = person_roles(passages, question)
    if not found:
        return ""
    passage, sentence, _ = max(found, key=lambda f: len(f[2]))
    return _QUOTES.get(language, _QUOTES["en"]).format(sentence.rstrip(" ,;"), passage.n)


def quote_maker(question: str, passages: Sequence[Passage], language: str) -> str:
    """For a question for who made something, the one passage sentence saying who made what
    it names (see :func:`~askconvergence.answer.citations.makers`), quoted; ``""`` when none
    or several makers are named."""
    found = makers(passages, question)
    if len({name for _, _, name in found}) != 1:
        return ""
    passage, sentence, _ = found[0]
    return _QUOTES.get(language, _QUOTES["en"]).format(sentence, passage.n)


# "Is the cooperation between Erasmus MC and LUMC something new?", "According to Rovers, does
# medical technology usually replace existing procedures?": a question answered yes or no,
# and a lead-in naming whose view it asks for.
_YES_NO = re.compile(
    r"^\s*(?P<lead>(?:according\s+to|in\s+the\s+view\s+of)\s+[^,?]+,\s*)?"
    r"(?:is|are|was|were|does|do|did|has|have|had|can|could|will|would|should)\b",
    re.IGNORECASE,
)


def yes_no_question(question: str) -> str:
    """An English yes/no question without its lead-in ("According to Rovers, "), which draws
    the sentence introducing the person rather than the one that answers; "" for any other
    question."""
    m = _YES_NO.match(question)
    if m is None:
        return ""
    return question[m.end("lead") :] if m.group("lead") else question


def with_verdict(answer: str, quoted: str, question: str, language: str) -> str:
    """The quote that replaces an answer to an English yes/no question, after the answer's
    own "Yes" or "No" when it opens with one ("Yes. The documents say: “...” [1]"); the quote
    alone otherwise."""
    verdict = re.match(r"\s*(yes|no)\b", answer, re.IGNORECASE)
    if verdict is None or language != "en" or not yes_no_question(question):
        return quoted
    return f"{verdict.group(1).capitalize()}. {quoted}"


def quote_yes_no(question: str, best: tuple[Passage, str] | None) -> str:
    """For a yes/no question (see :func:`yes_no_question`) the model declined, the sentence
    that bears on it most (``best``, the excerpts' first for it), quoted when it holds at
    least two-fifths of the question's content words: "However, medical technology is often
    still an add-on rather than a substitute for procedures ..." The reader judges yes or no
    from the documents' own words. Dutch questions are not asked this: their first sentence
    is most often not the one that answers."""
    if best is None:
        return ""
    passage, sentence = best
    if key_share(question, sentence) < 0.4:
        return ""
    return _QUOTES["en"].format(sentence, passage.n)


def quote_dated(question: str, best: tuple[Passage, str] | None, language: str) -> str:
    """For a "when" question, the sentence that bears on it most (``best``, the excerpts'
    first, with its passage), quoted when it states a date the question does not and holds at
    least half of the question's content words; ``""`` otherwise.

    The small model declined "On what date did Health Hub Utrecht hold its online
    Inspiration conference?" over "... during an online Inspiration conference with all
    Health Hub Partners on 6 November 2020." Over our sets, every "when" question the
    documents answer has its dated sentence first, with 4 of 7 content words or more; of
    those they do not ("In what year was Health Hub Utrecht founded?"), the one whose best
    sentence is dated gives only the question's own year ("Health Valley Event (2023
    edition)").
    """
    if best is None or not ASKS_WHEN.search(question):
        return ""
    passage, sentence = best
    asked = {m.group().lower() for m in DATE.finditer(question)}
    if not {m.group().lower() for m in DATE.finditer(sentence)} - asked:
        return ""
    if key_share(question, sentence) < 0.5:
        return ""
    return _QUOTES.get(language, _QUOTES["en"]).format(sentence, passage.n)
