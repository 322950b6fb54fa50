"""Parsing and checking citation markers such as [1] and [2, 3] in answers (pure functions).

An answer's markers are checked sentence by sentence: a marker that points at no passage given
to the model is dropped; a sentence keeps only the cited passages that support it; a sentence
citing none that does gets the passage that supports it best; the sources are the passages
cited, renumbered 1..m in the order the answer first cites them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from functools import lru_cache

from askconvergence.answer.language import detect_language
from askconvergence.answer.types import Passage
from askconvergence.ingest.clean import PHOTO_CREDIT_LABELS

__all__ = [
    "ASKS_WHEN",
    "ASKS_WHO",
    "CREDIT",
    "ENDS_SENTENCE",
    "MONTHS",
    "NUMBER_WORDS",
    "ROLE_WORDS",
    "YEAR",
    "announces",
    "asks_for_several",
    "based_places",
    "check_citations",
    "cited_numbers",
    "clean_markers",
    "complete_list",
    "counting",
    "dangles",
    "dangling",
    "days_as_counts",
    "echoes_question",
    "fractions_as_written",
    "from_titles",
    "gives_another_item",
    "invented_items",
    "invented_names",
    "invented_numbers",
    "list_after_lead",
    "lost_names",
    "miscounted",
    "misplaced_numbers",
    "misses_address",
    "misses_base",
    "misses_day",
    "misses_quantity",
    "misses_share",
    "misses_time",
    "names_no_city",
    "names_nobody",
    "new_names",
    "numbered_item",
    "one_base",
    "of_another_kind",
    "overlap",
    "qualified_as_written",
    "resolve_citations",
    "rest_of_numbered",
    "rest_of_quotation",
    "restated_items",
    "role_holders",
    "role_lines",
    "share_as_count",
    "split_answer",
    "stated_share",
    "support",
    "unanchored_amounts",
    "unanchored_people",
    "unanchored_years",
    "undated_events",
    "unheld_role",
    "unpriced",
    "without_credits",
    "without_list",
    "without_names",
    "without_sentences",
]

_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_WORD = re.compile(r"\w+", re.UNICODE)
# A sentence ends at . ! ? (and any markers right after it) followed by space and a capital,
# a digit or a quote; also at line breaks. Not after a title or an initial: "The scientific
# director of the TechMed Centre is Dr. Jan van der Weijde" is one sentence (u021: cut in
# two, the name's sentence was dropped and "... is Dr." kept as an answer).
_TITLES = ("Dr", "dr", "Drs", "drs", "Prof", "prof", "Mr", "Mrs", "Ms", "ir", "Ir", "St")
_SENTENCE_END = re.compile(
    r"(?<=[.!?])"
    + "".join(rf"(?<!\b{title}\.)" for title in _TITLES)
    + r"(?<!\b[A-Z]\.)((?:\s*\[\d+(?:\s*,\s*\d+)*\])*)\s+(?=[A-Z0-9À-Ý\"“‘(*-])|\n+"
)

# A cited passage is kept when it supports the sentence at least this much ...
KEEP_SUPPORT = 0.25
# ... and a sentence is (re)attributed to its best passage only when that one reaches this.
ATTRIBUTE_SUPPORT = 0.4


def cited_numbers(text: str) -> list[int]:
    """Passage numbers cited in ``text``, in order of first appearance, without repeats."""
    seen: list[int] = []
    for match in _MARKER.finditer(text):
        for part in match.group(1).split(","):
            n = int(part)
            if n not in seen:
                seen.append(n)
    return seen


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def clean_markers(text: str, valid: set[int]) -> str:
    """Drop markers (or the numbers inside them) that point at no passage given to the model."""

    def fix(match: re.Match[str]) -> str:
        keep = [p.strip() for p in match.group(1).split(",") if int(p) in valid]
        return f"[{', '.join(keep)}]" if keep else ""

    return _tidy(_MARKER.sub(fix, text))


def overlap(a: str, b: str, leave_out: str = "") -> float:
    """Share of ``a``'s content words (4+ letters, not in ``leave_out``) that also occur in
    ``b``."""
    words_a = {w for w in _WORD.findall(a.lower()) if len(w) > 3}
    words_a -= set(_WORD.findall(leave_out.lower()))
    if not words_a:
        return 0.0
    words_b = set(_WORD.findall(b.lower()))
    return len(words_a & words_b) / len(words_a)


@lru_cache(maxsize=8192)  # bounded: a server sees ever new excerpts
def _passage_keys(text: str) -> tuple[frozenset[str], frozenset[str]]:
    from askconvergence.retrieve import lexical_tokens

    # Grouped numbers are folded first, so the answer's "135,000" finds the passage's "135.000".
    folded = _fold_digits(text)
    words = [w for w in _WORD.findall(folded.lower())]
    return frozenset(lexical_tokens(folded)), frozenset(_prefixes(words))


def _prefixes(words: Iterable[str], shortest: int = 5) -> set[str]:
    """The first five letters of the words at least ``shortest`` long: how a word is matched
    across English and Dutch ("principe" / "principles", "chronische" / "chronic")."""
    return {word[:5] for word in words if len(word) >= shortest}


# A number written in groups of three: "135,000", "135.000", "1 000 000" (one separator).
_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}([,. ])\d{3}(?:\1\d{3})*(?![\d])")


def _fold_digits(text: str) -> str:
    """Write grouped numbers as plain digits, so "135,000", "135.000" and "135 000" match.

    Only a real grouping is folded: "in 2030 135.000 people" stays two numbers.
    """
    return _GROUPED.sub(lambda m: m.group(0).replace(m.group(1), ""), text)


# A single digit standing alone: not a list number ("3."), a part of a number or a fraction.
_LONE_DIGIT = re.compile(r"(?<![\w.,/])\d(?![\w.,/)%])")


def support(sentence: str, passage_text: str, question: str = "") -> float:
    """How much of a sentence a passage backs: share of its content words found in the passage.

    A word is found when one of its English or Dutch stems occurs in the passage, or (so a Dutch
    sentence can match an English passage) when a passage word shares its first five letters,
    as in "patiënten"/"patients" or "technologie"/"technology". Numbers must match exactly.
    Words the ``question`` already has are left out: they are what was asked, not what the
    answer claims, and a passage may word them differently ("workers"/"working population").
    """
    from askconvergence.retrieve import content_terms

    stems, prefixes = _passage_keys(passage_text)
    text = _fold_digits(_MARKER.sub("", sentence))
    # A lone digit is no content word to the keyword index, but it is the whole of "3 [1]".
    words = content_terms(text) + _LONE_DIGIT.findall(text)
    if question:
        asked = _passage_keys(question)
        words = [w for w in words if w.isdigit() or not _found(w, *asked)]
    if not words:
        return 0.0
    found = 0
    for word in words:
        if word.isdigit():
            found += word in stems or word in _passage_numbers(passage_text)
        elif _found(word, stems, prefixes):
            found += 1
        elif word in _SPELLED:
            # "een derde" in a Dutch answer is the passage's "one-third" (or "1/3", "33%").
            found += _SPELLED[word] in _passage_numbers(passage_text)
    return found / len(words)


_MARKER_COMMA = re.compile(r"(?<=\])\s*,\s*(?=\[\d)")


def _split(text: str) -> list[tuple[str, str]]:
    """Sentences with their markers, each with the separator that followed it."""
    parts: list[tuple[str, str]] = []
    last = 0
    text = _MARKER_COMMA.sub(" ", text)  # "[1], [2], [3]" is "[1] [2] [3]"
    for match in _SENTENCE_END.finditer(text):
        sep = "\n" if "\n" in match.group(0) else " "
        parts.append((text[last : match.start()] + (match.group(1) or ""), sep))
        last = match.end()
    parts.append((text[last:], ""))
    return [(p.strip(), sep) for p, sep in parts if p.strip()]


_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
# Numbers a passage may write in words (English and Dutch).
_NUMBER_WORDS = {
    "1": ("one", "een"), "2": ("two", "twee"), "3": ("three", "drie"), "4": ("four", "vier"),
    "5": ("five", "vijf"), "6": ("six", "zes"), "7": ("seven", "zeven"), "8": ("eight", "acht"),
    "9": ("nine", "negen"), "10": ("ten", "tien"), "12": ("twelve", "twaalf"),
    "20": ("twenty", "twintig"), "30": ("thirty", "dertig"), "50": ("fifty", "vijftig"),
    "100": ("hundred", "honderd"), "1000": ("thousand", "duizend"),
}  # fmt: skip


# Every number word, in English and Dutch ("een" too: also an article).
NUMBER_WORDS = tuple(form for forms in _NUMBER_WORDS.values() for form in forms)

# "How many partners ...?" / "Hoeveel partners ...?": the thing counted.
_ASKS_COUNT = re.compile(r"\b(?:how\s+many|hoeveel)\s+((?:[\w-]+\s*){1,3})", re.IGNORECASE)
_COUNT = rf"(?:\d[\d.,]*|{'|'.join(NUMBER_WORDS)})"


def _counted_things(query: str) -> list[str]:
    """The words of what a "how many X" question counts, by their first five letters: the
    run of content words after "how many" ("joint LDE centres", "gezamenlijke LDE-centra",
    each part of a compound), so "patiënten" finds "patients" and "LDE-centra" "LDE
    centres"."""
    from askconvergence.retrieve import content_terms

    match = _ASKS_COUNT.search(query)
    things: list[str] = []
    for word in match.group(1).split() if match else ():
        if not content_terms(word):
            break  # "How many partners does ...": the thing ends at the verb
        things += [_fold(part)[:5] for part in word.split("-") if len(part) >= 3]
    return list(dict.fromkeys(things))


def counting(query: str) -> re.Pattern[str] | None:
    """For a "how many X" question, a pattern for a sentence that counts X ("over 30
    partners", "a hundred patients"), allowing two words between ("three key defining
    principles"); see :func:`_counted_things`. None for other questions."""
    return _counts_of(_counted_things(query))


def _counts_of(things: Sequence[str]) -> re.Pattern[str] | None:
    if not things:
        return None
    thing = "|".join(map(re.escape, things))
    return re.compile(rf"\b{_COUNT}\s+(?:[\w-]+\s+){{0,2}}(?:{thing})", re.IGNORECASE)


# An answer's number words, by the number a passage states for them ("derde": one-third is 3).
_SPELLED = {form: n for n, forms in _NUMBER_WORDS.items() for form in forms if form != "een"} | {
    "third": "3", "derde": "3", "quarter": "4", "kwart": "4", "half": "2", "helft": "2",
}  # fmt: skip


# Month names in English and Dutch, but "may" (a verb as often as a month); and any month.
MONTHS = (
    r"(?:january|february|march|april|june|july|august|september|october|november|december|"
    r"januari|februari|maart|mei|juni|juli|augustus|oktober)"
)
_MONTH = rf"(?:may|{MONTHS})"
# A day of the month ("6 November 2020", "November 6"): no count of anything.
_DAY = re.compile(rf"\b\d{{1,2}}(\s+{_MONTH}\b)|\b({_MONTH}\s+)\d{{1,2}}\b", re.IGNORECASE)


def _without_days(text: str) -> str:
    return _DAY.sub(lambda m: m.group(1) or m.group(2), text)


# Verbs that carry a question, not its subject ("How many partners does it have?").
# Words an answer says nothing with: auxiliaries, "its", and "yes" ("Yes, there is a joint
# bachelor's degree" restates "Is there a joint bachelor's or master's degree ...?").
_AUXILIARIES = frozenset(
    "do does did have has had be been being can could will would should may might must "  # noqa: SIM905
    "heeft hebben hadden wordt worden werd werden kan kunnen zal zullen moet moeten "
    "its their yes ja".split()
)

# Whole-number words by their digits, but "one" and "een" (an article as often as a number).
_COUNT_WORDS = {form: n for n, forms in _NUMBER_WORDS.items() if n != "1" for form in forms}

# "1." or "2)" opening a line numbers a list item; it is not a fact.
_LIST_NUMBER = re.compile(r"(?m)^\s*\d+[.)]\s")


# A number that is part of a name ("COVID-19", "Horizon-2020") counts nothing.
_NAMED_NUMBER = re.compile(r"\b[A-Za-z]+-\d+\b")


def _numbers(text: str) -> set[str]:
    text = _NAMED_NUMBER.sub("", _MARKER.sub("", _LIST_NUMBER.sub("", text)))
    return set(_NUMBER.findall(_fold_digits(text)))


# Fractions a passage may write in words: the percentages and forms an answer may give for
# them ("one-third" is "33%" or "1/3"), and the fraction in English and Dutch words, to put a
# percentage back as written (None: "50%" stays).
# A fraction's percentages and parts; "13" is "1/3" with its slash lost ("13% of the Dutch
# working population", where the passage says "One-third").
_FRACTIONS = (
    (r"\b(one|a|een)[\s-]+(third|derde)\b", ("33", "33.3", "33,3", "13", "1", "3"), "one-third",
     "een derde"),
    (r"\btwo[\s-]+thirds\b|\btwee[\s-]+derde\b", ("66", "67", "66.7", "66,7", "2", "3"),
     "two-thirds", "twee derde"),
    (r"\b(one|a)[\s-]+(quarter|fourth)\b|\b(een|één)[\s-]+kwart\b", ("25", "1", "4"),
     "a quarter", "een kwart"),
    (r"\bthree[\s-]+quarters\b|\bdrie[\s-]+kwart\b", ("75", "3", "4"), "three-quarters",
     "drie kwart"),
    (r"\bhalf\b|\bhelft\b", ("50", "1", "2"), None, None),
)  # fmt: skip


def _fraction_numbers(text: str) -> set[str]:
    found: set[str] = set()
    for pattern, numbers, _, _ in _FRACTIONS:
        if re.search(pattern, text, re.IGNORECASE):
            found.update(numbers)
    return found


_PERCENT = re.compile(r"\b(\d{1,2}(?:[.,]\d)?)\s*(?:%|percent\b|procent\b)", re.IGNORECASE)


def fractions_as_written(answer: str, passages: Sequence[Passage], language: str) -> str:
    """The answer with a percentage put back as the fraction its passages write: "33% of
    workers" is "one-third of workers" when the passages say "one-third" and no "33"
    (a third is not 33%, and a reader checking the source finds its words)."""
    if not _PERCENT.search(answer):
        return answer
    joined = " ".join(p.text for p in passages)
    stated = _numbers(joined)

    def as_written(match: re.Match[str]) -> str:
        value = match.group(1)
        if value in stated:
            return match.group(0)
        for pattern, numbers, english, dutch in _FRACTIONS:
            # The percentages only ("33", "33.3"), not the fraction's parts ("1", "3").
            if (
                english
                and dutch
                and len(value) > 1
                and value in numbers
                and re.search(pattern, joined, re.IGNORECASE)
            ):
                written = dutch if language == "nl" else english
                before = match.string[: match.start()]
                opens = not before.strip() or ENDS_SENTENCE.search(before)
                return written[:1].upper() + written[1:] if opens else written
        return match.group(0)

    return _PERCENT.sub(as_written, answer)


# A text that ends a sentence, with any markers after it: "... for all. [1]", "... [2]."
ENDS_SENTENCE = re.compile(r"[.!?][”\"’']?(?:\s*\[[\d,\s]+\])*\s*$")


