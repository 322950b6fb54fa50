"""Tight prompts: the sentences of the retrieved passages that bear on the question, in a budget.

On a 2-core CPU the local model reads a prompt at about 50-90 tokens a second, so every
sentence given to it costs the user time before the first word. The passages are retrieved as
whole chunks (that is what the user sees as sources), but the model gets only their best
sentences: scored by the embedder (query against sentence, so a Dutch question finds an
English sentence) plus the share of the question's key terms the sentence holds, and taken
best first until the word budget is spent. A sentence that starts by pointing back ("She",
"It", "Dit") brings the sentence before it, so the model knows who is meant.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from askconvergence.answer.citations import ASKS_WHEN, MONTHS, YEAR, asks_for_several, counting
from askconvergence.answer.language import detect_language
from askconvergence.answer.types import Passage
from askconvergence.ingest.clean import cut_off_list_number

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

__all__ = [
    "DATE",
    "ExcerptSelector",
    "choose_sentences",
    "key_share",
    "quoted_phrases",
    "split_sentences",
    "unique_sentences",
]

log = logging.getLogger(__name__)

# A sentence ends at . ! ? before a capital, a digit or a quote; at a line break before
# anything but a lower-case letter (a sentence wrapped over two lines stays one); and at a
# blank line, whatever follows ("... COVID-19 research.\n\ndrs. M.M.J. van Hillegersberg").
_SENTENCE_END = re.compile(
    r"(?<=[.!?])\s+(?=[A-Z0-9À-Ý\"“‘(])|\s*\n[^\S\n]*\n\s*|\s*\n+\s*(?![a-zà-ÿ])"
)
_POINTS_BACK = re.compile(
    r"^(he|she|it|its|they|their|this|these|those|that|there|such|the latter|"
    r"hij|zij|ze|het|dit|deze|die|daar|hun|haar|zijn)\b",
    re.IGNORECASE,
)
# Fragments shorter than this (headings, list labels) are joined to the sentence after them.
_MIN_WORDS = 5
# A phrase of two words or more the question puts in quotes: 'to cure or die', "neighborhood
# focused prevention". An apostrophe inside a word ("Convergence's") opens no quote.
_QUOTED = re.compile(r"(?:^|(?<=[\s(]))[\"“‘'](\w[^\"“”‘’']*?\s[^\"“”‘’']*?\w)[\"”’'](?!\w)")


def quoted_phrases(query: str) -> list[str]:
    """The phrases of two words or more that a question quotes, folded (lower case, single
    spaces)."""
    return [" ".join(m.group(1).casefold().split()) for m in _QUOTED.finditer(query)]


def _holds_phrase(text: str, phrases: Sequence[str]) -> bool:
    folded = " ".join(re.sub(r"[\"“”‘’']", " ", text).casefold().split())
    return any(phrase in folded for phrase in phrases)


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage: which passage (index into the list), where in it, its text."""

    passage: int
    position: int
    text: str

    @property
    def words(self) -> int:
        """Length in words (the budget's unit)."""
        return len(self.text.split())


def split_sentences(text: str) -> list[str]:
    """The sentences of a passage, with short fragments (headings) joined to the next one."""
    pieces = [" ".join(p.split()) for p in _SENTENCE_END.split(text) if p and p.strip()]
    out: list[str] = []
    carry = ""
    for piece in pieces:
        joined = f"{carry} {piece}".strip() if carry else piece
        if len(joined.split()) < _MIN_WORDS:
            carry = joined
            continue
        out.append(joined)
        carry = ""
    if carry:
        if out:
            out[-1] = f"{out[-1]} {carry}"
        else:
            out.append(carry)
    return out


# A passage's sentences come back with every question about it; their language is read once.
_language_of = lru_cache(maxsize=20_000)(detect_language)


def _opens_line(text: str, sentence: str) -> bool:
    """Whether ``sentence`` (whitespace collapsed) starts a line of ``text``."""
    head = sentence.split()[:4]
    if not head:
        return False
    pattern = r"(?:^|\n)[^\S\n]*" + r"\s+".join(re.escape(w) for w in head)
    return re.search(pattern, text) is not None


# A list item's number left at the end of a sentence by the line split ("... principles. 1.").
_TRAILING_NUMBER = re.compile(r"\s+\d+[.)]$")