# Words that qualify an amount, by their Dutch form: "more than a hundred patients".
_QUALIFIERS = {
    "more than": "meer dan", "over": "ruim", "nearly": "bijna", "almost": "bijna",
    "about": "ongeveer", "around": "ongeveer", "approximately": "ongeveer", "roughly":
    "ongeveer", "some": "zo'n", "at least": "minstens", "up to": "tot", "less than":
    "minder dan", "fewer than": "minder dan", "meer dan": "meer dan", "ruim": "ruim",
    "bijna": "bijna", "ongeveer": "ongeveer", "circa": "circa", "zo'n": "zo'n", "minstens":
    "minstens", "minder dan": "minder dan", "tot": "tot",
}  # fmt: skip
_QUALIFIER = rf"(?:{'|'.join(re.escape(q) for q in _QUALIFIERS)})"
# "more than a hundred", "Some 100,000", "ruim 30".
_QUALIFIED = re.compile(rf"\b({_QUALIFIER})\s+(?:(?:a|one|een)\s+)?({_COUNT})\b", re.IGNORECASE)
# An amount in an answer, and the words right before it (to tell whether it is qualified).
_AMOUNT = re.compile(r"(?:[€$£]\s?)?(?:(?<![\w.,])\d[\d.,]*\d|(?<![\w.,])\d(?![\w.,]*\d))")
_QUALIFIED_BEFORE = re.compile(rf"\b{_QUALIFIER}\s+(?:(?:a|one|een)\s+)?$", re.IGNORECASE)


def _amount(token: str) -> str:
    """A number token in digits ("100,000" and "€100.000" are "100000", "hundred" is "100")."""
    word = token.lstrip("€$£ ").lower()
    for digits, forms in _NUMBER_WORDS.items():
        if word in forms:
            return digits
    return _fold_digits(word)


def qualified_as_written(answer: str, passages: Sequence[Passage], language: str) -> str:
    """The answer with an amount given the qualifier its passages state it with: "100
    patients" is "more than 100 patients" when the cited passages only say "more than a
    hundred patients" (in a Dutch answer: "meer dan 100"). Years and amounts the passages
    also state bare are left as they are."""
    stated: dict[str, set[str]] = {}
    bare: set[str] = set()
    for passage in passages:
        text = _without_days(passage.text)
        for match in _QUALIFIED.finditer(text):
            stated.setdefault(_amount(match.group(2)), set()).add(match.group(1).lower())
        unqualified = _QUALIFIED.sub(" ", text)
        bare |= _numbers(unqualified)
    if not stated:
        return answer

    def as_written(match: re.Match[str]) -> str:
        value = _amount(match.group(0))
        qualifiers = stated.get(value, set())
        if len(qualifiers) != 1 or value in bare or YEAR.fullmatch(match.group(0)):
            return match.group(0)
        if _QUALIFIED_BEFORE.search(answer[: match.start()]):
            return match.group(0)
        (qualifier,) = qualifiers
        if language == "nl":
            qualifier = _QUALIFIERS[qualifier]
        before = answer[: match.start()].rstrip()
        at_start = not before or before[-1] in ".!?"
        written = f"{qualifier} {match.group(0)}"
        return written[:1].upper() + written[1:] if at_start else written

    return _AMOUNT.sub(as_written, answer)


@lru_cache(maxsize=8192)
def _passage_numbers(text: str) -> frozenset[str]:
    """Numbers a passage states, in digits, in words ("hundred") or as a fraction ("one-third"
    is 33%)."""
    words = set(_WORD.findall(text.lower()))
    spelled = {n for n, forms in _NUMBER_WORDS.items() if any(f in words for f in forms)}
    return frozenset(_numbers(text) | _fraction_numbers(text) | spelled)


@lru_cache(maxsize=8192)
def _passage_shares(text: str) -> frozenset[str]:
    """Shares a passage states: percentages, and fractions in words ("one-third" is 33%)."""
    return frozenset(_PERCENT.findall(text)) | _fraction_numbers(text)


def invented_numbers(answer: str, passages: Sequence[Passage], question: str = "") -> set[str]:
    """Numbers in an answer that neither the passages nor the question contain.

    A small model's inventions are most often numbers (a fee, a count, a date), and a number
    survives translation, so this check works for Dutch answers to English passages too.
    A passage's number written in words counts ("hundred" is 100, "one-third" is 33%).
    """
    known = _numbers(question)
    shares = set(_PERCENT.findall(question))
    for passage in passages:
        known |= _passage_numbers(passage.text)
        shares |= _passage_shares(passage.text)
    # A share is a number of its own: "30%" is not the "over 30 partners" of another sentence.
    return (_numbers(answer) - known) | (set(_PERCENT.findall(answer)) - shares)


_ASKS_QUANTITY = re.compile(r"\b(how\s+(much|many)|hoeveel)\b", re.IGNORECASE)
# "What will the artificial pancreas cost?", "Wat kost ...?": a price is an amount too, and
# "How large is the budget?" asks for one (only the answer's amount is checked for these).
_ASKS_COST = re.compile(
    r"\bhow\s+(?:big|large)\b|\bhoe\s+groot\b|"
    r"\bwhat\s+(?:will|does|do|did|would|is)\b[^?]*\bcost\b|\b(?:wat|hoeveel)\s+kost|"
    r"\b(?:what\s+is\s+the\s+price|wat\s+is\s+de\s+prijs)\b",
    re.IGNORECASE,
)
# "een" is the Dutch article as often as "one": "een schadelijk schort" is no amount (q066).
_QUANTITY_WORDS = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|hundreds?|thousands?|millions?|billions?|dozens?|half|several|few|many|none|no|"
    r"één|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|twintig|dertig|veertig|"
    r"vijftig|honderden|honderd|duizenden|duizend|miljoen|miljard|dozijn|half|halve|enkele|"
    r"meerdere|weinig|veel|geen)\b|\d|%",
    re.IGNORECASE,
)


def _asked_but_missing(
    answer: str, question: str, asks: Sequence[re.Pattern[str]], has: Sequence[re.Pattern[str]]
) -> bool:
    """Whether one of ``asks`` matches the question and none of ``has`` the answer's text."""
    if not any(pattern.search(question) for pattern in asks):
        return False
    text = _MARKER.sub("", answer)
    return not any(pattern.search(text) for pattern in has)


def misses_quantity(answer: str, question: str) -> bool:
    """Whether a "how many / how much" question got an answer with no amount in it.

    Such an answer ("The project received EU funding [1].") talks about the subject but does
    not answer; the small model writes it when the passages hold no amount.
    """
    # The question's own numbers are no answer: "in 2030" to "Hoe groot wordt het tekort in
    # 2030?" (q066).
    for number in re.findall(r"\d[\d.,]*\d|\d", question):
        answer = re.sub(rf"(?<![\d.,]){re.escape(number)}(?![\d.,]?\d)", " ", answer)
    return _asked_but_missing(answer, question, (_ASKS_QUANTITY, _ASKS_COST), (_QUANTITY_WORDS,))


_ASKS_SHARE = re.compile(
    r"\b(?:what|which)\s+(?:proportion|share|fraction|part|percentage|portion)\b|"
    r"\b(?:welk|hoe\s+groot\s+(?:is\s+)?het)\s+(?:deel|aandeel|percentage|gedeelte)\b|"
    r"\bhoeveel\s+procent\b",
    re.IGNORECASE,
)
# "How many of the Dutch working population have a chronic condition?": a share asked for as a
# count. Not held to giving a share ("How many of the centres are in Delft?" wants a number),
# but the one sentence stating a share of what it names may be quoted (ac012).
_ASKS_PART_OF = re.compile(r"\bhow\s+(?:many|much)\s+of\b|\bhoeveel\s+van\b", re.IGNORECASE)
_SHARE = re.compile(
    r"%|\b\d+\s*/\s*\d+\b|\b(?:percent|procent|half|helft|halve|third|thirds|derde|quarter|"
    r"kwart|fifth|vijfde|majority|meerderheid|minority|minderheid|most|meeste)\b",
    re.IGNORECASE,
)


# A share as a passage states it: a fraction or a percentage ("One-third of ...", "30%").
_FRACTION = re.compile(
    r"%|\b(?:percent|procent|half|helft|thirds?|derde|quarters?|kwart)\b", re.IGNORECASE
)


def stated_share(
    question: str, passages: Sequence[Passage], counts: bool = False
) -> tuple[int, str] | None:
    """For a question asking for a share, the one passage sentence (with its passage number)
    that states a share of what the question names: two of the question's longer words, by
    their first five letters, with a country's other names ("Nederlandse" finds "Dutch",
    "chronische" "chronic"). None when no sentence does or several do. With ``counts``, a
    question asking how many is taken as asking for a share too.

    "Welk deel van de Nederlandse werkende bevolking heeft een chronische ziekte?" was
    answered "13%" and "1/2" by the small model, whose Dutch misreads "One-third of the Dutch
    working population has a chronic condition"."""
    from askconvergence.answer.excerpts import split_sentences
    from askconvergence.retrieve import content_terms

    asks = (_ASKS_SHARE, _ASKS_PART_OF, _ASKS_QUANTITY) if counts else (_ASKS_SHARE, _ASKS_PART_OF)
    if not any(pattern.search(question) for pattern in asks):
        return None

    def keys(text: str) -> set[str]:
        return _prefixes(_with_country_forms(set(content_terms(_fold(text)))))

    asked = keys(question)
    found: dict[str, int] = {}
    for passage in passages:
        for sentence in split_sentences(passage.text):
            if _FRACTION.search(sentence) and len(asked & keys(sentence)) >= 2:
                found.setdefault(sentence.strip(), passage.n)
    if len(found) != 1:
        return None
    ((sentence, n),) = found.items()
    return n, sentence


def share_as_count(answer: str, passages: Sequence[Passage], question: str) -> bool:
    """Whether a "how many" question, over a passage that states only a share of what it
    names, was answered with the fraction's digits as a count: "3 [1]" to "how many dutch
    workers have a chronic illness?" over "One-third of the Dutch working population has a
    chronic condition" (af001)."""
    if _SHARE.search(answer):
        return False
    found = stated_share(question, passages, counts=True)
    if not found:
        return False
    numbers = _numbers(answer) - _numbers(question)
    return bool(numbers) and numbers <= _fraction_numbers(found[1]) - _numbers(found[1])


def misses_share(answer: str, question: str) -> bool:
    """Whether a "what proportion / welk deel" question got an answer with no share in it:
    "3 [1]" for "One-third of the Dutch working population has a chronic condition"."""
    return _asked_but_missing(answer, question, (_ASKS_SHARE,), (_SHARE,))


# "Op welke dagen is de persvoorlichter ... bereikbaar?" answered "bereikbaar op de dagen van
# de week [1]" (x016): the small model writes that when the passages it read give no days.
_ASKS_DAYS = re.compile(
    r"\b(?:which|what|welke)\s+(?:week\s*)?days?\b|\bwelke\s+(?:week)?dag(?:en)?\b|"
    r"\bop\s+welke\s+dag",
    re.IGNORECASE,
)
# The days of the week written out or short, in English and Dutch.
_DAY_NAMES = (
    r"(?:mon|tue|tues|wed|wednes|thu|thur|thurs|fri|sat|satur|sun)(?:day)?s?|"
    r"(?:maan|dins|woens|donder|vrij|zater|zon)dag(?:en)?|weekdays?|weekends?|werkdagen|daily|"
    r"dagelijks"
)
_WEEKDAY = re.compile(
    rf"\b(?:{_DAY_NAMES}|ma|di|wo|do|vr|za|zo|elke\s+dag|every\s+day)\b|\d", re.IGNORECASE
)


def misses_day(answer: str, question: str) -> bool:
    """Whether a "which days" question got an answer that names no day of the week (nor a
    date)."""
    return _asked_but_missing(answer, question, (_ASKS_DAYS,), (_WEEKDAY,))


# "When ...?" / "Wanneer ...?" at the start, or "in which year": a question for a time. Not
# "when" inside a question ("Whom do I contact when ...?").
_ASKS_TIME = re.compile(
    r"^\W*(?:and\s+|en\s+)?(?:when|wanneer)\b|\b(?:what|which|welk)\s+(?:year|jaar)\b|"
    r"\b(?:what|which)\s+date\b|\bwelke\s+datum\b|"
    r"\b(?:since\s+when|sinds\s+wanneer)\b",
    re.IGNORECASE,
)
_TIME = re.compile(
    rf"\b(?:1[89]|20)\d\d\b|\b{_MONTH}\b|\b(?:year|years|jaar|jaren|decade|century|eeuw|"
    r"month|months|maand|maanden|week|weeks|weken|today|vandaag|ago|geleden|soon|binnenkort|"
    # A day of the week is a time too: "When is she available?" / "Mon, Tue, Thu" (aa023).
    rf"{_DAY_NAMES})\b",
    re.IGNORECASE,
)


def misses_time(answer: str, question: str) -> bool:
    """Whether a "when" question got an answer with no time in it (no year, month or the
    like): "Wanneer is Flux Robotics opgericht?" answered "Flux Robotics is opgericht in
    Twente" when the passages give no date (ab033)."""
    return _asked_but_missing(answer, question, (_ASKS_TIME,), (_TIME,))


_ASKS_ADDRESS = re.compile(
    r"\b(?:e-?mail(?:\s*address|adres)?|web\s*site|website|url|web\s*address|webadres|"
    r"phone\s+number|telephone|telefoonnummer|telefoon|nummer)\b",
    re.IGNORECASE,
)
_PHONE = re.compile(r"\+?\d[\d\s()-]{6,}\d")


def misses_address(answer: str, question: str) -> bool:
    """Whether a question for an email address, website or phone number got an answer with
    none: "Contact us If you have any questions ..., please contact us [1]" to "What email
    address can I use to contact Convergence Health & Technology?"."""
    return _asked_but_missing(answer, question, (_ASKS_ADDRESS,), (_CONTACT, _PHONE))


# Capitalised words that start a sentence but name no place.
_NOT_PLACES = frozenset(
    {"it", "its", "the", "this", "het", "de", "dit", "in", "located", "gevestigd"}
)
_ASKS_CITY = re.compile(
    r"\b(which|what|welke)\s+(\w+\s+)?(city|town|stad|plaats|gemeente)\b", re.IGNORECASE
)
# Countries and regions: where something is, but no city.
_COUNTRY = re.compile(
    r"\b((east|west|north|south|oost|noord|zuid)(ern)?[\s-]+)?(the\s+)?"
    r"(netherlands|nederland|holland|finland|europe|europa|belgium|belgië|germany|duitsland|"
    r"twente|achterhoek|overijssel|gelderland|brabant|randstad)\b",
    re.IGNORECASE,
)


# "Who founded X?", "Who is the director of X?", "Who should I contact?", "Who's behind X?",
# "Wie heeft X opgericht?": a question for someone by name.
_ASKS_AGENT = re.compile(
    r"\b(?:who|wie)\b.*\b(?:found(?:ed|s)?|start(?:ed|s)?|establish(?:ed|es)?|set\s+up|"
    r"leads?|led|head(?:s|ed)?|direct(?:s|ed|or)?|chair(?:s|ed)?|runs?|ran|owns?|owned|"
    r"develop(?:s|ed)?|invent(?:s|ed)?|creat(?:es|ed)|wrote|launch(?:es|ed)?|ceo|professor|"
    r"contact|get\s+in\s+touch|behind|achter|opgericht|gestart|geleid|ontwikkeld|bedacht|directeur|"
    r"oprichter|voorzitter|leider|benaderen)\b",
    re.IGNORECASE,
)
# "the Twente-based Inreda® Diabetic" is Inreda Diabetic: where it is based names no one.
_NOT_A_NAME = re.compile(r"\b[A-ZÀ-Ý][\w'’]*-based\s+|[®™]")


# "Which European project did Health Valley help get started?" asks for a project by name;
# "Health Valley was launched thanks in part to Health Valley" names none.
_ASKS_NAMED = re.compile(
    r"\b(?:which|what|welke?)\s+(?:[\w-]+\s+){0,2}?(?:projects?|projecten|programmes?|"
    r"programs?|programma's|events?|evenement(?:en)?|conferences?|conferenties?|tools?)\b",
    re.IGNORECASE,
)


_INNER_CAPITAL = re.compile(r"\b[a-z]+[A-Z][\w-]*")


def names_nobody(answer: str, question: str) -> bool:
    """Whether an answer to "who founded / leads / is the director of X" (or "which
    organisations / project / event ...") names no one the question does not: "Inreda
    Diabetic was founded by the Twente-based Inreda® Diabetic"; "Health Hub Utrecht invited
    their Finnish counterparts" to "Which Finnish organisations took part in Health Hub
    Utrecht's ...?". A sentence-opening word ("Currently") counts as a name, so only answers
    made of the question's names and plain words are caught."""
    from askconvergence.retrieve import content_terms

    if not (
        _ASKS_AGENT.search(question)
        or _ASKS_WHICH_BODY.search(question)
        or _ASKS_NAMED.search(question)
    ):
        return False
    text = _NOT_A_NAME.sub("", _MARKER.sub("", answer))
    # "European": countries and their adjectives name no one either, nor does a run of the
    # question's own names ("MedTech Twente In Twente, the medtech sector ...").
    asked = set(content_terms(_fold(question)))
    if any(_fold(w) not in asked for w in _INNER_CAPITAL.findall(text)):
        return False  # "dRural", "eHealth": a name, though it starts in lower case
    return not any(
        set(content_terms(_fold(name))) - _COMMON_NAMES - asked
        for name in new_names(text, question)
    )


# "Where is the company that developed the artificial pancreas based?", "Waar komt dat bedrijf
# vandaan?", "Uit welke regio komt het?": a question for where something is.
_ASKS_WHERE = re.compile(
    r"\b(?:where|waar|(?:which|what|welke?)\s+(?:city|town|region|area|province|place|stad|"
    r"regio|plaats|provincie|streek))\b",
    re.IGNORECASE,
)
# "the Twente-based Inreda® Diabetic", "The Enschede-based company": the place, and what is
# based there.
_BASED_AT = re.compile(
    r"\bbased\s+(?:at|in|on)\s+(?:the\s+)?([A-ZÀ-Ý][\w'’-]*(?:\s+[A-ZÀ-Ý][\w'’-]*)*)"
)
_BASED = re.compile(r"\b([A-ZÀ-Ý][\w'’]*)-based\s+((?:[A-ZÀ-Ý][\w®™&'’-]*\s*)+|[a-z]+)")


def based_places(passages: Sequence[Passage], named: str) -> list[tuple[Passage, str, str]]:
    """The passage sentences that say where something ``named`` (a question, or an answer)
    names or describes is based, with their passage and the place: "the Twente-based Inreda®
    Diabetic" for Inreda, or for "the company that developed the artificial pancreas" (two
    words of the sentence or more, Dutch ones through the glossary). "The Enschede-based
    company" is the one the sentence before names ("Micronit is an icon in East
    Netherlands")."""
    from askconvergence.answer.excerpts import split_sentences
    from askconvergence.retrieve import content_terms, glossed, lexical_tokens

    words = set(content_terms(_fold(named))) - _COMMON_NAMES
    stems = set(lexical_tokens(f"{named} {glossed(named)}"))
    found = []
    for passage in passages:
        sentences = split_sentences(passage.text)
        for i, sentence in enumerate(sentences):
            for m in _BASED.finditer(sentence):
                what = m.group(2)
                if what.islower() and i:  # "company": the one the sentence before names
                    what = " ".join(new_names(sentences[i - 1], ""))
                rest = sentence[: m.start()] + sentence[m.end() :]
                if words & set(content_terms(_fold(what))) or (
                    len(stems & set(lexical_tokens(rest))) >= 2
                ):
                    found.append((passage, sentence, m.group(1)))
    return found


def one_base(
    passages: Sequence[Passage], question: str, answer: str = ""
) -> tuple[Passage, str, str] | None:
    """For a "where" question, the first of the :func:`based_places` of what the question
    (or else the answer) names, with its passage and place, when they give one place; None
    otherwise."""
    if not _ASKS_WHERE.search(question):
        return None
    found = based_places(passages, question) or based_places(passages, answer)
    return found[0] if len({place for _, _, place in found}) == 1 else None


def misses_base(answer: str, passages: Sequence[Passage], question: str) -> str:
    """For a "where" question, the place a passage says what the question or the answer
    names is based in ("the Twente-based Inreda® Diabetic") when the answer leaves it out
    ("Inreda Diabetic komt uit East Netherlands"); "" otherwise, or when the passages give
    more than one place (see :func:`one_base`)."""
    based = one_base(passages, question, answer)
    if based is None:
        return ""
    # "based at the Kennispark Twente innovation campus" says where too: Micronit is both.
    named = {_fold(m.group(1)) for p in passages for m in _BASED_AT.finditer(p.text)}
    place = based[2]
    answered = _fold(answer)
    return "" if any(n in answered for n in {_fold(place), *named}) else place


# "Which company developed the artificial pancreas?", "Wie heeft ... ontwikkeld?": a question
# for who made something (with ASKS_WHO or _ASKS_WHICH_BODY: not "What does Micronit make?").
_ASKS_MAKER = re.compile(
    r"\b(?:who|wie|which|what|welke?)\b.*\b(?:develop(?:s|ed)?|made|makes?|buil[dt]s?|"
    r"design(?:s|ed)?|creat(?:es|ed)|invent(?:s|ed)?|produc(?:es|ed)|ontwikkel(?:d|t|de|den)?|"
    r"gemaakt|maakt|maakte|gebouwd|ontworpen|bedacht|uitgevonden)\b",
    re.IGNORECASE,
)
# "developed by the Twente-based Inreda® Diabetic": the maker, after "by" (its place left out).
_MADE_BY = re.compile(
    r"\b(?:developed|made|built|designed|created|invented|produced|ontwikkeld|gemaakt|gebouwd|"
    r"ontworpen|bedacht)\s+(?:by|door)\s+(?:the\s+|de\s+|het\s+)?(?:[A-ZÀ-Ý][\w'’]*-based\s+)?"
    r"(?P<name>[A-ZÀ-Ý][\w'’&-]*(?:[®™]?\s+[A-ZÀ-Ý][\w'’&-]*)*)"
)
_MAKING = frozenset(
    """develop develops developed made make makes build builds built design designs designed
    create creates created invent invents invented produce produces produced ontwikkeld
    ontwikkelt ontwikkelde ontwikkelden gemaakt maakt maakte gebouwd ontworpen bedacht
    uitgevonden company companies organisation organization bedrijf""".split()  # noqa: SIM905
)


def makers(passages: Sequence[Passage], question: str) -> list[tuple[Passage, str, str]]:
    """For a question for who made something, the passage sentences that say who made what it
    names ("The artificial pancreas, developed by the Twente-based Inreda® Diabetic, ..." for
    "Welk bedrijf heeft de kunstmatige alvleesklier ontwikkeld?"): two of the question's
    other words or more in the sentence (Dutch ones through the glossary), with its passage
    and the maker."""
    # "Who developed ...?", or "Which company ... developed ...?" (not "What does it make?").
    if not _ASKS_MAKER.search(question) or not (
        ASKS_WHO.search(question) or _ASKS_WHICH_BODY.search(question)
    ):
        return []
    from askconvergence.answer.excerpts import split_sentences
    from askconvergence.retrieve import content_terms, glossed, lexical_tokens

    words = [w for w in content_terms(_fold(question)) if w not in _MAKING]
    stems = set(lexical_tokens(f"{' '.join(words)} {glossed(' '.join(words))}"))
    found = []
    for passage in passages:
        for sentence in split_sentences(passage.text):
            for m in _MADE_BY.finditer(sentence):
                rest = sentence[: m.start()] + sentence[m.end() :]
                if len(stems & set(lexical_tokens(rest))) >= 2:
                    found.append((passage, sentence, m.group("name")))
    return found


def misnamed_maker(answer: str, passages: Sequence[Passage], question: str) -> str:
    """The maker the passages name for what a "who made it" question asks about when the
    answer leaves it out ("Micronit heeft de kunstmatige alvleesklier ontwikkeld", where
    "developed by the Twente-based Inreda® Diabetic"); "" otherwise, or when the passages
    name more than one."""
    found = makers(passages, question)
    names = {name for _, _, name in found}
    if len(names) != 1:
        return ""
    (name,) = names
    answered = set(_WORD.findall(_fold(answer)))
    key = [w for w in _WORD.findall(_fold(name)) if w not in _COMMON_NAMES]
    return "" if any(w in answered for w in key) else name


# Where a question asks someone holds a role: "Waar is Maroeska Rovers hoogleraar?", "At
# which hospital is Rovers a professor?".
_ASKS_AT = re.compile(r"\b(?:where|waar|(?:at|in|bij|aan|of|van)\s+(?:which|what|welke?))\b", re.I)
# "professor at Radboudumc", "director of Health Valley": the role's last word and the place.
_ROLE_AT = re.compile(
    r"\b([a-z][\w-]*)\s+(?:at|of|in)\s+(?:the\s+)?([A-ZÀ-Ý][\w&'’-]*(?:\s+[A-ZÀ-Ý][\w&'’-]*)*)"
)


def role_places(passages: Sequence[Passage], question: str) -> set[str]:
    """For a question asking where someone it names holds a role, the places a passage
    sentence naming them says they hold it ("Rovers, scientific director of the TechMed
    Center and professor at Radboudumc": Radboudumc for a professor, "hoogleraar" through the
    glossary). Empty for other questions."""
    from askconvergence.answer.excerpts import split_sentences
    from askconvergence.retrieve import glossed

    if not _ASKS_AT.search(question):
        return set()
    people = [
        _name_parts(m.group(0)) - _COMMON_NAMES
        for m in _CAPITALISED_RUN.finditer(question)
        if m.start() > 0
    ]
    people = [p for p in people if p]
    if not people:
        return set()
    asked = _passage_keys(f"{question} {glossed(question)}")
    places = set()
    for passage in passages:
        for sentence in split_sentences(passage.text):
            words = set(_WORD.findall(_fold(sentence)))
            if not any(person & words for person in people):  # "Rovers" for Maroeska Rovers
                continue
            for m in _ROLE_AT.finditer(sentence):
                if m.group(1).endswith("ed"):
                    continue  # "based at", "located in": where a thing is, no role's place
                place = _name_parts(m.group(2))
                if _found(m.group(1), *asked) and not any(place <= p for p in people):
                    places.add(m.group(2))
    return places


def misses_role_place(answer: str, passages: Sequence[Passage], question: str) -> str:
    """The place a passage says the person asked about holds the role asked about (see
    :func:`role_places`) when the answer names none of the places; "" otherwise. z014: "Waar
    is Maroeska Rovers hoogleraar?" was answered with the centre she directs."""
    places = role_places(passages, question)
    keys = _passage_keys(answer)
    # A word of the place is enough: "TechMed Centre" names the "TechMed Center".
    if not places or any(
        any(_found(w, *keys) for w in _name_parts(place) - _COMMON_NAMES or _name_parts(place))
        for place in places
    ):
        return ""
    return sorted(places)[0]


def names_no_city(answer: str, question: str) -> bool:
    """Whether a "which city" question got an answer that names no place but a country or the
    question's own names ("Inreda Diabetic is located in the Netherlands"): the small model
    writes that when the passages give no city."""
    if not _ASKS_CITY.search(question):
        return False
    names = new_names(_COUNTRY.sub(" ", answer), question)
    return all(_fold(name) in _NOT_PLACES for name in names)


# Words a finished sentence does not end with: English prepositions, articles and
# conjunctions; in Dutch only articles, "van" and "zoals" (Dutch ends clauses with verbs and
# particles such as "op", "aan", "voor").
_DANGLING = frozenset(
    {
        "on", "in", "at", "of", "by", "with", "for", "to", "from", "including", "and", "or",
        "the", "a", "an", "as", "such",
        "de", "het", "een", "van", "zoals",
    }
)  # fmt: skip


# "the third principle", "het derde principe": which item of a numbered list is asked for.
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "eerste": 1, "tweede": 2, "derde": 3, "vierde": 4, "vijfde": 5, "zesde": 6,
}  # fmt: skip
_ASKS_NTH = re.compile(
    rf"\b(?:the|het|de)\s+({'|'.join(_ORDINALS)})\s+([\w-]+)(?:\s+([\w-]+))?", re.IGNORECASE
)
_NUMBERED_LINE = re.compile(r"^[ \t]*(\d{1,2})[.)][ \t]+(\S.*)$", re.MULTILINE)


def _asked_place(question: str) -> tuple[int, re.Match[str]] | None:
    """The place a question asks for an item by ("the third principle": 3), with the match."""
    asked = _ASKS_NTH.search(question)
    return (_ORDINALS[asked.group(1).lower()], asked) if asked else None


def numbered_item(question: str, passages: Sequence[Passage]) -> tuple[int, str, str] | None:
    """The item of a numbered list the question asks for by its place ("What is the third
    convergence principle?" to "3. Responsible innovation"), as its passage number, its line
    and the line after it (what the item says); None when the question asks for no item by
    place or no passage that names the question's word for the list ("principe" finds
    "principles" by its first five letters) numbers one."""
    found = _asked_place(question)
    if found is None:
        return None
    place, asked = found
    return next((item[1:] for item in _listed(asked, passages) if item[0] == place), None)


def _listed(
    asked: re.Match[str], passages: Sequence[Passage]
) -> Iterator[tuple[int, int, str, str]]:
    """The numbered lines (number, passage number, line, the line after it) of the passages
    that name the word the question asks about."""
    nouns = _prefixes((_fold(w) for w in asked.groups()[1:] if w), shortest=4)
    for passage in passages:
        if nouns & _prefixes(_WORD.findall(_fold(f"{passage.title} {passage.text}")), 1):
            for match in _NUMBERED_LINE.finditer(passage.text):
                after = passage.text[match.end() :].strip().split("\n", 1)[0].strip()
                yield int(match.group(1)), passage.n, match.group(0).strip(), after