def unique_sentences(passages: Sequence[Passage]) -> list[Sentence]:
    """The sentences of the passages, each read once, in the best passage holding it.

    Neighbouring chunks overlap, and a chunk may start or end inside a sentence, so a
    sentence that is part of one already seen (or the same but for a list number) is left out.
    """
    seen: list[str] = []
    out = []
    for pi, passage in enumerate(passages):
        texts = split_sentences(passage.text)
        if texts and cut_off_list_number(passage.text):
            # The passage ends on the number of a list item it cuts off ("... stakeholders
            # 3."): the model read the item before as that number's.
            texts[-1] = _TRAILING_NUMBER.sub("", texts[-1])
        for si, text in enumerate(texts):
            key = _TRAILING_NUMBER.sub("", text)
            if any(key in other for other in seen):
                continue
            seen.append(text)
            out.append(Sentence(pi, si, text))
    return out


def _follows(sentences: Sequence[Sentence], first: int, second: int) -> bool:
    """Whether sentence ``second`` comes right after sentence ``first`` in the same passage."""
    if first < 0 or second >= len(sentences):
        return False
    a, b = sentences[first], sentences[second]
    return (a.passage, a.position + 1) == (b.passage, b.position)


def choose_sentences(
    sentences: Sequence[Sentence], scores: Sequence[float], budget_words: int, lists: bool = True
) -> set[int]:
    """Indices of the sentences to keep: best first within the budget, with the sentence
    before any that points back and the one after a question, and always the best sentence
    of the first passage; with ``lists`` (the question asks for several things), the list a
    chosen sentence leads into."""
    order = sorted(range(len(sentences)), key=lambda i: scores[i], reverse=True)
    chosen: set[int] = set()
    used = 0
    best_first = next((i for i in order if sentences[i].passage == 0), None)
    if best_first is not None:
        order = [best_first] + [i for i in order if i != best_first]
    for rank, i in enumerate(order):
        group = [i]
        s = sentences[i]
        if _POINTS_BACK.match(s.text) and _follows(sentences, i - 1, i):
            group.insert(0, i - 1)
        if s.text.endswith("?") and _follows(sentences, i, i + 1):
            # A question in a passage ("Interested in collaboration with Health Hub
            # Utrecht?") is answered by the sentence after it ("Connect with ...").
            group.append(i + 1)
        cost = sum(sentences[j].words for j in group if j not in chosen)
        if rank > 0 and used + cost > budget_words:
            continue
        chosen.update(group)
        used += cost
        if used >= budget_words:
            break
    # A list brought along to a question for one thing is only more to misread: "Hoeveel
    # studenten ...?" was answered "2" once "We strive for: - ..." came along.
    extra = _bring_lists(sentences, chosen, budget_words // 4) if lists else budget_words // 4
    extra = _continue_lists(sentences, chosen, extra)
    left = _bring_leads(sentences, chosen, extra) if lists else extra
    if left < extra:
        # What is left goes to the bullets under a lead a chosen bullet brought along.
        _bring_lists(sentences, chosen, left)
    return chosen


# A sentence that opens a list ("We strive for: - Life-long health ...", short leads are
# joined to their first item) and a bulleted item ("- Socio-economic equality ...").
_LEAD = re.compile(r":(?:\s+-\s|\s*$)")
_BULLET = re.compile(r"^-\s")


def _bring_lists(sentences: Sequence[Sentence], chosen: set[int], extra_words: int) -> int:
    """Add to ``chosen`` the list a chosen sentence leads into, within ``extra_words`` over
    the budget, and return the words left: the sentence before "We strive for: - Life-long
    health ..." states the mission, and without the list the model answered a "what do they
    strive for" question with the mission. A list opened by a lead brings its bullets; a
    numbered list its first item (the items after it follow, see _continue_lists)."""
    for i in sorted(chosen):
        if _BULLET.match(sentences[i].text) or _item_number(sentences[i].text) is not None:
            continue
        nxt = i + 1 if _follows(sentences, i, i + 1) else None
        if not _LEAD.search(sentences[i].text):
            if nxt is None or not (
                _LEAD.search(sentences[nxt].text) or _item_number(sentences[nxt].text) == 1
            ):
                continue
            if nxt not in chosen and sentences[nxt].words <= extra_words:
                chosen.add(nxt)
                extra_words -= sentences[nxt].words
            i = nxt
        j = i + 1
        while _follows(sentences, j - 1, j) and _BULLET.match(sentences[j].text):
            if j not in chosen:
                if sentences[j].words > extra_words:
                    break
                chosen.add(j)
                extra_words -= sentences[j].words
            j += 1
    return extra_words


def _bring_leads(sentences: Sequence[Sentence], chosen: set[int], extra_words: int) -> int:
    """Add to ``chosen`` the bullets before each chosen bullet back to the sentence that leads
    into them, within ``extra_words``; return the words left ("- Individual-tailored precise
    medical treatment for all" alone was read as all the organisations strive for). Last of
    the list steps: a list already begun (a lead, a numbered item) is completed first."""
    for i in sorted(chosen):
        if not _BULLET.match(sentences[i].text):
            continue
        j = i - 1
        while _follows(sentences, j, j + 1) and j not in chosen:
            if sentences[j].words > extra_words:
                break
            chosen.add(j)
            extra_words -= sentences[j].words
            if not _BULLET.match(sentences[j].text):
                break
            j -= 1
    return extra_words


# A numbered list item's number at the start of a sentence ("2. Integrative approach ...").
_LIST_ITEM = re.compile(r"^(\d{1,2})[.)]\s")


def _continue_lists(sentences: Sequence[Sentence], chosen: set[int], extra_words: int) -> int:
    """Add to ``chosen`` the next item of each numbered list item in it, within
    ``extra_words`` over the budget: "1. A holistic ..." and "2. Integrative ..." without
    "3. Responsible innovation" read as a list of two, and the model made up a third. The
    next item is later in the same passage or opens another (the chunker splits lists)."""
    todo = sorted(chosen)
    while todo:
        j = _next_item(sentences, todo.pop(0))
        if j is None or j in chosen or sentences[j].words > extra_words:
            continue
        chosen.add(j)
        extra_words -= sentences[j].words
        todo.append(j)
    return extra_words


def _next_item(sentences: Sequence[Sentence], i: int) -> int | None:
    """The sentence holding the list item after sentence ``i``'s, if ``i`` is a numbered item:
    later in the same passage, or at the start of another."""
    number = _item_number(sentences[i].text)
    if number is None:
        return None
    at = sentences[i]
    for j, s in enumerate(sentences):
        after = s.position > at.position if s.passage == at.passage else s.position == 0
        if after and _item_number(s.text) == number + 1:
            return j
    return None


def _item_number(text: str) -> int | None:
    item = _LIST_ITEM.match(text)
    return int(item.group(1)) if item else None


# A "when" question is answered by a sentence with a year or a month in it.
DATE = re.compile(rf"{YEAR.pattern}|\b{MONTHS}\b", re.IGNORECASE)


def _key_terms(query: str) -> list[set[str]]:
    """Per content word of the query, its English and Dutch stems, and those of its glossary
    English for a Dutch word ("persvoorlichter" finds "Press relations")."""
    from askconvergence.retrieve import content_terms, glossed, lexical_tokens

    return [
        set(lexical_tokens(f"{term} {glossed(term)}"))
        for term in dict.fromkeys(content_terms(query))
    ]


def key_share(query: str, text: str) -> float:
    """The share of the query's content words (see :func:`_key_terms`) that the text holds;
    0 for a query without content words."""
    from askconvergence.retrieve import lexical_tokens

    keys = _key_terms(query)
    stems = set(lexical_tokens(text))
    return sum(bool(key & stems) for key in keys) / len(keys) if keys else 0.0


def _keyed(heading: str, sentence: str) -> str:
    # The heading tells the embedder what "it" and "they" in a sentence are about.
    return f"{heading}: {sentence}" if heading else sentence


class ExcerptSelector:
    """Shortens passages to their sentences that bear on the query, within ``budget_words``.

    Sentence vectors are kept in memory (least recently used dropped first), so a chunk that
    answers many questions is split and embedded once.
    """

    def __init__(
        self,
        embed_model: BaseEmbedding,
        budget_words: int = 150,
        lexical_weight: float = 2.0,
        rank_weight: float = 1.0,
        neighbour_weight: float = 0.3,
        type_weight: float = 1.0,
        count_weight: float = 2.0,
        quote_weight: float = 2.0,
        cache_size: int = 20_000,
        language_bias: float = 0.035,
        translated_budget: float = 4 / 3,
    ) -> None:
        self.embed_model = embed_model
        self.translated_budget = translated_budget
        self.language_bias = language_bias
        self.budget_words = budget_words
        self.lexical_weight = lexical_weight
        self.rank_weight = rank_weight
        self.neighbour_weight = neighbour_weight
        self.type_weight = type_weight
        self.count_weight = count_weight
        self.quote_weight = quote_weight
        self._cache: OrderedDict[str, list[float]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def _vectors(self, texts: Sequence[str]) -> list[list[float]]:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            fresh = self.embed_model.get_text_embedding_batch(missing)
            with self._lock:
                for text, vector in zip(missing, fresh, strict=True):
                    self._cache[text] = vector
        with self._lock:
            out = []
            for text in texts:
                self._cache.move_to_end(text)
                out.append(self._cache[text])
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return out

    def prepare(
        self,
        passages: Iterable[Passage],
        busy: Callable[[], bool] = lambda: False,
        batch: int = 4,
    ) -> int:
        """Embed the sentences of ``passages`` ahead of any question; returns how many.

        Meant for a background thread once the server is ready: it embeds a few sentences at
        a time and pauses while ``busy()`` says a question is being answered (the embedder
        serves one call at a time, so a small batch keeps a new question's wait short). It
        stops when the vector cache is full, so nothing a question put there is pushed out.
        """
        done = 0
        pending: list[str] = []
        for passage in passages:
            for sentence in split_sentences(passage.text):
                text = _keyed(passage.heading, sentence)
                with self._lock:
                    full = len(self._cache) + len(pending) >= self._cache_size
                    if full or text in self._cache or text in pending:
                        continue  # overlapping chunks repeat sentences
                pending.append(text)
                if len(pending) >= batch:
                    done += self._embed_ahead(pending, busy)
                    pending = []
        return done + (self._embed_ahead(pending, busy) if pending else 0)

    def _embed_ahead(self, texts: list[str], busy: Callable[[], bool]) -> int:
        while busy():
            time.sleep(0.1)
        vectors = self.embed_model.get_text_embedding_batch(texts)
        with self._lock:
            for text, vector in zip(texts, vectors, strict=True):
                self._cache.setdefault(text, vector)
                self._cache.move_to_end(text, last=False)  # the least recently used end
        return len(texts)

    def best_sentence_similarity(
        self, query_embedding: Sequence[float], chunks: Sequence[tuple[str, str]]
    ) -> list[float]:
        """Per (heading, text) chunk: the cosine similarity of its sentence closest to the query.
        The retriever re-ranks by it; the vectors are the ones excerpts are chosen with."""
        import numpy as np

        keyed = [[_keyed(head, s) for s in split_sentences(text)] for head, text in chunks]
        vectors = self._vectors([t for texts in keyed for t in texts])
        q = np.asarray(query_embedding, dtype=np.float64)
        out, at = [], 0
        for texts in keyed:
            block = np.asarray(vectors[at : at + len(texts)], dtype=np.float64)
            at += len(texts)
            if not len(block):
                out.append(0.0)
                continue
            norms = np.linalg.norm(block, axis=1) * float(np.linalg.norm(q))
            sims = np.divide(block @ q, norms, out=np.zeros(len(block)), where=norms > 0)
            out.append(float(sims.max()))
        return out

    def scores(
        self,
        query: str,
        sentences: Sequence[Sentence],
        headings: Sequence[str] = (),
        query_embedding: Sequence[float] | None = None,
    ) -> list[float]:
        """Per sentence: z-scored cosine similarity to the query, plus the share of the query's
        key terms it holds, plus a bonus for the rank of its passage (the retriever saw the
        whole chunk, which a sentence alone does not show), plus a share of the score of its
        best neighbour in the passage (the answer often follows the sentence that names the
        subject: "The 2030 goal of Health Hub Utrecht is ... Equal opportunities for all is
        seen as a basic requirement in achieving this.")."""
        from askconvergence.retrieve import (
            _fold,
            _zscores,
            cosine,
            lexical_tokens,
        )

        q = query_embedding or self.embed_model.get_query_embedding(query)
        texts = [
            _keyed(headings[s.passage] if s.passage < len(headings) else "", s.text)
            for s in sentences
        ]
        cosines = [cosine(q, v) for v in self._vectors(texts)]
        asked_in = _language_of(query)
        if self.language_bias and asked_in != "en":
            # The embedder scores a sentence in the question's own language higher: over our
            # question sets a Dutch question's mean cosine to the Dutch sentences exceeds that
            # to the English ones by 0.018, an English question's falls 0.017 short. So the
            # one Dutch paragraph (Flux Robotics) came into 28 of 122 answers to Dutch
            # questions about something else. English questions are left as they are: the
            # bias favours the passages' own language, which the model reads best.
            cosines = [
                c - self.language_bias if _language_of(s.text) == asked_in else c
                for c, s in zip(cosines, sentences, strict=True)
            ]
        # Key terms weigh by how rare they are among these sentences (BM25's idf): a term in
        # most of them ("Health Hub Utrecht" when every passage is about it) says little
        # about which sentence answers, a rare one ("requirement") much.
        # A Dutch word counts as found by its English words too ("persvoorlichter" finds
        # "Press relations"), as the keyword index finds it (see retrieve.glossed).
        keys = _key_terms(query)
        stems = [set(lexical_tokens(s.text)) for s in sentences]
        n = len(sentences)
        weights = []
        for key in keys:
            df = sum(bool(key & st) for st in stems)
            weights.append(math.log(1 + (n - df + 0.5) / (df + 0.5)))
        total = sum(weights) or 1.0
        shares = [
            sum(w for k, w in zip(keys, weights, strict=True) if k & st) / total for st in stems
        ]
        dated = self.type_weight if ASKS_WHEN.search(query) else 0.0
        # The sentence that counts what the question counts seldom names the subject ("The
        # growing network organization currently consists of over 30 partners"), so the
        # subject's other sentences outscore it without this bonus.
        counts = counting(query)
        # A phrase the question quotes is the documents' own wording: "Instead of the 'to cure
        # or die' model, what kind of care ...?" is answered by the one sentence that says
        # "from “to cure or die” to chronic disease and lifestyle management", which the
        # embedder ranked fifth (and "die" is a Dutch stop word, so no key term found it).
        quotes = quoted_phrases(query)
        own = [
            z
            + self.lexical_weight * share
            + self.rank_weight / (s.passage + 1)
            + (dated if dated and DATE.search(s.text) else 0.0)
            + (self.count_weight if counts and counts.search(_fold(s.text)) else 0.0)
            + (self.quote_weight if quotes and _holds_phrase(s.text, quotes) else 0.0)
            for z, share, s in zip(_zscores(cosines), shares, sentences, strict=True)
        ]
        at = {(s.passage, s.position): i for i, s in enumerate(sentences)}
        out = []
        for i, s in enumerate(sentences):
            near = [
                own[at[key]]
                for key in ((s.passage, s.position - 1), (s.passage, s.position + 1))
                if key in at
            ]
            out.append(own[i] + self.neighbour_weight * max(near) if near else own[i])
        return out

    def best_sentence(
        self,
        query: str,
        passages: Sequence[Passage],
        query_embedding: Sequence[float] | None = None,
    ) -> tuple[Passage, str] | None:
        """The passages' sentence that excerpts would put first, and its passage."""
        sentences = unique_sentences(passages)
        if not sentences:
            return None
        scores = self.scores(query, sentences, [p.heading for p in passages], query_embedding)
        best = sentences[max(range(len(sentences)), key=scores.__getitem__)]
        return passages[best.passage], best.text

    def select(
        self,
        query: str,
        passages: Sequence[Passage],
        query_embedding: Sequence[float] | None = None,
        budget_words: int | None = None,
    ) -> list[Passage]:
        """The passages as the model should see them: only chosen sentences, numbers unchanged;
        passages left with no sentence are dropped. Short inputs are returned whole.
        ``query_embedding`` saves embedding the query again when the retriever already did;
        ``budget_words`` replaces the selector's own budget for this call."""
        budget = self.budget_words if budget_words is None else budget_words
        if budget_words is None and _language_of(query) != "en":
            # A question in another language than the passages' meets their sentences less
            # surely (a Dutch question's facts kept at 150 words: 0.907, an English one's
            # 0.958), so it gets more of them (eval/excerpt_recall.py).
            budget = round(budget * self.translated_budget)
        total = sum(len(p.text.split()) for p in passages)
        if budget <= 0 or total <= budget:
            return list(passages)
        sentences = unique_sentences(passages)
        scores = self.scores(query, sentences, [p.heading for p in passages], query_embedding)
        lists = asks_for_several(query)
        chosen = choose_sentences(sentences, scores, budget, lists=lists)
        out = []
        for pi, passage in enumerate(passages):
            kept = [s for i, s in enumerate(sentences) if s.passage == pi and i in chosen]
            if not kept:
                continue
            text = kept[0].text
            for before, s in zip(kept, kept[1:], strict=False):
                # A sentence that opens a line keeps it: run on, "... Jelle van der Weijde,
                # Ideas for health tech co-operation between Finland ...? - Connect with ...,
                # Miina Ojanperä," was read as naming Jelle van der Weijde for Finland.
                gap = " " if s.position == before.position + 1 else " ... "
                if _opens_line(passage.text, s.text):
                    gap = "\n" if gap == " " else "\n... "
                text += gap + s.text
            out.append(replace(passage, text=text))
        log.debug("Excerpts: %d of %d words", sum(len(p.text.split()) for p in out), total)
        return out