def gives_another_item(answer: str, passages: Sequence[Passage], question: str) -> bool:
    """Whether an answer to "the third principle" gives another item of the numbered list
    instead: it holds a word only another item's line has ("Integrative" for item 2) and none
    only the asked one's ("Responsible"). A Dutch answer in its own words ("verantwoorde
    innovatie") holds neither, and stands."""
    found = _asked_place(question)
    if found is None:
        return False
    place, asked = found

    def keys(text: str) -> set[str]:
        return _prefixes((w for w in _WORD.findall(_fold(text)) if not w.isdigit()), 4)

    mine: set[str] = set()
    others: set[str] = set()
    for number, _, line, _ in _listed(asked, passages):
        (mine if number == place else others).update(keys(line))
    said = keys(_MARKER.sub("", answer))
    return bool(mine) and bool(said & (others - mine)) and not said & (mine - others)


# Words before a preposition whose object is the passage itself, its marker: "according to
# [1]", "(as) mentioned in [1]", "genoemd in [2]".
_CITING = frozenset(
    {
        "according", "mentioned", "stated", "described", "listed", "named", "cited", "noted",
        "shown", "reported", "genoemd", "vermeld", "beschreven",
    }
)  # fmt: skip


def dangling(answer: str, question: str = "") -> list[str]:
    """The sentences of the answer that break off where their fact should be ("Demcon was
    founded in [1]."): the small model writes that when the passages lack the fact. A
    sentence ending as the question does is worded after it, not broken off: "3 core
    principles are the convergence approach ... based on [1]." to "How many core principles
    is the convergence approach ... based on?"."""
    asked_end = _WORD.findall(question.lower())[-2:]
    broken = []
    for sentence in split_answer(answer):
        words = _WORD.findall(_MARKER.sub("", sentence).lower())
        if words[-2:-1] and words[-2] in _CITING and _MARKER.search(sentence):
            continue  # "..., according to [1].", "... are mentioned in [1].": the marker is it
        if words and words[-1] in _DANGLING and words[-2:] != asked_end:
            broken.append(sentence)
    return broken


def dangles(answer: str, question: str = "") -> bool:
    """Whether a sentence of the answer breaks off (see :func:`dangling`)."""
    return bool(dangling(answer, question))


ASKS_WHEN = re.compile(
    r"\b(when|what year|which year|since when|wanneer|welk jaar|sinds wanneer|"
    r"(?:what|which) date|welke datum)\b",
    re.IGNORECASE,
)
# Capitalised words in a row ("Flux Robotics", "Inspiration-conferentie"), without joiners.
_CAPITALISED_RUN = re.compile(r"[A-ZÀ-Ý][\w'’-]*(?:\s+[A-ZÀ-Ý][\w'’-]*)*")
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def unanchored_years(answer: str, passages: Sequence[Passage], question: str) -> set[str]:
    """Years a "when" answer gives that no passage states near what the question names.

    Asked "In which year was Flux Robotics founded?", the small model takes any year from
    its passages ("2023", the year of an event elsewhere). A year counts as anchored when a
    passage sentence holding it, or the sentence before or after, or the passage title, names
    one of the question's names ("Flux", "Robotics"). Questions without a name are not checked.
    """
    if not ASKS_WHEN.search(question):
        return set()
    years = set(YEAR.findall(_MARKER.sub("", answer))) - set(YEAR.findall(question))
    return _unanchored(years, passages, question, reach=1)


# What a "when" question asks the date of, in English and Dutch, so "Wanneer is Health Hub
# Utrecht opgericht?" looks for "founded" or "established" in English passages.
_EVENTS = (
    ("founded", "founding", "foundation", "established", "set up", "opgericht", "oprichting",
     "gesticht", "opgezet"),
    ("visited", "visit", "bezocht", "bezoek"),
    ("held", "take place", "took place", "gehouden", "plaats", "plaatsvinden", "organised",
     "organized", "georganiseerd"),
    ("launched", "launch", "gelanceerd", "lancering", "introduced", "geintroduceerd"),
    ("started", "start", "began", "begin", "gestart", "begonnen"),
    ("expected", "expect", "verwacht"),
    ("available", "beschikbaar"),
    ("opened", "opening", "geopend"),
)  # fmt: skip
_NOT_EVENTS = frozenset({"year", "jaar", "date", "datum"})


def _event_forms(word: str) -> tuple[str, ...]:
    """The words of the event group ``word`` belongs to (by its first five letters)."""
    for group in _EVENTS:
        if any(word == form or (len(word) >= 5 and _fold(form)[:5] == word[:5]) for form in group):
            return group
    return ()


def _said_of_subject(question: str) -> list[str]:
    """The question's plain words, folded, once each: not its names (capitalised words after
    the first), numbers or auxiliaries. What it says about its subject ("patients", "carry";
    "founded") tells sentences apart better than the subject's name, which most of them share."""
    from askconvergence.retrieve import content_terms

    named = {
        word
        for m in _CAPITALISED_RUN.finditer(question)
        if m.start() > 0
        for word in _WORD.findall(_fold(m.group(0)))
    }
    words = content_terms(_fold_digits(question))
    return list(
        dict.fromkeys(
            w for w in words if not w.isdigit() and w not in named and w not in _AUXILIARIES
        )
    )


def undated_events(answer: str, passages: Sequence[Passage], question: str) -> set[str]:
    """Years a "when" answer gives from passage sentences that do not speak of what was asked.

    Asked "Wanneer is Health Hub Utrecht opgericht?", the model answers "2018", the year of a
    visit: the sentence names the hub, so :func:`unanchored_years` lets it pass. A year counts
    when a sentence stating it, or the sentence before or after, holds one of the question's
    own words besides its names (by stem or first five letters), or a word of the same event
    in either language ("opgericht": "founded", "established"). When no dated sentence holds
    any of them and the question's words are no known event, the question is worded unlike
    its passages and nothing is checked.
    """
    if not ASKS_WHEN.search(question):
        return set()
    years = set(YEAR.findall(_MARKER.sub("", answer))) - set(YEAR.findall(question))
    if not years:
        return set()
    from askconvergence.answer.excerpts import split_sentences

    asked = [w for w in _said_of_subject(question) if w not in _NOT_EVENTS]
    events = {w: _event_forms(w) for w in asked}
    if not asked:
        return set()

    def speaks_of_it(text: str) -> bool:
        keys = _passage_keys(text)
        folded = " ".join(_WORD.findall(_fold(text)))
        for word in asked:
            if _found(word, *keys):
                return True
            for form in events[word]:
                if " " in form and f" {form} " in f" {folded} ":
                    return True
                if " " not in form and _found(_fold(form), *keys):
                    return True
        return False

    windows = []  # (years stated in a dated sentence, its sentence with the ones either side)
    for passage in passages:
        sentences = split_sentences(passage.text)
        for i, sentence in enumerate(sentences):
            stated = set(YEAR.findall(sentence))
            if stated:
                windows.append((stated, " ".join(sentences[max(0, i - 1) : i + 2])))
    speaking = [stated for stated, text in windows if speaks_of_it(text)]
    if not speaking and not any(events.values()):
        return set()  # worded unlike the passages: no way to tell
    return {year for year in years if not any(year in stated for stated in speaking)}


def unanchored_amounts(answer: str, passages: Sequence[Passage], question: str) -> set[str]:
    """Numbers a "how many / how much" answer gives that no passage states near what the
    question names: asked "Hoeveel medewerkers heeft Micronit?", the small model answers with
    the "100,000 people" who have diabetes in another paragraph. Anchored as for
    :func:`unanchored_years`, or by a window holding half the question's plain words; a
    number written in words ("thirty") anchors its digits."""
    if not _ASKS_QUANTITY.search(question):
        return set()
    # An amount is often stated a few sentences after its subject, so the window is wider.
    unanchored = _unanchored(_numbers(answer) - _numbers(question), passages, question, reach=2)
    asked = _said_of_subject(question)
    if not unanchored or len(asked) < 2:
        return unanchored
    # The question's name may be a mere qualifier ("the artificial pancreas developed in East
    # Netherlands"): a window holding half of what it says about its subject ("patients",
    # "already", "artificial", "pancreas") anchors an amount as well.
    from askconvergence.answer.excerpts import split_sentences

    need = (len(asked) + 1) // 2
    for passage in passages:
        for window in _around(split_sentences(passage.text), 2):
            keys = _passage_keys(window)
            if sum(_found(word, *keys) for word in asked) >= need:
                unanchored -= _passage_numbers(window)
    return unanchored


# "How much does X cost?", "Hoeveel kost ...?", "What is the fee ...?": a question for money.
_ASKS_PRICE = re.compile(
    r"\b(cost|costs|price|prices|priced|fee|fees|prijs|prijzen|kost|kosten|tarief|tarieven)\b",
    re.IGNORECASE,
)
# What a sentence stating an amount of money holds: a currency, or a word for money.
_MONEY = re.compile(
    r"[€$£]|\b(euros?|dollars?|eur|usd|costs?|price[sd]?|fees?|budgets?|fund(s|ed|ing)?|"
    r"invest\w*|subsid\w*|grants?|prijs|prijzen|kost|kosten|tarief|subsidie\w*|financier\w*)\b",
    re.IGNORECASE,
)


def unpriced(answer: str, passages: Sequence[Passage], question: str) -> set[str]:
    """Amounts an answer to "how much does X cost" gives that no passage states as money:
    "De kunstmatige alvleesklier kost €100.000" from "Some 100,000 people have type 1
    diabetes". An amount is money when a passage sentence stating it has a currency sign or
    a word for money ("cost", "funding", "subsidie")."""
    if not _ASKS_PRICE.search(question):
        return set()
    from askconvergence.answer.excerpts import split_sentences

    amounts = _numbers(_without_days(_MARKER.sub("", answer))) - _numbers(question)
    priced: set[str] = set()
    for passage in passages:
        for sentence in split_sentences(passage.text):
            if _MONEY.search(sentence):
                priced |= _passage_numbers(sentence)
    return amounts - priced


# A list item's number left on its own when an answer is split into sentences (ad006: the
# small model's "2." was taken for a number from a sentence about something else).
_ITEM_NUMBER = re.compile(r"\s*\d{1,2}[.)]\s*")


def misplaced_numbers(
    answer: str,
    passages: Sequence[Passage],
    question: str,
    context: Sequence[Passage] | None = None,
) -> set[str]:
    """Numbers an answer takes from a passage sentence about something else.

    Asked "How many patients already carry the artificial pancreas?", the small model answers
    "100,000 patients", from "Some 100,000 people in the Netherlands have type 1 diabetes"
    two sentences before "more than a hundred patients already carry the device"; or "six
    partners" from "built on six pillars". A number (in digits, or a word from "two" up)
    counts as placed when a passage sentence stating it shares a number with the question, or
    a word the question says about its subject (by stem or first five letters, so
    "patiënten" finds "patients"; all its words when it has only names). The answer's own
    words do not count: the model words its answer after the sentence it took the number
    from. A number is misplaced only when some sentence of the ``context`` (the passages
    the excerpts came from; default: ``passages``) holds at least half of those words: then
    the sentence that answers is there to be read, and a question worded unlike its passage
    ("What proportion of Dutch workers ...?" for "One-third of the Dutch working population")
    is not held against its answer. Numbers in no passage are :func:`invented_numbers`' to
    find; numbers the question gives are not checked.
    """
    from askconvergence.answer.excerpts import split_sentences
    from askconvergence.retrieve import content_terms

    given = _numbers(question) | _spelled_counts(question)
    # What the question says about its subject ("patients", "carry"; "partners") tells the
    # sentences apart better than the subject's name, which most of them share.
    asked = _said_of_subject(question) or list(
        dict.fromkeys(w for w in content_terms(_fold_digits(question)) if not w.isdigit())
    )
    sentences = [s for p in passages for s in split_sentences(p.text)]
    need = (len(asked) + 1) // 2
    if not need or not any(
        sum(_found(w, *_passage_keys(s)) for w in asked) >= need
        for p in (passages if context is None else context)
        for s in split_sentences(p.text)
    ):
        return set()
    misplaced: set[str] = set()
    for claim in split_answer(_MARKER.sub("", answer)):
        if _ITEM_NUMBER.fullmatch(claim) and claim != answer.strip():
            continue  # an answer's list, split into sentences, leaves its "2." on its own
        claim = _without_days(claim)  # "on November 6, 2020" counts nothing six times
        numbers = (_numbers(claim) | _spelled_counts(claim)) - given
        for number in numbers:
            stating = [s for s in sentences if number in _passage_numbers(_without_days(s))]
            if stating and not any(
                given & _passage_numbers(s) or any(_found(w, *_passage_keys(s)) for w in asked)
                for s in stating
            ):
                misplaced.add(number)
    return misplaced


def days_as_counts(answer: str, passages: Sequence[Passage], question: str) -> set[str]:
    """Numbers an answer to "how many ...?" took from a day of the month: "Hoeveel mensen
    namen deel aan de online Inspiration-conferentie?" was answered "6 mensen" from "on 6
    November 2020" (z037), which counts no one. A number counts as a day when a sentence
    giving it as a day shares more of the question's words (by stem or first five letters)
    than every sentence stating it as a count ("six pillars")."""
    from askconvergence.answer.excerpts import split_sentences
    from askconvergence.retrieve import content_terms

    if not _ASKS_QUANTITY.search(question):
        return set()
    asked = content_terms(_fold(question))
    sentences = [s for p in passages for s in split_sentences(p.text)]

    def shared(sentence: str) -> int:
        keys = _passage_keys(sentence)
        return sum(_found(w, *keys) for w in asked)

    days = set()
    for n in _numbers(_without_days(answer)) - _numbers(question):
        counts = [s for s in sentences if n in _passage_numbers(_without_days(s))]
        dated = [s for s in sentences if n in _passage_numbers(s) and s not in counts]
        if dated and max(map(shared, dated)) > max(map(shared, counts), default=-1):
            days.add(n)
    return days


def miscounted(answer: str, passages: Sequence[Passage], question: str) -> set[str]:
    """Counts of X a "how many X" answer gives that no passage sentence gives.

    Asked "Hoeveel patiënten dragen de kunstmatige alvleesklier al bij zich?", the model
    answers "100.000 patiënten" from "Some 100,000 people in the Netherlands have type 1
    diabetes", while "more than a hundred patients already carry the device" counts them.
    The thing counted is found by its first five letters, so a Dutch question finds English
    passages, where :func:`misplaced_numbers` cannot tell. Only checked when some sentence of
    the passages counts X, or the question is in English: then "6 employees" is a count no
    passage gives ("six pillars"); a Dutch question's X may be counted in other words
    ("100.000 mensen" from "100,000 people").
    """
    things = _counted_things(question)
    pattern = _counts_of(things)
    if pattern is None:
        return set()
    # The counts that name most of X: "five joint LDE centres", not "two university medical
    # centres", for "Hoeveel gezamenlijke LDE-centra ...?" (y011).
    counted: set[str] = set()
    most = 0
    for passage in passages:
        text = _fold(passage.text)
        for match in pattern.finditer(text):
            words = _WORD.findall(f"{match.group(0)} {' '.join(text[match.end() :].split()[:2])}")
            named = sum(any(w.startswith(thing) for w in words) for thing in things)
            if named > most:
                most, counted = named, set()
            if named == most:
                counted |= _passage_numbers(match.group(0))
    if not counted and detect_language(question) != "en":
        return set()
    # Only what the answer itself counts as X: "33% of the Dutch working population" is a
    # share of people, not a count of them.
    claimed: set[str] = set()
    for match in pattern.finditer(_fold(_without_days(_MARKER.sub("", answer)))):
        claimed |= _passage_numbers(match.group(0))
    given = _numbers(question) | _spelled_counts(question)
    return {n for n in claimed - given if n not in counted}


def _spelled_counts(text: str) -> set[str]:
    """The numbers written as words in ``text`` ("six partners" counts as 6)."""
    return {_COUNT_WORDS[w] for w in _WORD.findall(text.lower()) if w in _COUNT_WORDS}


def without_sentences(passages: Sequence[Passage], values: set[str]) -> list[Passage]:
    """The passages without their sentences stating any of ``values`` (numbers in digits,
    names, or things in plain words); passages left empty are dropped, the others keep their
    numbers. A name is stated where all its words are; a thing in plain words ("rising
    costs") where any of its longer words is ("The costs of our healthcare are growing")."""
    from askconvergence.answer.excerpts import split_sentences
    from askconvergence.retrieve import content_terms

    numbers = {v for v in values if v[:1].isdigit()}
    names: list[frozenset[str]] = []
    things: list[str] = []  # the longer words of values in plain words
    for value in values - numbers:
        parts = _name_parts(value)
        if parts:
            names.append(parts)
        else:
            things += [w for w in content_terms(_fold(value)) if len(w) >= 5]

    def states(sentence: str) -> bool:
        if numbers & _passage_numbers(sentence):
            return True
        keys = _passage_keys(sentence)
        return any(all(_found(p, *keys) for p in parts) for parts in names) or any(
            _found(word, *keys) for word in things
        )

    out = []
    for passage in passages:
        kept = [s for s in split_sentences(passage.text) if not states(s)]
        if kept:
            # A title stating one goes too: a news item's title names its partners
            # ("Delft University of Technology, Erasmus University Rotterdam and Erasmus MC to
            # intensify collaboration"), and the model read them as who develops DORA.
            title = "" if states(passage.title) else passage.title
            out.append(replace(passage, text=" ".join(kept), title=title))
    return out


ASKS_WHO = re.compile(r"\b(who|whom|wie)\b", re.IGNORECASE)
# "Which two institutions work on DORA?" asks for organisations as "who" asks for people.
_ASKS_WHICH_BODY = re.compile(
    r"\b(which|what|welke?)\s+(\w+\s+)?\w*?"  # a Dutch compound: "medtechbedrijven"
    r"(institution|organi[sz]ation|partner|part(?:y|ies)|compan|hospital|instelling|organisatie|"
    r"partij|bedrij|ziekenh)",
    re.IGNORECASE,
)


# "Where was the 2023 edition of the Health Valley Event held?": a place an event was held
# is named in the sentence that names the event; the small model answered with the region
# the article is about (ad028).
_ASKS_VENUE = re.compile(
    r"\b(?:where|in\s+which\s+(?:city|town|place)|waar|in\s+welke\s+(?:stad|plaats))\b"
    r".*\b(?:held|hosted|take\s+place|took\s+place|gehouden|plaatsvinden|plaatsgevonden|"
    r"vond|georganiseerd)\b",
    re.IGNORECASE,
)

_VENUE_WORD = re.compile(
    r"\b(?:held|hosted|took\s+place|takes\s+place|venue|location|gehouden|plaats|locatie)\b",
    re.IGNORECASE,
)


def unanchored_people(answer: str, passages: Sequence[Passage], question: str) -> set[str]:
    """Names a "who" (or "which organisation", or "where was the event held") answer gives
    that no passage states near what the question names.

    Asked "Wie is de burgemeester van Enschede?", the small model answers with the one
    person its passages name, from a contact line under another story. A name counts as
    anchored when a passage sentence (or title) that names one of the question's names also
    holds every part of it (by stem or first five letters, so "Universiteit Leiden" finds
    "Leiden University"). Questions without a name are not checked, nor are the answer's
    words the question already has.
    """
    person = bool(ASKS_WHO.search(question))
    venue = not person and bool(_ASKS_VENUE.search(question))
    if not (person or venue or _ASKS_WHICH_BODY.search(question)):
        return set()
    from askconvergence.retrieve import content_terms

    asked = set(_WORD.findall(_fold(question)))
    people = {}
    runs = (m.group(0) for m in _NAME.finditer(_MARKER.sub("", answer)))
    # "Erasmus MC and TU Delft" is two names, each to be anchored.
    for name in (n for run in runs for n in re.split(r"\s+(?:and|en)\s+", run)):
        parts = {
            part
            for part in _name_parts(name)
            # content_terms drops a stop word such as "And" opening a sentence; a venue may
            # be a country ("held in the Netherlands"), which must be stated as one too.
            if part not in asked and (venue or part not in _COMMON_NAMES) and content_terms(part)
        }
        if parts:
            people[name] = parts
    if not people:
        return set()
    # A person is named in the very sentence that says what they are (or under its title):
    # "Chris Doomernik, director of Health Valley, explains ..."; a name in the next sentence
    # is most often a contact line or another story. An organisation is named in the very
    # sentence too: a news item's title names its partners, not who does what in it (DORA).
    # The title counts only when no sentence names the subject itself: under "Health
    # technology collaboration between Finland and the Netherlands", the Utrecht contact is
    # not the one for "ideas for health tech co-operation between Finland and the Netherlands".
    windows = _windows(passages, question, reach=0, titled=False)
    if windows is None:
        return set()
    if not windows and person:
        windows = _windows(passages, question, reach=0, titled=True) or []
    if venue:
        # Named in the event's sentence is not enough: "professor at Radboudumc, elaborated
        # in her keynote at Health Valley Event (2023 edition)" says nothing of its venue.
        windows = [window for window in windows if _VENUE_WORD.search(window)]
    unanchored = _not_in_windows(people, windows)
    if unanchored and person:
        unanchored = _not_in_windows(unanchored, _role_windows(passages, question))
    return set(unanchored)


# "Who is the <role> of/at/for ...?": the role, up to three lower-case words before the thing
# it is held at ("scientific director", "rector magnificus", "Nederlandse ambassadeur").
_ASKS_ROLE = re.compile(
    r"\b(?:who|wie)\s+(?:is|was|are|were|zijn|waren)\s+(?:the|de|het|a|een)\s+"
    r"((?:[\w-]+\s+){0,2}?[a-z][\w-]*)\s+(?:of|for|at|in|from|van|bij|voor|binnen)\b",
    re.IGNORECASE,
)


# "Chris Doomernik, director of Health Valley, explains ...": a person (two capitalised
# words or more), the role and where it is held.
_APPOSITION = re.compile(
    r"([A-ZÀ-Ý][\w'’.-]*(?:\s+(?:van|der|den|de|ter)?\s*[A-ZÀ-Ý][\w'’-]*)+),\s+(?:the\s+)?"
    r"((?:[\w-]+\s+){0,2}?[a-z][\w-]*)\s+(?:of|at)\s+(?:the\s+)?([A-ZÀ-Ý][\w&'’-]*"
    r"(?:\s+[A-ZÀ-Ý&][\w&'’-]*)*)"
)


# "Wat is de functie van Jelle van der Weijde?", "What is Jelle van der Weijde's position?",
# "What does Maroeska Rovers do?": the role of someone the question names.
_PERSON = r"[A-ZÀ-Ý][\w'’-]*(?:\s+(?:(?:van|de|der|den|ter)\s+)*[A-ZÀ-Ý][\w'’-]*)+"
_ASKS_ROLE_OF = re.compile(
    r"(?i:\b(?:what|wat)\s+(?:is|was|are)\s+(?:the\s+|de\s+|het\s+)?"
    r"(?:functie|rol|role|position|job|title|baan|taak)\s+(?:of|van)\s+)(?P<a>" + _PERSON + ")"
    r"|(?i:\b(?:what|wat)\s+(?:is|was)\s+)(?P<b>" + _PERSON + r")['’]s?"
    r"(?i:\s+(?:functie|rol|role|position|job|title))"
    r"|(?i:\b(?:what|wat)\s+(?:does|doet)\s+)(?P<c>" + _PERSON + r")(?i:\s+do\b|\s*\?)"
)


# Words of the names of bodies, places and events, not of people.
_BODY_WORDS = frozenset(
    """health hub valley university universiteit centre center board medical mc technology
    tech medtech campus event region school embassy institute instituut robotics diabetic
    convergence partnership ecosystem utrecht twente delft leiden rotterdam nijmegen""".split()  # noqa: SIM905
)


def person_roles(passages: Sequence[Passage], question: str) -> list[tuple[Passage, str, set[str]]]:
    """For a question for the role of someone it names (``_ASKS_ROLE_OF``), the passage
    sentences naming them by their family name, with the passage and the other names each
    holds, the places their roles are at: "Connect with Economic Board Utrecht, Director
    Health, Jelle van der Weijde," holds "Economic Board Utrecht"."""
    from askconvergence.answer.excerpts import split_sentences

    asked = _ASKS_ROLE_OF.search(question)
    if asked is None:
        return []
    person = next(g for g in asked.groups() if g)
    own = {_fold(w) for w in person.split()}
    if own & _BODY_WORDS:
        return []  # "What is the role of Health Hub Utrecht?" asks of no one
    family = person.split()[-1]
    found = []
    for passage in passages:
        # Line by line: a contact line ends on a comma, and would run into the next heading.
        for sentence in (s for line in passage.text.splitlines() for s in split_sentences(line)):
            sentence = sentence.strip(" ·•*-\t")
            if not re.search(rf"\b{re.escape(family)}\b", sentence):
                continue
            places = {
                name
                for m in _NAME.finditer(sentence)
                if (name := _ARTICLE.sub("", m.group(0)))
                and m.start() > 0  # "Connect", opening the line
                and not {_fold(w) for w in name.split()} & own
            }
            if places:
                found.append((passage, sentence, places))
    return found


def misses_person_role(answer: str, passages: Sequence[Passage], question: str) -> str:
    """For a question for the role of someone named, a sentence naming them in the passages
    when the answer holds none of the places any such sentence names ("Jelle van der Weijde is
    de directeur van Health Hub Utrecht", where the passage has "Economic Board Utrecht,
    Director Health, Jelle van der Weijde"); "" otherwise."""
    found = person_roles(passages, question)
    answered = f" {' '.join(_WORD.findall(_fold(answer)))} "
    if not found or any(
        f" {' '.join(_WORD.findall(_fold(place)))} " in answered
        for _, _, places in found
        for place in places
    ):
        return ""
    return found[0][1]


def role_holders(passages: Sequence[Passage], question: str) -> list[tuple[Passage, str]]:
    """For "who is the <role> of X?", the passage sentences that name someone as that role of
    a place every word of which the question says ("Chris Doomernik, director of Health
    Valley, explains ..." for "Who is the director of the Health Valley Netherlands
    ecosystem?"), with their passages. The small model declined that question over it."""
    from askconvergence.answer.excerpts import split_sentences
    from askconvergence.retrieve import content_terms

    asked = _ASKS_ROLE.search(question)
    if not asked:
        return []
    role = _fold(asked.group(1).split()[-1])
    words = set(content_terms(_fold(question)))
    found = []
    for passage in passages:
        for sentence in split_sentences(passage.text):
            for m in _APPOSITION.finditer(sentence):
                place = set(content_terms(_fold(m.group(3))))
                held = _fold(m.group(2).split()[-1])  # "directeur" is "director" too
                if _found(held, *_passage_keys(role)) and place and place <= words:
                    found.append((passage, sentence))
    return found


def unheld_role(passages: Sequence[Passage], question: str) -> str:
    """The role a "who is the <role> of ...?" question asks for when no passage mentions it
    (by stem, first five letters or the glossary's English), ``""`` otherwise.

    Asked "Wie is de Nederlandse ambassadeur in Finland?", the small model named the embassy's
    policy officer, the one person its passages name there; "Who is the CEO of Micronit?" and
    "Who is the rector magnificus of TU Delft?" are answered by no passage that never says
    CEO or rector magnificus. A role of a contact line ("press contact" for "Press relations")
    is mentioned by that line (see :func:`role_lines`).
    """
    from askconvergence.retrieve import glossed

    asked = _ASKS_ROLE.search(question)
    if not asked:
        return ""
    role = asked.group(1).split()[-1]
    keys = [_passage_keys(f"{p.title} {p.text}") for p in passages]
    words = [role, *glossed(role).split()]
    if any(_found(w, *k) for w in words for k in keys):
        return ""
    if next(role_lines(passages, question), None) is not None:
        return ""
    return role


# A question for who founded something: "Who founded Flux Robotics?", "Wie heeft Flux Robotics
# opgericht?", "Who are the founders of Micronit?".
_ASKS_FOUNDER = re.compile(
    r"\b(?:(?:who|wie)\b.*\b(?:found(?:ed)?|established|opgericht|gesticht)\b|"
    r"(?:co-?)?founders?\b|(?:mede)?oprichters?\b)",
    re.IGNORECASE,
)
# How a passage says who founded something; not "the established MedTech ecosystems".
_FOUNDING = re.compile(
    r"\b(?:co-?)?founders?\b|\b(?:mede)?oprichters?\b|\bopgericht\b|\bgesticht\b|"
    r"\b(?:founded|established|set\s+up|started)\s+(?:by|in|on|at)\b|"
    r"\b(?:was|were|is|are|been)\s+(?:founded|established|set\s+up)\b",
    re.IGNORECASE,
)


def unheld_founding(passages: Sequence[Passage], question: str) -> bool:
    """Whether the question asks who founded something and no passage says anything was
    founded (aa029, ah040): the small model names where a spin-off came from, or the company
    itself ("Flux Robotics was founded by Flux Robotics, a spin-off of the University
    Twente")."""
    if not _ASKS_FOUNDER.search(question):
        return False
    return not any(_FOUNDING.search(p.text) for p in passages)


def _not_in_windows(people: dict[str, set[str]], windows: Sequence[str]) -> dict[str, set[str]]:
    """The names (with their parts) that no window holds every part of."""
    keys = [_passage_keys(window) for window in windows]
    return {
        name: parts
        for name, parts in people.items()
        if not any(all(_found(p, *k) for p in parts) for k in keys)
    }


# Kinds of organisation a "which" question asks for, and how a name of that kind reads:
# "Radboudumc", "Erasmus MC" and "Leiden University Medical Center" are medical centres;
# "University of Twente" and "TU Delft" universities; "Noviotech Campus" a campus;
# "Casimir Research School" a school.
_KINDS = (
    (
        "medical centre",
        r"medical\s+cent(re|er)s?|umcs?|hospitals?|ziekenhui(s|zen)|medisch(e)?\s+(centrum|centra)",
        r"umc|\bmc\b|medical|medisch|hospital|ziekenhuis|gasthuis|clinic|kliniek",
    ),
    (
        "university",
        r"universit(y|ies|eit|eiten)\b(?!\s+medi)",
        r"universit|\btu\b|\beur\b|hogeschool",
    ),
    ("campus", r"(innovatie)?campus(es|sen)?|science\s+parks?", r"campus|park\b|kennispark"),
    (
        "school",
        r"(research|graduate|onderzoeks)\s*(schools?|scholen)",
        r"school|academy|academie|institute\b|instituut",
    ),
)
_WHICH = r"\b(which|what|welke?)\s+(?:[\w-]+\s+){0,2}?"


def _kind_of(name: str) -> str | None:
    for kind, _, reads in _KINDS:
        if re.search(reads, name, re.IGNORECASE):
            return kind
    return None


def _asked_kind(question: str) -> str | None:
    """The kind of organisation a "which ..." question asks for ("university"), if any."""
    return next(
        (
            kind
            for kind, nouns, _ in _KINDS
            if re.search(_WHICH + f"({nouns})", question, re.IGNORECASE)
        ),
        None,
    )


def of_another_kind(answer: str, question: str) -> set[str]:
    """The names an answer gives for a "which medical centre / university / campus / research
    school" question that are plainly of another kind, when it names none of the kind asked.

    With the right passage in front of it, the small model answers "Which university medical
    centre applies MedTech in the Nijmegen region?" with "The University of Twente", and
    "Met welke universiteit werkt de TU Delft samen?" with "Erasmus MC". Names of no known
    kind are not judged.
    """
    asked_kind = _asked_kind(question)
    if asked_kind is None:
        return set()
    given = {name: _kind_of(name) for name in new_names(answer, question)}
    if asked_kind in given.values():
        return set()
    return {name for name, kind in given.items() if kind is not None}


def misses_named_kind(answer: str, question: str) -> bool:
    """Whether a "which university / medical centre / campus / research school" question gets
    an answer naming nothing of that kind (y033: "Which centre does the keynote speaker ...
    direct, and which university is that centre part of?" answered with the centre alone)."""
    asked_kind = _asked_kind(question)
    if asked_kind is None:
        return False
    names = (m.group(0) for m in _NAME.finditer(_MARKER.sub("", answer)))
    return all(_kind_of(name) != asked_kind for name in names)


def _name_parts(name: str) -> frozenset[str]:
    """The folded words (3+ letters) of a name's capitalised parts: "Health Valley's" is
    {"health", "valley"}."""
    return frozenset(
        word
        for part in re.split(r"[\s-]+", name)
        if part[:1].isupper()
        for word in _WORD.findall(_fold(part))
        if len(word) > 2
    )


def _unanchored(
    values: set[str], passages: Sequence[Passage], question: str, reach: int
) -> set[str]:
    """Of ``values`` (numbers in digits), those no passage window naming one of the question's
    names states (a window: a sentence with ``reach`` sentences either side, and the title)."""
    if not values:
        return set()
    windows = _windows(passages, question, reach)
    if windows is None:
        return set()
    numbers = [_passage_numbers(window) for window in windows]
    return {v for v in values if not any(v in n for n in numbers)}


def _windows(
    passages: Sequence[Passage], question: str, reach: int, titled: bool = True
) -> list[str] | None:
    """The passage windows (a sentence with ``reach`` sentences either side, and the title
    unless not ``titled``, folded) that name one of the question's names. None when the
    question names nothing (nothing to anchor to)."""
    names = [_name_parts(m.group(0)) for m in _CAPITALISED_RUN.finditer(question) if m.start() > 0]
    # "Health Valley Netherlands" is named where "Health Valley" is.
    names = [name - _COMMON_NAMES or name for name in names if name]
    if not names:
        return None
    from askconvergence.answer.excerpts import split_sentences

    windows = []
    for passage in passages:
        title = _fold(passage.title) if titled else ""
        for window in _around(split_sentences(passage.text), reach):
            text = f"{title} {_fold(window)}"
            words = _with_country_forms(set(_WORD.findall(text)))
            if any(n <= words for n in names):
                windows.append(text)
    return windows


# The longest line that reads as a role's label ("Press relations (available Mon, Tue, Thu)").
ROLE_WORDS = 8
# A credit line: a one-word label and a colon ("Contact: Martine", "Photographer: Lizet
# Beek"); it names its own holder.
CREDIT = re.compile(r"(?<!\S)([A-Za-z]{4,}):\s+[A-Z]")


# Words that end a contact's role and name one job with the same word before them: "press
# contact", "press officer" and "press relations" ask for the one "Press relations" line.
_ROLE_HEADS = frozenset(
    {"contact", "officer", "relations", "spokesperson", "liaison", "voorlichter", "woordvoerder"}
)


def _stem(word: str) -> str:
    from askconvergence.retrieve import lexical_tokens

    return next(iter(lexical_tokens(word)), "")


def _role_pairs(question: str) -> set[tuple[str, str]]:
    """The question's two-word roles by stem ("press relations"), its Dutch compounds' too
    through the glossary ("persvoorlichter" to "press relations"), a role head as "*"."""
    from askconvergence.retrieve import content_terms, glossed

    words = re.findall(r"[\w'’-]+", question)
    pairs = [
        (a, b)
        for a, b in zip(words, words[1:], strict=False)
        if a.islower() and b.islower() and content_terms(a) and content_terms(b)
    ]
    english = glossed(question).split()
    pairs += zip(english, english[1:], strict=False)
    return {key for key in (_role_key(a, b) for a, b in pairs) if all(key)}


def _role_key(first: str, second: str) -> tuple[str, str]:
    stem = _stem(second)
    return _stem(first), "*" if stem in _head_stems() else stem


@lru_cache(maxsize=1)
def _head_stems() -> frozenset[str]:
    return frozenset(_stem(word) for word in _ROLE_HEADS)


def role_lines(
    passages: Sequence[Passage], question: str
) -> Iterator[tuple[Passage, int, list[str], str]]:
    """The passage sentences (with the passage, the index, every sentence of it and the label
    line itself) that are or hold a label line with a role the question asks who has, as two
    words in a row: "Who handles press relations for the University of Twente article?" and
    "Op welke dagen is de persvoorlichter bereikbaar?" are answered by the contact line over
    "Press relations (available Mon, Tue, Thu)", which names neither the university nor the
    article. A credit line counts by its one-word label ("who took the photo?" to
    "Photographer: Lizet Beek")."""
    from askconvergence.answer.excerpts import split_sentences

    roles = _role_pairs(question)
    asked = _credit_keys(question)
    if not roles and not asked:
        return
    for passage in passages:
        sentences = split_sentences(passage.text)
        # A credit is a line of its own, which the sentence splitter may join to another.
        credits = [
            line[m.start(1) :].strip()
            for line in passage.text.splitlines()
            for m in CREDIT.finditer(line)
            if _credit_key(m.group(1)) in asked
        ]
        for i, sentence in enumerate(sentences):
            credit = next((c for c in credits if c in sentence), "")
            # A credit joined to a label line is not part of it ("Press relations (available
            # Mon, Tue, Thu) Photographer: Lizet Beek").
            label = _PHOTO_CREDIT.sub("", sentence).strip()
            if credit:
                yield passage, i, sentences, credit
            elif len(label.split()) > ROLE_WORDS or label.endswith("?"):
                continue  # a label line; "Ideas for health tech co-operation ...?" is none
            else:
                if roles & _label_roles(label):
                    yield passage, i, sentences, label


def _label_roles(label: str) -> set[tuple[str, str]]:
    """The two-word roles of a label line by stem (see :func:`_role_key`), less the names in
    it: "East Netherlands has it all" is a heading, not the east netherlands a question asks
    about in lower case; "Press relations" and "Policy Officer" are roles."""
    words = _WORD.findall(label)
    roles = set()
    for a, b in zip(words, words[1:], strict=False):
        key = _role_key(_fold(a), _fold(b))
        if key[1] == "*" or not (a[0].isupper() and b[0].isupper()):
            roles.add(key)
    return roles


def _role_windows(passages: Sequence[Passage], question: str) -> list[str]:
    """The windows (a role's label line with the sentence either side, folded) of
    :func:`role_lines`: a contact line's name stands on the line above its label."""
    return [
        _fold(" ".join(sentences[max(0, i - 1) : i + 2]))
        for _, i, sentences, _ in role_lines(passages, question)
    ]


def _credit_key(word: str) -> str:
    """How a credit's label and a question's word for it start ("Photographer", "foto")."""
    return _fold(word).replace("ph", "f")[:4]


def _credit_keys(question: str) -> set[str]:
    """The credit keys of a question's lower-case content words ("who took the photo?")."""
    from askconvergence.retrieve import content_terms

    words = re.findall(r"[\w'’-]+", question)
    return {_credit_key(w) for w in words if w.islower() and len(w) >= 4 and content_terms(w)}


# A photo credit, from its label to the end of its line ("Photographer: Lizet Beek").
_PHOTO_CREDIT = re.compile(rf"(?<!\S)((?i:{PHOTO_CREDIT_LABELS}))\s*:\s*[A-Z][^\n]*")


def without_credits(text: str, question: str) -> str:
    """``text`` less its photo credits, unless the question asks about the photo: the small
    model named the photographer above it as the press contact ("Press relations (available
    Mon, Tue, Thu) Photographer: Lizet Beek") and "Photo: Erasmus University Rotterdam" as
    who helped launch dRural."""
    asked = _credit_keys(question)
    return _PHOTO_CREDIT.sub(
        lambda m: m.group(0) if _credit_key(m.group(1)) in asked else "", text
    ).rstrip()


# One country's names and adjectives, English and Dutch: a question about the "Dutch embassy"
# is about the sentence that names "the Netherlands Embassy in Finland".
_COUNTRY_FORMS = (
    frozenset({"netherlands", "nederland", "nederlandse", "nederlands", "dutch", "holland"}),
    frozenset({"finland", "finse", "fins", "finnish"}),
    frozenset({"europe", "europa", "european", "europese"}),
)


def _with_country_forms(words: set[str]) -> set[str]:
    """The words with every other form of each country they name."""
    return words.union(*(forms for forms in _COUNTRY_FORMS if forms & words))


def _around(sentences: Sequence[str], reach: int) -> Iterator[str]:
    """Each sentence with ``reach`` sentences either side, joined; a question in a passage
    with the sentence that answers it ("Interested in collaboration with Health Hub Utrecht?
    - Connect with ..., Jelle van der Weijde,")."""
    for i in range(len(sentences)):
        end = i + reach + 1
        if sentences[min(end, len(sentences)) - 1].endswith("?"):
            end += 1
        yield " ".join(sentences[max(0, i - reach) : end])


def repeats_itself(answer: str) -> bool:
    """Whether an answer says one sentence of five words or more twice: the small model,
    lost over a Dutch question, copied two passage paragraphs over and over ("Het systeem is
    eenvoudig te bedienen ... Micronit ... Het systeem is eenvoudig te bedienen ...")."""
    seen = set()
    for sentence in split_answer(answer):
        words = tuple(_WORD.findall(_fold(_MARKER.sub("", sentence))))
        if len(words) >= 5:
            if words in seen:
                return True
            seen.add(words)
    return False


def split_answer(text: str) -> list[str]:
    """The sentences of an answer, each with the markers that follow it."""
    return [sentence for sentence, _ in _split(text)]


def check_citations(
    text: str, passages: Sequence[Passage], scale: float = 1.0, question: str = ""
) -> tuple[str, list[Passage], list[float]]:
    """Check every sentence's markers against the passages; see the module docstring.

    Returns the corrected text (markers renumbered to the sources), the sources in order, and
    each sentence's best support (for the caller's "is this answer grounded at all?" check).
    ``scale`` lowers both support thresholds, for answers in another language than the
    passages, whose words match only where they are cognates. With the ``question``, a cited
    passage is also scored on the sentence's words the question does not already have.
    """
    by_n = {p.n: p for p in passages}
    text = clean_markers(text, set(by_n))
    sentences: list[tuple[str, list[int], str]] = []
    best_support = []
    leads: set[int] = set()  # list-opening sentences given a source the model did not cite
    for sentence, sep in _split(text):
        body = _tidy(_MARKER.sub("", sentence))
        scores = {n: support(body, p.text) for n, p in by_n.items()}
        cited = [n for n in cited_numbers(sentence) if n in by_n]
        if question:
            # A passage the model cited may also back the sentence by what it adds to the
            # question: "33% of Dutch workers live with a long-term illness" is backed by
            # "one-third of the working population has a chronic disease".
            for n in cited:
                scores[n] = max(scores[n], support(body, by_n[n].text, question))
        best_n = max(scores, key=lambda n: scores[n]) if scores else None
        best_support.append(scores[best_n] if best_n is not None else 0.0)
        keep = [n for n in cited if scores[n] >= KEEP_SUPPORT * scale]
        if keep and best_n is not None and all(scores[n] * 2 <= scores[best_n] for n in keep):
            # "LUMC is developing DORA together [2]" cited "These three universities, together
            # with ..." (one word of four) and not the sentence about DORA (all four): a
            # passage that supports the sentence twice as well as every cited one replaces them.
            keep = []
        if not keep and best_n is not None and scores[best_n] >= ATTRIBUTE_SUPPORT * scale:
            keep = [best_n]
            if body.endswith(":"):
                leads.add(len(sentences))
        sentences.append((body, keep, sep))
    if any(keep for i, (_, keep, _) in enumerate(sentences) if i not in leads):
        # A line that opens a list ("The three principles ... are:") gets no source of its
        # own when its items carry theirs.
        sentences = [(b, [] if i in leads else k, s) for i, (b, k, s) in enumerate(sentences)]

    order: list[int] = []
    for _, keep, _ in sentences:
        order += [n for n in keep if n not in order]
    renumber = {old: new for new, old in enumerate(order, start=1)}
    out = []
    for body, keep, sep in sentences:
        marks = "".join(f" [{renumber[n]}]" for n in keep)
        if marks and body[-1:] in ".!?":
            out.append(f"{body[:-1]}{marks}{body[-1]}{sep}")
        else:
            out.append(f"{body}{marks}{sep}")
    sources = [replace(by_n[old], n=new) for old, new in renumber.items()]
    return "".join(out).strip(), sources, best_support


# One name of a list: capitalised words, joined by lower-case name words ("University of
# Twente", "Leiden University Medical Center") or "&" ("Health & High Tech Region Nijmegen"),
# but not by "and"/"en", which join the list.
_ITEM = r"[A-ZÀ-Ý][\w&'’-]*(?:\s+(?:(?:of|for|the|van|der|den|de|voor|&)\s+)*[A-ZÀ-Ý][\w&'’-]*)*"
# "TU Delft, Erasmus University Rotterdam and Erasmus MC": two names or more.
_LIST = re.compile(rf"{_ITEM}(?:\s*,\s*{_ITEM})*\s*,?\s+(?:and|en)\s+{_ITEM}")
_LIST_SPLIT = r"\s*,\s*(?:(?:and|en)\s+)?|\s+(?:and|en)\s+"
_NAME_TAIL = re.compile(r"(?:\s+[A-ZÀ-Ý][\w'’-]*)*")
# "Which universities ...", "Welke instellingen ...", "Which two institutions ...".
_ASKS_WHICH = re.compile(
    r"\b(?:which|what|welke)\s+(?:other\s+|andere\s+)?"
    r"(?:(two|three|four|five|twee|drie|vier|vijf|\d+)\s+)?([\w']+)(?:\s+([\w']+))?",
    re.IGNORECASE,
)
# Adjectives before the noun a question asks for ("which chronic conditions", "welke
# chronische aandoeningen", "which medical centres").
_ADJECTIVE = re.compile(r"(?:ic|ical|ische|ieke|ale|ele|ing)$|^(?:key|main|core)$")


# "What are the four things ...", "Wat zijn de zes pijlers ...": what follows the article is
# read as after "which".
_WHAT_ARE_THE = re.compile(
    r"\b(?:what|which|wat|welke)\s+(?:are|were|r|zijn|waren)\s+(?:the|de)\s+(.+)", re.IGNORECASE
)

# "..., and which are they?", "en welke zijn dat?".
_WHICH_ARE_THEY = re.compile(
    r"\b(?:which|what|welke|wat)\s+(?:are|were|zijn|waren)\s+(?:they|those|these|dat|die|deze|het)\b",
    re.IGNORECASE,
)

# "Who is developing DORA together?": more than one, or "together" says nothing (ab020).
_WHO_TOGETHER = re.compile(r"\b(?:who|wie)\b.*\b(?:together|jointly|samen)\b", re.IGNORECASE)


def asks_for_several(question: str) -> bool:
    """Whether a "which/welke" question asks for more than one thing: a count before the
    noun, or a plural noun ("universities", "instellingen", "thema's"; not "campus"); also
    "what are the ..." ("What are the four things they strive for?") and "who ... together"."""
    if _WHICH_ARE_THEY.search(question) or _WHO_TOGETHER.search(question):
        return True
    are_the = _WHAT_ARE_THE.search(question)
    if are_the:
        return asks_for_several(f"which {are_the.group(1)}")
    match = _ASKS_WHICH.search(question)
    if not match:
        return False
    if match.group(1):
        return True
    noun = match.group(2)
    if noun[:1].isupper():
        # A name before the noun: "Which MedTech ecosystems" asks for ecosystems; "Which
        # Leiden University faculty" names a university.
        if not match.group(3) or match.group(3)[:1].isupper():
            return False
        noun = match.group(3)
    noun = noun.lower()
    if _ADJECTIVE.search(noun) and match.group(3) and noun != match.group(3).lower():
        noun = match.group(3).lower()
    if noun in _AUXILIARIES or noun in ("is", "was", "this", "its"):  # "What does ... ?"
        return False
    if noun.endswith("'s"):  # Dutch "thema's", not "year's"
        return noun[-3:-2] in "aeiou"
    return noun.endswith(("s", "en")) and not noun.endswith(("ss", "us", "is"))


def complete_list(answer: str, passages: Sequence[Passage], question: str, language: str) -> str:
    """The answer with a list it cut short given whole.

    Asked "Welke instellingen werken samen binnen Convergence Health & Technology?", the small
    model answers "Erasmus University Rotterdam [1]" from "TU Delft, Erasmus University
    Rotterdam and Erasmus MC have joined forces". When the question asks for several things
    and a passage the answer cites lists names of which the answer gives some but not all,
    the names the answer gives are replaced by the passage's whole list ("and" written "en"
    in a Dutch answer). Names the question holds are not part of the list. Of several such
    lists, the one whose sentence shares most words with the question wins, then the longer.
    """
    from askconvergence.answer.excerpts import split_sentences
    from askconvergence.retrieve import content_terms

    if not asks_for_several(question):
        return answer
    # "Which two institutions ...": only a list of two will do.
    which = _ASKS_WHICH.search(question)
    count = which.group(1).lower() if which and which.group(1) else None
    count = _SPELLED.get(count, count) if count else None
    by_n = {p.n: p for p in passages}
    folded_question = _fold(question)
    asked = content_terms(question)
    best: tuple[tuple[int, int], str] | None = None
    for claim in split_answer(answer):
        body = _MARKER.sub("", claim).lower()
        own = len(_list_names(_MARKER.sub("", claim)))
        for n in cited_numbers(claim):
            for sentence in split_sentences(by_n[n].text) if n in by_n else []:
                keys = _passage_keys(sentence)
                shared = sum(_found(w, *keys) for w in asked)
                for match in _LIST.finditer(sentence):
                    # Not "In" ("In addition, TU Delft and LUMC"), nor what the question
                    # names: asked who works with TU Delft, "TU Delft and LUMC" lists one.
                    items = [
                        i
                        for i in _list_items(match.group(0))
                        if not _named(_fold(i), folded_question)
                    ]
                    named = [m for m in (_named(i, body) for i in items) if m]
                    if len(items) < 2 or not named or len(named) == len(items) or own >= len(items):
                        continue  # nothing left out, or the answer gives a list as long
                    if count and str(len(items)) != count:
                        continue
                    spans = [m for m in (_named(m.group(0), answer.lower()) for m in named) if m]
                    start, end = min(m.start() for m in spans), max(m.end() for m in spans)
                    # The whole name the answer gave: "Health Valley Netherlands", not a list
                    # ending in "... Region Nijmegen Netherlands".
                    end += len(_NAME_TAIL.match(answer, end).group(0))  # type: ignore[union-attr]
                    joiner = " en " if language == "nl" else " and "
                    listing = ", ".join(items[:-1]) + joiner + items[-1]
                    rank = (shared, len(items))
                    if best is None or rank > best[0]:
                        best = (rank, answer[:start] + listing + answer[end:])
    return best[1] if best else _complete_series(answer, by_n, count)


# "a chronic condition, such as diabetes, cardiovascular disease, or obesity, and ...": things
# (not names) listed after a lead, the last one ending where the clause does.
_PLAIN_ITEM = r"[a-z][\w'-]*(?:\s+[a-z][\w'-]*){0,2}"
_SERIES = re.compile(
    rf"\b(?:such as|including|like|namely|zoals|waaronder)\s+"
    rf"({_PLAIN_ITEM}(?:\s*,\s*{_PLAIN_ITEM})*\s*,?\s+(?:and|or|en|of)\s+{_PLAIN_ITEM})"
    r"(?=\s*[,.;:)]|\s*$)"
)
# Between a series' things: a comma, "and"/"or" (or Dutch "en"/"of"), or both.
_SERIES_SPLIT = r"\s*,\s*(?:(?:and|or|en|of)\s+)?|\s+(?:and|or|en|of)\s+"


def _complete_series(answer: str, by_n: dict[int, Passage], count: str | None) -> str:
    """The answer with the one thing it gives of a passage's series replaced by the whole
    series as the passage words it ("Diabetes [1]" to "Which chronic conditions are given as
    examples?" becomes "Diabetes, cardiovascular disease, or obesity [1]"; "diabetes and
    obesity" too). Unchanged when the answer gives a list of its own (its commas and "and"
    make one), names none of the series' things or all of them, or names them far apart."""
    lowered = answer.lower()
    if _enumerated(_MARKER.sub("", lowered)):
        return answer
    for n in cited_numbers(answer):
        for match in _SERIES.finditer(by_n[n].text) if n in by_n else []:
            items = re.split(_SERIES_SPLIT, match[1])
            spans = [m for m in (_named(i, lowered) for i in items) if m]
            if not 0 < len(spans) < len(items) or (count and str(len(items)) != count):
                continue
            start, end = min(m.start() for m in spans), max(m.end() for m in spans)
            if len(answer[start:end].split()) > len(" ".join(items).split()) + 2:
                continue  # the things it gives are not one list ("diabetes ... [1]. Obesity")
            series = match[1]
            if answer[start].isupper():
                series = series[0].upper() + series[1:]
            return answer[:start] + series + answer[end:]
    return answer


# Words that open a sentence with a comma and name nothing ("Moreover, LUMC and TU Delft").
_CONNECTIVES = frozenset(
    "moreover however furthermore additionally also besides finally meanwhile therefore thus "  # noqa: SIM905
    "bovendien echter daarnaast verder ook tevens ten slotte".split()
)


def _list_items(listing: str) -> list[str]:
    """The names of a matched list, without a stop word that opened its sentence ("In")."""
    from askconvergence.retrieve import content_terms

    return [
        i
        for i in re.split(_LIST_SPLIT, listing)
        if content_terms(i) and i.lower() not in _CONNECTIVES
    ]


# A line of a list in a passage: "1. A holistic and life course approach ..." or "- Life-long
# health, from pre-birth to end of life" (bullets are "-" by the time text is indexed).
_ITEM_LINE = re.compile(r"^(?:(\d{1,2})[.)]|[-•*])\s+(\S.*)$")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _passage_lines(passages: Sequence[Passage]) -> list[tuple[str, str]]:
    """Every line of the passages, with the chunk it stands in."""
    return [(line, p.chunk_id) for p in passages for line in _lines(p.text)]


def _numbered_lines(lines: Iterable[tuple[str, str]]) -> dict[int, tuple[str, str]]:
    """The numbered item lines ("2. Integrative approach ...") by their number, each the
    first of its number, with its item's text and where it stands."""
    numbered: dict[int, tuple[str, str]] = {}
    for line, where in lines:
        item = _ITEM_LINE.match(line)
        if item and item.group(1) is not None:
            numbered.setdefault(int(item.group(1)), (item.group(2), where))
    return numbered


def _items_after(lines: list[str], lead: int, passages: Sequence[Passage]) -> list[tuple[str, str]]:
    """The items of the list that line ``lead`` introduces, each with the chunk holding it: the
    bullets right under it, or its numbered items however far apart (a description under each)
    and in whichever passage (the chunker splits long lists)."""
    after = lines[lead + 1 :]
    first = _ITEM_LINE.match(after[0]) if after else None
    if first is not None and first.group(1) is None:  # bullets: the run of them
        items = []
        for line in after:
            bullet = _ITEM_LINE.match(line)
            if bullet is None or bullet.group(1) is not None:
                break
            items.append((bullet.group(2), ""))
        return items
    # Numbered: the line under the lead is item 1, or its number alone (cut off by the chunker).
    if first is None and not (after and re.fullmatch(r"\d{1,2}[.)]", after[0])):
        return []
    candidates = [(line, "") for line in after]
    numbered = _numbered_lines([*candidates, *_passage_lines(passages)])
    out: list[tuple[str, str]] = []
    while len(out) + 1 in numbered:
        out.append(numbered[len(out) + 1])
    return out


def list_after_lead(
    answer: str, given: Sequence[Passage], passages: Sequence[Passage], question: str
) -> str:
    """The answer with the list it only announced: asked "What principles is the convergence
    approach based on?", the small model answers "The convergence approach is based on three
    key defining principles [1]", the line that opens the list, with the list in front of it.

    When the question asks for several things and the answer is one sentence copied from a
    line that opens a list (bullets under it, or numbered items), the items are added, each
    cited with the passage the model was given that holds it. ``passages`` are the whole
    passages (their lines); ``given`` what the model read, whose numbers the markers use.
    """
    claims = split_answer(answer)
    if len(claims) != 1 or not asks_for_several(question):
        return answer
    body = _MARKER.sub("", claims[0]).strip()
    # A list of names gives the items; not one the question names ("The convergence approach
    # of TU Delft, Erasmus MC, and EUR is based on three key defining principles").
    asked = _fold(question)
    names = _list_names(body)
    if any(not _named(name, asked) for name in names):
        return answer
    for name in names:  # nor do they count as the lead's words
        body = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", body)
    marker = {p.chunk_id: p.n for p in given}
    for passage in passages:
        lines = _lines(passage.text)
        for lead, line in enumerate(lines):
            # The sentence that opens the list is the line's last: "TU Delft, Erasmus MC and
            # Erasmus University Rotterdam are on a mission ... We strive for:" opens what
            # they strive for, not a list of the institutes.
            opening = re.split(r"(?<=[.!?])\s+", line)[-1]
            if _ITEM_LINE.match(line) or support(body, opening) < 0.6:
                continue
            items = [
                (item, marker.get(where or passage.chunk_id))
                for item, where in _items_after(lines, lead, passages)
            ]
            if len(items) < 2 or any(n is None for _, n in items):
                continue
            # An item's own words (not the opening line's: "approach") in the answer: it
            # gives the items already.
            if any(overlap(item, body, leave_out=line) >= 0.5 for item, _ in items):
                return answer
            listing = "\n".join(f"- {item} [{n}]" for item, n in items)
            return f"{answer.rstrip()}\n{listing}"
    return _inline_list_after(answer, body, given)


def rest_of_numbered(
    answer: str, given: Sequence[Passage], passages: Sequence[Passage], question: str
) -> str:
    """The answer with the items of a numbered list it stopped short of: asked "wat zijn de
    principes van de convergence aanpak ...?", the small model gave items 1 and 2 of the
    passage's three (ad006). When the question asks for several things and the answer's
    numbered items 1 to k (two or more) each share a word (by stem or first five letters, so
    a Dutch item finds its English one) with the passage list's item of that number, the
    list's items after k are added as the passage words them, each cited with the passage the
    model was given that holds it. ``passages`` are the whole passages, ``given`` what the
    model read, whose numbers the markers use."""
    from askconvergence.retrieve import content_terms

    if not asks_for_several(question):
        return answer
    own = [_ITEM_LINE.match(line) for line in _lines(_MARKER.sub("", answer))]
    numbers = [int(m.group(1)) for m in own if m and m.group(1)]
    if len(numbers) < 2 or numbers != list(range(1, len(numbers) + 1)):
        return answer
    texts = {int(m.group(1)): m.group(2) for m in own if m and m.group(1)}
    marker = {p.chunk_id: p.n for p in given}
    listed = _numbered_lines(_passage_lines(passages))
    k = len(numbers)
    if k + 1 not in listed or not all(
        i in listed
        and any(_found(w, *_passage_keys(texts[i])) for w in content_terms(listed[i][0]))
        for i in range(1, k + 1)
    ):
        return answer
    added = []
    while k + 1 in listed:
        k += 1
        text, chunk = listed[k]
        if chunk not in marker:
            return answer
        added.append(f"{k}. {text} [{marker[chunk]}]")
    return f"{answer.rstrip()}\n" + "\n".join(added)


# "What did Rovers advise ...?", "Wat raadt ze aan?": a question for what someone urged.
_ASKS_ADVICE = re.compile(
    r"\b(?:advi[cs]\w*|urg\w*|recommend\w*|tips?|suggest\w*|raad\w*|aanra\w*|aanbevel\w*|"
    r"adviseer\w*|advies\w*|oproep\w*|roept)\b",
    re.IGNORECASE,
)


def rest_of_quotation(answer: str, passages: Sequence[Passage], question: str) -> str:
    """The answer with the rest of the quotation it gave the first sentence of: asked what
    Rovers advised, the small model gave "Dare to engage in discussions at an early stage of
    product development" and left out the quotation's next sentence, "Involve critics, but
    especially the patient himself" (y024, ag033). When the question asks for advice and the
    answer's last sentence is a passage sentence (by its words) inside a quotation that goes
    on, the rest of the quotation (to its closing mark or the paragraph's end) is added,
    quoted and cited, unless the answer already gives it. ``passages`` are whole passages
    numbered as the answer's markers."""
    from askconvergence.answer.excerpts import split_sentences

    claims = split_answer(_MARKER.sub("", answer))
    if not claims or not _ASKS_ADVICE.search(question):
        return answer
    last = claims[-1]
    for passage in passages:
        for paragraph in passage.text.split("\n\n"):
            for sentence in split_sentences(paragraph):
                if support(last, sentence) < 0.6:
                    continue
                at = paragraph.find(sentence)
                opened = paragraph.rfind("“", 0, at + 1) if at >= 0 else -1
                if opened < 0 or "”" in paragraph[opened:at]:
                    continue  # not inside a quotation
                rest = paragraph[at + len(sentence) :].split("”")[0].strip().rstrip(":;,")
                if not rest or support(rest, answer) >= 0.5:
                    return answer
                end = "" if rest.endswith((".", "!", "?")) else "."
                return f"{answer.rstrip()} “{rest}{end}” [{passage.n}]"
    return answer


# A list run on after a colon: "built on six pillars: health and wellbeing daily practice,
# policy and governance, research and education, ...".
_INLINE_LIST = re.compile(r"(\w+\s+\w+):\s+([^:\n]+?,[^:\n]+?,[^:\n]+?)(?:\.(?=\s|$)|\n|$)")


def _inline_list_after(answer: str, body: str, given: Sequence[Passage]) -> str:
    """The answer with the items of an inline list whose opening words (the two before the
    colon: "six pillars") it copied without any of them."""
    for passage in given:
        for found in _INLINE_LIST.finditer(passage.text):
            if found.group(1).lower() not in body.lower():
                continue
            items = [re.sub(r"^(?:and|en)\s+", "", i.strip()) for i in found.group(2).split(",")]
            if any(overlap(item, body) >= 0.5 for item in items):
                return answer
            listing = "\n".join(f"- {item} [{passage.n}]" for item in items if item)
            return f"{answer.rstrip()}\n{listing}"
    return answer


def _list_names(text: str) -> list[str]:
    """The names of the longest list of names in ``text`` (none when it holds no list)."""
    return max((_list_items(m.group(0)) for m in _LIST.finditer(text)), key=len, default=[])


def _named(name: str, text: str) -> re.Match[str] | None:
    """Where ``name`` stands in lower-cased ``text`` as whole words ("EUR" is not in "europe")."""
    return re.search(rf"(?<!\w){re.escape(name.lower())}(?!\w)", text)


def resolve_citations(text: str, passages: Sequence[Passage]) -> tuple[str, list[Passage]]:
    """Check an answer's markers and return it with its sources (see :func:`check_citations`)."""
    fixed, sources, _ = check_citations(text, passages)
    return fixed, sources


# A capitalised word inside a sentence (not its first word) is most often a name.
_CAPITALISED = re.compile(r"(?<=[\w,;:)\]] )([A-ZÀ-Ý][\w&'’-]{2,})")
# Words an answer restating the question may word otherwise ("does it have" / "has").
# Countries an answer may add to a name the question gives ("Health Valley Netherlands").
_COUNTRIES = frozenset(
    {"netherlands", "nederland", "nederlandse", "dutch", "finland", "finse", "finnish"}
)
# Names of countries and languages (English and Dutch forms) an answer may add when it
# restates a passage ("Twente, in the Netherlands"); not inventions worth declining over.
_COMMON_NAMES = _COUNTRIES | {
    "nederlanders", "fins", "europe", "europa", "european", "europese",
    "english", "engels", "university", "universiteit",
    # Pronouns opening a sentence: "She can be reached on Monday, ..." names no one new.
    "she", "he", "they", "it", "we", "zij", "hij", "ze", "wij", "het",
}  # fmt: skip


def invented_names(answer: str, passages: Sequence[Passage], question: str = "") -> set[str]:
    """Capitalised words inside the answer's sentences that neither the passages nor the
    question contain: names the model made up ("the director is Jan de Vries"); and email
    or web addresses no passage holds ("jelle.vanderweijde@econboard.uu.nl").

    A word counts as found when one of its stems, or its first five letters, occur in a
    passage (so "Universiteit" finds "University"); sentence-initial words are skipped.
    """
    text = _MARKER.sub("", answer)
    known = set(_WORD.findall(_fold(question)))
    keys = [_passage_keys(p.text) for p in passages]
    invented = set()
    for match in _CAPITALISED.finditer(text):
        word = match.group(1)
        # Each part of "Oost-Nederland" must be known on its own.
        for part in _WORD.findall(_fold(word)):
            if part in known or part in _COMMON_NAMES or len(part) < 3:
                continue
            if not any(_found(part, st, pre) or _glued(part, st, pre) for st, pre in keys):
                invented.add(word)
    # An email address or web address must be in a passage as written.
    contacts = _CONTACT.findall(text)
    if contacts:
        given = " ".join(p.text for p in passages).lower()
        invented.update(c for c in contacts if c.lower() not in given)
    return invented


def _glued(word: str, stems: frozenset[str], prefixes: frozenset[str]) -> bool:
    """Whether ``word`` is two words of a passage written as one, the way Dutch compounds
    are ("COVID-19research" from "COVID-19 research", "cancerresearch")."""
    for cut in range(2, len(word) - 2):
        head, tail = word[:cut], word[cut:]
        head_found = head in stems if head.isdigit() else cut >= 3 and _found(head, stems, prefixes)
        if head_found and _found(tail, stems, prefixes):
            return True
    return False


def from_titles(answer: str, passages: Sequence[Passage], question: str = "") -> bool:
    """Whether every name the answer made up is in the title of a passage: the model read the
    heading as its answer ("Delft University of Technology, Erasmus University Rotterdam and
    Erasmus MC form the LDE partnership", where the text says "(Leiden University, TU Delft
    and EUR)")."""
    invented = invented_names(answer, passages, question)
    if not invented:
        return False
    titled = [replace(p, text=p.title) for p in passages]
    return not invented_names(answer, [*passages, *titled], question)


# A list: items joined by commas, the last by "and" or "or" ("A, B, and C"; "A, B or C").
_ENUMERATION = re.compile(r",[^,]+,?\s+(?:and|or)\s+\w", re.IGNORECASE)
# Where a list's items start in its first piece: "fields such as clinical technology".
_LIST_LEAD = re.compile(r"\b(?:such as|including|like|namely)\s+|:\s*", re.IGNORECASE)
# Where the sentence goes on after its last item: "..., and obesity are given as examples".
_LIST_TAIL = re.compile(r"\s+(?:are|is|was|were|have|has|had|can|will|in|of|from|to|for|with)\b")


def invented_items(answer: str, passages: Sequence[Passage], question: str = "") -> set[str]:
    """Items of a list in an English answer none of whose words any passage holds: things the
    model made up to fill a list the passages do not give ("fields such as clinical
    technology, medical imaging, bioinformatics and robotics", where they only say "five
    joint LDE centres in various fields").

    Only short items (up to four words) are judged, and an item with one word found (by stem
    or first five letters) passes, so "heart disease" for "cardiovascular disease" does.
    """
    from askconvergence.retrieve import content_terms

    lists = [items for s in split_answer(_MARKER.sub("", answer)) if (items := _enumerated(s))]
    if not lists:
        return set()  # most answers; "on November 6, 2020, from passage 1" is no list either
    known = _passage_keys(question)
    keys = [_passage_keys(p.text) for p in passages]
    invented = set()
    for pieces in lists:
        for item in pieces:
            words = [w for w in content_terms(item) if len(w) >= 4]
            if not words or len(item.split()) > 4 or any(_found(w, *known) for w in words):
                continue
            if not any(_found(w, st, pre) for w in words for st, pre in keys):
                invented.add(item)
    return invented


def _enumerated(sentence: str) -> list[str]:
    """The items of the list in an answer sentence, or [] when it has none: "fields such as
    A, B and C" lists A, B and C; "under pressure due to A, B, and C" lists B and C (where the
    first item starts is unclear without a lead like "such as" or a colon)."""
    if not _ENUMERATION.search(sentence):
        return []
    pieces = re.split(r"\s*,\s*(?:(?:and|or)\s+)?|\s+(?:and|or)\s+", sentence.strip(" .!"))
    if len(pieces) < 3:
        return []
    lead = list(_LIST_LEAD.finditer(pieces[0]))
    pieces = [pieces[0][lead[-1].end() :]] + pieces[1:] if lead else pieces[1:]
    pieces[-1] = _LIST_TAIL.split(pieces[-1])[0]  # "obesity are given as examples"
    return [piece.strip() for piece in pieces if piece.strip()]


def restated_items(answer: str, question: str) -> set[str]:
    """The items of an answer's list when every one of them (two at least) is the question's
    own: asked "What three qualities of the Dutch healthcare system are put at risk by ageing,
    rising costs and staffing problems?", the small model answers "It is under pressure due
    to aging, rising costs, and staffing problems": the causes the question gave, not the
    qualities it asked for. Empty when the answer's list says something new, and for a list
    of names, which restates what the question is about."""
    from askconvergence.retrieve import content_terms

    known = _passage_keys(question)
    for sentence in split_answer(_MARKER.sub("", answer)):
        items = _enumerated(sentence)
        words = [content_terms(_fold(item)) for item in items]
        if any(item[:1].isupper() for item in items):
            continue  # names: "TU Delft, Erasmus MC and EUR" are the subject, not its answer
        if len(items) >= 2 and all(w and all(_found(x, *known) for x in w) for w in words):
            return set(items)
    return set()


# What opens a list in a question: "put at risk by ageing, rising costs and staffing problems".
_LIST_OPENER = re.compile(
    r"\s+(?:by|due to|because of|such as|like|including|from|door|zoals|vanwege)\s+", re.I
)


def without_list(question: str, items: set[str]) -> str:
    """The question without its list of ``items`` and the word opening it: "What three
    qualities ... are put at risk by ageing, rising costs and staffing problems?" is asked as
    "What three qualities ... are put at risk?". The question as it was when it does not
    hold the items after such a word."""
    spans = [m for m in (_named(item, question.lower()) for item in items) if m]
    if not spans:
        return question
    start, end = min(m.start() for m in spans), max(m.end() for m in spans)
    openers = list(_LIST_OPENER.finditer(question[:start]))
    if not openers:
        return question
    return question[: openers[-1].start()] + question[end:]


_CONTACT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b(?:https?://|www\.)[^\s\[\]()<>]*[\w/]")


# A name: capitalised words, joined by "of", "&", "van", "de", ... ("University of Twente").
_NAME = re.compile(
    r"[A-ZÀ-Ý][\w&'’-]*(?:\s+(?:(?:of|for|and|the|van|der|den|de|voor|en|&)\s+)*[A-ZÀ-Ý][\w&'’-]*)*"
)


_ARTICLE = re.compile(r"^(the|de|het|een|a|an)\s+", re.IGNORECASE)


def without_names(text: str) -> str:
    """The text less its capitalised runs (names, and a sentence's first word), with words
    hyphenated one way and written whole the other ("co-operation", "cooperation") as one."""
    return re.sub(r"(?<=[a-z])-(?=[a-z])", "", _NAME.sub(" ", text))


def echoes_question(answer: str, question: str) -> bool:
    """Whether an answer says nothing the question did not: every content word of it is a
    question word ("Erasmus MC has a partnership with Erasmus MC" to "Which centre has a
    partnership with Erasmus MC?"), or it is only citation markers ("[2] [1]").

    A name the question does not hold as a whole is news even when its words are question
    words: "The University of Twente is the source" answers "Which university is the source
    of MedTech activity in Twente?".
    """
    from askconvergence.retrieve import content_terms

    known = _passage_keys(question)
    asked = set(_WORD.findall(_fold(question)))

    def as_asked(match: re.Match[str]) -> str:
        # "Health Valley Netherlands" is the question's "Health Valley" with a country added.
        name = match.group(0)
        own = _name_parts(name) - _COUNTRIES
        if not own or not own <= asked:
            return name
        return " ".join(w for w in name.split() if _fold(w) not in _COUNTRIES)

    text = _NAME.sub(as_asked, _MARKER.sub("", answer))
    # "The Utrecht region has a nickname" restates "What nickname does it have".
    words = [w for w in content_terms(_fold_digits(text)) if w not in _AUXILIARIES]
    # The tail of a Dutch compound is asked too: "bachelor- en masteropleiding" asks of a
    # "bachelor-opleiding".
    tails = {w for w in asked if len(w) > 8}
    if not all(
        _found(word, *known) or (len(word) > 4 and any(t.endswith(word) for t in tails))
        for word in words
    ):
        return False
    # A one-digit count is news too ("3 core principles are ..."), though too short a word.
    if set(re.findall(r"\d+", text)) - set(re.findall(r"\d+", question)):
        return False
    return not any(len(_WORD.findall(name)) > 1 for name in new_names(text, question))


# A sentence that announces what follows it: "Chris Doomernik explains why this region is
# able to make a difference."; "Zij legt uit hoe ...".
_ANNOUNCES = re.compile(
    r"\b(?:explains?|explained|describes?|described|discuss(?:es|ed)?|tells?|told|"
    r"legt\s+uit|legde\s+uit|vertelt|vertelde|beschrijft|beschreef)\s+"
    r"(?:why|how|what|waarom|hoe|wat)\b",
    re.IGNORECASE,
)


def announces(text: str, question: str = "") -> bool:
    """Whether every sentence of ``text`` only announces what follows it in the passage
    ("Chris Doomernik, director of Health Valley, explains why this region is able to make a
    difference."): the model copied the sentence before the answer, not the answer. To a
    "who" question the one who explains is the answer ("Who is the director of Health
    Valley?")."""
    if ASKS_WHO.search(question):
        return False
    sentences = split_answer(_MARKER.sub("", text))
    return bool(sentences) and all(_ANNOUNCES.search(s) for s in sentences)


def lost_names(answer: str, rewritten: str, question: str = "") -> set[str]:
    """The names of two words or more in ``answer`` (not the question's) of which ``rewritten``
    kept fewer than half the words: a translation that leaves out "the Healthy Heart of Holland"
    no longer answers. A word counts as kept when its stem or first five letters are there
    ("University" in "Universiteit"); one-word names ("Embassy" -> "ambassade") may be
    translated."""
    stems, prefixes = _passage_keys(rewritten)
    lost = set()
    for name in new_names(answer, question):
        words = [w for w in _WORD.findall(_fold(name)) if len(w) > 3 and w not in _COMMON_NAMES]
        kept = sum(_found(w, stems, prefixes) for w in words)
        if len(words) >= 2 and 2 * kept < len(words):
            lost.add(name)
    return lost


def new_names(text: str, question: str) -> list[str]:
    """The names in ``text`` (capitalised runs, less a leading article) that the question does
    not hold as a whole, word for word."""
    asked = f" {' '.join(_WORD.findall(_fold(question)))} "
    names = (_ARTICLE.sub("", m.group(0)) for m in _NAME.finditer(_MARKER.sub("", text)))
    return [name for name in names if f" {' '.join(_WORD.findall(_fold(name)))} " not in asked]


def _fold(text: str) -> str:
    from askconvergence.retrieve import _fold as fold

    return fold(text)


# The days of the week and the months, written out: passages abbreviate them ("available
# Mon, Tue, Thu", "6 Nov").
_WRITTEN_OUT = re.compile(rf"(?:mon|tues|wednes|thurs|fri|satur|sun)day|{MONTHS}", re.IGNORECASE)


def _found(word: str, stems: frozenset[str], prefixes: frozenset[str]) -> bool:
    from askconvergence.retrieve import lexical_tokens

    if _WRITTEN_OUT.fullmatch(word) and _found(word[:3].lower(), stems, prefixes):
        return True  # "Monday" is the "Mon" of "available Mon, Tue, Thu"
    return bool(set(lexical_tokens(word)) & stems) or (len(word) >= 5 and word[:5] in prefixes)
