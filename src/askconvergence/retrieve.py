"""Finding the passages that answer a query: dense (Chroma) and BM25 scores, fused."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import cache
from itertools import zip_longest
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle

from askconvergence.answer.citations import asks_for_several
from askconvergence.answer.types import Passage, heading_of
from askconvergence.index import PassageIndex
from askconvergence.settings import Settings

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.schema import BaseNode

__all__ = [
    "HybridRetriever",
    "LexicalIndex",
    "SentenceScorer",
    "content_terms",
    "cosine",
    "decline_score",
    "glossed",
    "lexical_tokens",
    "make_retriever",
    "question_parts",
    "to_passages",
]

log = logging.getLogger(__name__)

_WORD = re.compile(r"\w+", re.UNICODE)
# Question words carry no content; they are stop words for the key-term check.
_QUESTION_WORDS = {
    "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "many", "much",
    "wat", "welk", "welke", "wie", "wanneer", "waar", "waarom", "hoe", "hoeveel", "tell",
    "name", "noem", "give", "according", "volgens", "also", "ook",
}  # fmt: skip


# Dutch words of questions that share no stem or first letters with the English a passage
# uses for them, by those English words. The embedder bridges the two languages for most
# questions; the keyword index, which finds rare words such as "Press relations (available
# Mon, Tue, Thu)", needs the words themselves: "Op welke dagen is de persvoorlichter
# bereikbaar?" found that line only through these. A glossary of how questions ask, not of
# what the documents answer.
_GLOSSARY = {
    "persvoorlichter": "press relations", "persvoorlichting": "press relations",
    "perscontact": "press contact relations", "woordvoerder": "spokesperson press",
    "bereikbaar": "available reachable", "beschikbaar": "available",
    "contactpersoon": "contact person", "aanspreekpunt": "contact point",
    "dag": "day", "dagen": "days",
    "oprichter": "founder", "opgericht": "founded established", "hoogleraar": "professor",
    "ziekenhuis": "hospital", "ziekenhuizen": "hospitals", "bedrijf": "company",
    "bedrijven": "companies", "onderzoek": "research", "onderzoekers": "researchers",
    "doel": "goal aim", "doelen": "goals aims", "tekort": "shortage", "kosten": "costs",
    "gemeenten": "municipalities", "opleiding": "programme degree",
    "opleidingen": "programmes degrees", "gevestigd": "based located",
    "medewerkers": "employees staff", "personeel": "staff personnel", "ambassade": "embassy",
    "uitdagingen": "challenges", "vergrijzing": "ageing", "wereld": "world",
    "advies": "advice", "voorwaarde": "requirement condition",
    "basisvoorwaarde": "basic requirement", "kansen": "opportunities chances",
    "gelijke": "equal", "missie": "mission", "streven": "strive aim",
    "ziekte": "disease illness", "ziekten": "diseases",
    "aandoening": "condition", "aandoeningen": "conditions", "bevolking": "population",
    "beroepsbevolking": "working population", "bezocht": "visited", "bezoek": "visit",
    "uitgenodigd": "invited", "wetenschappers": "scientists", "opgeleverd": "yielded results",
    "gevaar": "threaten risk danger", "bedreigd": "threatened threaten",
    "verantwoord": "responsible", "verantwoorde": "responsible", "principe": "principle",
    "principes": "principles", "convergentie": "convergence", "zorgstelsel": "healthcare system",
    "ontwerpen": "design", "leven": "life", "levenslang": "lifelong life-long",
    "vandaan": "from based", "kunstmatige": "artificial", "alvleesklier": "pancreas",
}  # fmt: skip


def glossed(text: str) -> str:
    """The English words of the Dutch words of ``text`` that the glossary holds ("" for none)."""
    return " ".join(_GLOSSARY[w] for w in _WORD.findall(_fold(text)) if w in _GLOSSARY)


def _fold(text: str) -> str:
    """Lower case without accents, so "patiënten" and "patienten" are one word."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def _stop_words() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_DUTCH, STOPWORDS_EN

    return frozenset(_fold(w) for w in (*STOPWORDS_EN, *STOPWORDS_DUTCH))


@cache
def _stemmers() -> tuple[Any, Any]:
    import Stemmer

    return Stemmer.Stemmer("english"), Stemmer.Stemmer("dutch")


def lexical_tokens(text: str) -> list[str]:
    """BM25 terms of a text: English and Dutch stems of every word that is not a stop word.

    Both stems are kept (once when they agree) so English and Dutch text and queries meet
    without knowing the language of either.
    """
    english, dutch = _stemmers()
    stop = _stop_words()
    terms: list[str] = []
    for word in _WORD.findall(_fold(text)):
        if word in stop:
            continue
        en, nl = english.stemWord(word), dutch.stemWord(word)
        terms.append(en)
        if nl != en:
            terms.append(nl)
    return terms


def content_terms(text: str) -> list[str]:
    """The content words of a question (no stop or question words), folded, in order."""
    stop = _stop_words()
    words = (_fold(w) for w in _WORD.findall(text))
    return [w for w in words if w not in stop and w not in _QUESTION_WORDS and len(w) > 1]


class LexicalIndex:
    """BM25 over a fixed list of nodes (title and text of each)."""

    def __init__(self, nodes: Sequence[BaseNode]) -> None:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG
        self.nodes = list(nodes)
        self._bm25 = bm25s.BM25()
        corpus = [lexical_tokens(_node_text(n)) for n in self.nodes]
        # bm25s cannot index an empty corpus or empty documents.
        self._bm25.index([terms or ["\x00"] for terms in corpus] or [["\x00"]], show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every node for the query (0 when no term matches), in node order."""
        vocab = self._bm25.vocab_dict
        terms = [t for t in lexical_tokens(f"{query} {glossed(query)}") if t in vocab]
        if not terms or not self.nodes:
            return np.zeros(len(self.nodes), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)

    def best(self, scores: np.ndarray, n: int) -> list[int]:
        """Positions of the ``n`` best-scoring nodes that match at all, best first.

        A partial sort in numpy: sorting 100,000 scores in Python cost more than the rest of
        the query together.
        """
        n = min(n, int(np.count_nonzero(scores > 0)))
        if n <= 0:
            return []
        top = np.argpartition(-scores, n - 1)[:n]
        return [int(i) for i in top[np.argsort(-scores[top], kind="stable")]]


# A chunk that ends on a list's number, an item or a line opening a list ("We strive for:").
_ENDS_IN_LIST = re.compile(r"(?m)(^[ \t]*(\d+[.)]|[-•*·])([ \t].*)?|:[ \t]*)\Z")
# How many following chunks may finish a list (a chunk holds about two of its items).
_MAX_CONTINUATIONS = 2


def _following_chunks(nodes: Sequence[BaseNode]) -> dict[str, BaseNode]:
    """Each chunk's next chunk of the same document, by where they start in it."""
    by_doc: dict[str, list[BaseNode]] = {}
    for node in nodes:
        if node.start_char_idx is not None:  # type: ignore[attr-defined]
            by_doc.setdefault(str(node.metadata.get("doc_id", node.ref_doc_id)), []).append(node)
    following = {}
    for chunks in by_doc.values():
        chunks.sort(key=lambda n: n.start_char_idx)  # type: ignore[attr-defined]
        following.update({a.node_id: b for a, b in zip(chunks, chunks[1:], strict=False)})
    return following


def _joined(text: str, after: str) -> str:
    """Two neighbouring chunks as one text, the words they share (their overlap) once. The
    overlap is whole words: "... the" and "empty ..." share no "e"."""
    text = text.rstrip()
    for size in range(min(len(text), len(after)), 0, -1):
        starts_word = size == len(text) or text[-size - 1].isspace()
        ends_word = size == len(after) or after[size].isspace()
        if starts_word and ends_word and text.endswith(after[:size]):
            return text + after[size:]
    return f"{text}\n\n{after}"


def _node_text(node: BaseNode) -> str:
    heads = [str(node.metadata.get(k) or "") for k in ("title", "section")]
    return "\n".join([*(h for h in heads if h), node.get_content()])


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors (0 when either is all zeros)."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    norms = float(np.linalg.norm(x) * np.linalg.norm(y))
    return float(x @ y) / norms if norms else 0.0


# Where a question asks a second thing: ", and who ...", " en wat ...", ", and on which days
# ...", " en op welke dagen ...", or a second sentence.
_SECOND_PART = re.compile(
    r"(?:[,;:]\s*|\s+)(?:and|en)\s+(?=(?:(?:on|in|at|for|from|to|with|op|bij|voor|van|met|"
    r"naar|tot|uit|aan|over|door|about|of|by)\s+)?(?:who|whom|what|which|when|where|how|why|wie|wat|welke?|"
    r"wanneer|waar|hoe|waarom|hoeveel)\b)|\?\s+(?=\S)|"
    # "Why is it considered at risk - which three qualities are under threat?"
    r"\s+[-–—]\s+(?=(?:who|what|which|when|where|how|why|wie|wat|welke?|wanneer|waar|hoe|"
    r"waarom|hoeveel)\b)",
    re.IGNORECASE,
)


# Two names a question asks the same of ("Health Hub Utrecht and the Convergence mission both
# mention equality", "zowel Convergence Health & Technology als Health Hub Utrecht"): each
# name may be followed by one plain word ("the MedTech article and the ... article").
_NAME = r"[A-ZÀ-Ý][\w'’-]*(?:\s+(?:&\s+)?[A-ZÀ-Ý][\w'’-]*)*"
_TWO_NAMES = re.compile(
    rf"(?P<a>{_NAME})(?:\s+[a-z]\w*)?\s+(?:and|en|als)\s+(?:(?:the|de|het|to)\s+)?(?P<b>{_NAME})"
)
_EACH = re.compile(r"\b(both|each|zowel|beide|allebei|elk|elke|ieder)\b", re.IGNORECASE)
_OPENING = re.compile(r"^(?:zowel|both|beide|which|what|how|welke|hoe|wat|wie|who)\s+", re.I)


# A name that at least this share of the chunks hold says little about which one answers.
_COMMON_SHARE = 0.2


def _common_names(nodes: Sequence[BaseNode]) -> frozenset[str]:
    """The names (capitalised runs, not stop words) that ``_COMMON_SHARE`` of the chunks, and
    at least two, hold."""
    counts: Counter[str] = Counter()
    for node in nodes:
        counts.update(set(re.findall(_NAME, node.get_content())))
    least = max(2, _COMMON_SHARE * len(nodes))
    stop = _stop_words()
    return frozenset(n for n, c in counts.items() if c >= least and _fold(n) not in stop)


# A name as the chunks write it: capitalised words, joined by "&" or Dutch name particles
# ("Health & High Tech Region Nijmegen", "Jelle van der Weijde").
_WRITTEN_NAME = re.compile(
    r"[A-ZÀ-Ý][\w'’-]*(?:[ \t]+(?:&[ \t]+|(?:van|de|der|den|ter)[ \t]+)*[A-ZÀ-Ý][\w'’-]*)*"
)
# Where a sentence, a line or a quotation opens: a capital there says nothing of a name.
_OPENS = re.compile(r"(?:^|[.!?:;•·\n“\"‘(]|\d\.)[ \t]*$")


def _cased_names(nodes: Sequence[BaseNode]) -> dict[str, str]:
    """The chunks' names by their lower-case form: runs of two words or more ("health valley
    event": "Health Valley Event"), and single words the chunks never write in lower case
    ("utrecht", "lumc"); words that open sentences ("The", "Health") are written lower case
    elsewhere, and are left out."""
    texts = [node.get_content() for node in nodes]
    lower = {w for text in texts for w in re.findall(r"\b[a-zà-ÿ][\w'’-]*", text)}
    stop = _stop_words()
    openers = stop | {"ook"}
    names: dict[str, str] = {}
    for text in texts:
        for m in _WRITTEN_NAME.finditer(text):
            name, opens = m.group(0), bool(_OPENS.search(text[: m.start()]))
            words = name.split()
            if len(words) > 1 and opens and _fold(words[0]) in openers:
                name, words = " ".join(words[1:]), words[1:]  # "The Noviotech Campus"
            if len(words) == 1 and (
                (opens and not re.search(r".[A-Z]", name))  # "What", "Involve"; not "DORA"
                or name.lower() in lower
                or _fold(name) in stop
            ):
                continue
            names.setdefault(name.lower(), name)
    return {k: v for k, v in names.items() if len(k) > 2}


def _names_pattern(names: dict[str, str]) -> re.Pattern[str]:
    """One pattern for every lower-case name, the longest first, as whole words."""
    alternatives = "|".join(re.escape(k) for k in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


def truecased(query: str, names: dict[str, str], pattern: re.Pattern[str] | None = None) -> str:
    """A question typed in lower case with the names the chunks write capitalised put back
    ("where was the 2023 health valley event held?": "... Health Valley Event ..."), so the
    checks that read names find them; a question with capitals of its own is left as typed.
    ``pattern`` is :func:`_names_pattern` of the names, when already built."""
    if any(c.isupper() for c in query[1:]) or not names:
        return query
    return (pattern or _names_pattern(names)).sub(lambda m: names[m.group(0)], query)


# A part that opens as a question: "who is the scientific director ...", "wat is ...".
_QUESTION_WORD = re.compile(
    r"(?:who|whom|what|which|where|when|why|how|wie|wat|welke?|waar|wanneer|waarom|hoe)\b",
    re.IGNORECASE,
)


def question_parts(query: str) -> list[str]:
    """The parts of a question that asks two things or more (each of three words or more),
    or the same of two names (the question once without each name); [] for a question that
    asks one thing of one."""
    parts = [p.strip() for p in _SECOND_PART.split(query) if len(p.split()) >= 3]
    if len(parts) > 1:
        # A lead-in ("I want to contact people in both the Twente and Utrecht health
        # ecosystems: who is ...") is context for every part, and drowns the first in it.
        _, colon, first = parts[0].partition(": ")
        if colon and len(first.split()) >= 3 and _QUESTION_WORD.match(first):
            parts[0] = first
        return parts
    pair = _TWO_NAMES.search(query) if _EACH.search(query) else None
    if pair is None:
        return []
    a, b = _OPENING.sub("", pair.group("a")), pair.group("b")
    if not a or a == b:
        return []
    return [" ".join(query.replace(name, " ").split()) for name in (b, a)]


def _zscores(values: Sequence[float]) -> list[float]:
    n = len(values)
    if n == 0:
        return []
    mean = sum(values) / n
    std = (sum((v - mean) ** 2 for v in values) / n) ** 0.5
    return [0.0 if std == 0 else (v - mean) / std for v in values]


class SentenceScorer(Protocol):
    """Scores chunks by their sentence closest to a query (see :class:`ExcerptSelector`)."""

    def best_sentence_similarity(
        self, query_embedding: Sequence[float], chunks: Sequence[tuple[str, str]]
    ) -> list[float]:
        """Per (heading, text) chunk: the highest cosine similarity of one of its sentences."""
        ...


class HybridRetriever(BaseRetriever):
    """Dense search in the Chroma collection and BM25 over the same chunks, fused by z-scores.

    Each list of scores is standardised over the candidates and the two are added (weighted).
    This beat reciprocal-rank fusion on our question sets: ranks throw away how far ahead the
    best passage is. The BM25 side is built from the same generation's nodes, so it always
    matches the dense side.

    A returned node's ``score`` is its dense cosine similarity (what the decline gate reads);
    the order is the fused one.
    """

    def __init__(
        self,
        index: PassageIndex,
        embed_model: BaseEmbedding,
        top_k: int = 4,
        candidates: int = 20,
        lexical_weight: float = 1.0,
        sentences: SentenceScorer | None = None,
        rerank_depth: int = 12,
        sentence_weight: float = 1.0,
        split_parts: bool = True,
    ) -> None:
        super().__init__()
        self.split_parts = split_parts
        self.index = index
        self.embed_model = embed_model
        self.top_k = top_k
        self.candidates = candidates
        self.lexical_weight = lexical_weight
        self.sentences = sentences
        self.rerank_depth = rerank_depth
        self.sentence_weight = sentence_weight
        self._lock = threading.Lock()
        self._lexical: LexicalIndex | None = None
        self._position: dict[str, int] = {}
        self._next: dict[str, BaseNode] = {}
        self._common: frozenset[str] = frozenset()  # names a fifth of the chunks hold
        self._names: dict[str, str] = {}  # the chunks' names by their lower-case form
        self._names_pattern: re.Pattern[str] | None = None  # built once with them

    def lexical(self) -> LexicalIndex:
        """The BM25 index over this generation's chunks, built on first use.

        A published generation never changes (an update writes the next one, and
        :class:`~askconvergence.index.live.LiveRetriever` makes a new retriever for it), so
        one build serves every query.
        """
        with self._lock:
            if self._lexical is None:
                nodes = self.index.nodes()
                self._lexical = LexicalIndex(nodes)
                self._position = {n.node_id: i for i, n in enumerate(nodes)}
                self._next = _following_chunks(nodes)
                self._common = _common_names(nodes)
                self._names = _cased_names(nodes)
                self._names_pattern = _names_pattern(self._names) if self._names else None
                log.info("BM25 index built over %d chunks", len(nodes))
            return self._lexical

    def truecased(self, query: str) -> str:
        """The query with the names it typed in lower case capitalised (see :func:`truecased`)."""
        self.lexical()  # collects the names
        return truecased(query, self._names, self._names_pattern)

    def warm(self) -> None:
        """Build the keyword index and embed one query now, so the first question is fast."""
        self.lexical()
        self.embed_model.get_query_embedding("warm up")

    def _dense(self, embedding: list[float], ids: Sequence[str]) -> dict[str, float]:
        """Cosine similarity of the query to the named chunks (exact, from stored vectors)."""
        if not ids:
            return {}
        got = self.index.collection.get(ids=list(ids), include=["embeddings"])
        vectors = np.asarray(got["embeddings"], dtype=np.float32)
        query = np.asarray(embedding, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1) * float(np.linalg.norm(query))
        sims = np.divide(vectors @ query, norms, out=np.zeros(len(vectors)), where=norms > 0)
        return dict(zip(got["ids"], (float(x) for x in sims), strict=True))

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        query = query_bundle.query_str
        if query_bundle.embedding is None:
            # Kept on the bundle, so the caller can reuse it (the excerpt selector does).
            query_bundle.embedding = self.embed_model.get_query_embedding(query)
        best, dense = self._ranked(query, query_bundle.embedding)
        parts = question_parts(query) if self.split_parts else []
        if parts:
            # A question in two parts ("who is the scientific director of the TechMed Centre,
            # and who is Director Health at Economic Board Utrecht?") is searched for whole
            # and part by part; the passages are taken in turn from each list, so every part
            # has its best passage even when the other part's passages outscore it.
            lists = [best]
            for part in parts:
                ranked, more = self._ranked(part, self.embed_model.get_query_embedding(part))
                lists.append(ranked)
                for i, score in more.items():
                    dense.setdefault(i, score)
            best = list(dict.fromkeys(i for row in zip_longest(*lists) for i in row if i))
        return self._with_list_ends(best, dense, whole_lists=asks_for_several(query))

    def _with_list_ends(
        self, ranked: list[str], dense: dict[str, float], whole_lists: bool
    ) -> list[NodeWithScore]:
        """The best ``top_k`` chunks. With ``whole_lists`` (the question asks for several
        things), one that breaks off inside a list ("... built on three key defining
        principles. 1.") is given with the rest of the list from the chunks after it, which
        then take no place of their own: a list cut in two answers "what are the three
        principles" with one, and the lead and its items read best as one passage. A question
        for one thing is not given the list ("How does Convergence define 'convergence'?" was
        answered with the first principle)."""
        lexical = self.lexical()
        taken: set[str] = set()
        out: list[NodeWithScore] = []
        for chunk_id in ranked:
            if len(out) == self.top_k:
                break
            if chunk_id in taken:
                continue
            taken.add(chunk_id)
            node = lexical.nodes[self._position[chunk_id]]
            if whole_lists:
                text = self._rest_of_list(chunk_id, node.get_content(), taken)
                if text != node.get_content():
                    node = node.model_copy(update={"text": text})
            out.append(NodeWithScore(node=node, score=float(dense[chunk_id])))
        return out

    def _rest_of_list(self, chunk_id: str, text: str, taken: set[str]) -> str:
        """The chunk's ``text`` with the rest of a list it breaks off inside, from up to
        ``_MAX_CONTINUATIONS`` chunks after it that are not ``taken`` (they are, after)."""
        following = self._next.get(chunk_id)
        for _ in range(_MAX_CONTINUATIONS):
            if following is None or following.node_id in taken or not _ENDS_IN_LIST.search(text):
                break
            text = _joined(text, following.get_content())
            taken.add(following.node_id)
            following = self._next.get(following.node_id)
        return text

    def _ranked(self, query: str, embedding: list[float]) -> tuple[list[str], dict[str, float]]:
        """The candidate chunk ids for a query, best first, and their dense similarities."""
        from llama_index.core.vector_stores.types import VectorStoreQuery

        lexical = self.lexical()
        found = self.index.vector_store().query(
            VectorStoreQuery(query_embedding=embedding, similarity_top_k=self.candidates)
        )
        bm25 = lexical.scores(query)
        lexical_ids = [lexical.nodes[i].node_id for i in lexical.best(bm25, self.candidates)]
        # Every candidate's cosine is computed from its stored vector: the store reports
        # exp(cosine - 1) for its own hits, and a keyword hit scored on the one scale against
        # the dense hits on the other lost about one standard deviation of the z-scores.
        dense = self._dense(embedding, list(dict.fromkeys([*(found.ids or []), *lexical_ids])))

        ids = [i for i in dense if i in self._position]
        z_dense = _zscores([dense[i] for i in ids])
        z_lex = _zscores([float(bm25[self._position[i]]) for i in ids])
        fused = {
            i: zd + self.lexical_weight * zl for i, zd, zl in zip(ids, z_dense, z_lex, strict=True)
        }
        best = sorted(ids, key=lambda i: fused[i], reverse=True)
        if self.sentences is not None and self.rerank_depth > self.top_k:
            # "What are the core principles behind the convergence approach of TU Delft,
            # Erasmus MC and EUR?": the institutions' names, which a fifth of the chunks
            # hold, draw the best sentences to every passage naming them, and the principles
            # ranked fifth. Without them the sentence that answers ranks first.
            plain = self._without_common_names(query)
            if plain != query:
                embedding = self.embed_model.get_query_embedding(plain)
            best = self._by_best_sentence(embedding, best[: self.rerank_depth], fused)
        return best, dense

    def _without_common_names(self, query: str) -> str:
        """The query without the names that a fifth of the chunks or more hold, when it
        names two of them or more (the partners of a collaboration, the corpus's own subject);
        else the query. A question naming one ("Met welk ander universitair medisch centrum
        werkt Erasmus MC al intensief samen?") asks about it, and keeps it."""
        self.lexical()  # counts the names
        names = {n for n in re.findall(_NAME, query) if n in self._common}
        if len(names) < 2:
            return query
        for name in names:
            query = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", query)
        return " ".join(query.split())

    def _by_best_sentence(
        self, embedding: Sequence[float], ids: list[str], fused: dict[str, float]
    ) -> list[str]:
        """Re-rank the best fused candidates by adding how close their best sentence is to the
        query: a chunk whose one sentence answers ("Convergence: the process of integrating
        knowledge, expertise and methodologies") is otherwise diluted by the rest of it."""
        assert self.sentences is not None
        lexical = self.lexical()
        nodes = [lexical.nodes[self._position[i]] for i in ids]
        best = self.sentences.best_sentence_similarity(
            embedding, [(_heading(n.metadata), n.get_content()) for n in nodes]
        )
        z_fused = _zscores([fused[i] for i in ids])
        z_best = _zscores(best)
        score = {
            i: zf + self.sentence_weight * zb
            for i, zf, zb in zip(ids, z_fused, z_best, strict=True)
        }
        return sorted(ids, key=lambda i: score[i], reverse=True)


# Best cosine similarity below which a question is taken as off-topic, per embedder. Measured on
# our question sets (eval/*.jsonl) as exp(cosine - 1), the store's score: multilingual-e5-small
# scores every text 0.75-0.95; every set question's best passage scores >= 0.80, but a short
# Dutch follow-up rewrite ("Wie heeft DORA ontwikkeld?") 0.798, and off-topic questions
# 0.78-0.83 ("capital of France" 0.779). So the gate, 0.78 on that scale, is 1 + ln(0.78) =
# 0.752 as a cosine: it only turns away the far-off ones; the model declines the rest. MiniLM
# spreads wider.
_DECLINE_SCORES = {"multilingual-e5-small": 0.752}
_DEFAULT_DECLINE_SCORE = 0.30


def decline_score(settings: Settings) -> float:
    """The retrieval gate: ``retrieval.min_score`` or the embedder's measured default."""
    if settings.retrieval.min_score is not None:
        return settings.retrieval.min_score
    return _DECLINE_SCORES.get(settings.embed.model, _DEFAULT_DECLINE_SCORE)


def make_retriever(
    index: PassageIndex,
    embed_model: BaseEmbedding,
    settings: Settings,
    top_k: int | None = None,
    sentences: SentenceScorer | None = None,
) -> HybridRetriever:
    """The hybrid (dense + BM25) retriever configured by ``settings.retrieval``; with
    ``sentences`` its best candidates are re-ranked by their best sentence."""
    cfg = settings.retrieval
    return HybridRetriever(
        index,
        embed_model,
        top_k=top_k or cfg.top_k,
        candidates=cfg.candidates,
        lexical_weight=cfg.lexical_weight,
        sentences=sentences,
        rerank_depth=cfg.rerank_depth,
        sentence_weight=cfg.sentence_weight,
    )


def _heading(meta: dict[str, Any]) -> str:
    """A chunk's title and section, as its sentences are embedded (see ``heading_of``)."""
    return heading_of(str(meta.get("title", "")), str(meta.get("section", "")))


def to_passages(results: list[NodeWithScore]) -> list[Passage]:
    """Number retrieved nodes 1..k as passages."""
    passages = []
    for i, res in enumerate(results, start=1):
        meta: dict[str, Any] = res.node.metadata
        passages.append(
            Passage(
                n=i,
                doc_id=str(meta.get("doc_id", res.node.ref_doc_id or "")),
                title=str(meta.get("title", "")),
                text=res.node.get_content(),
                score=float(res.score or 0.0),
                source=str(meta.get("source", "")),
                chunk_id=res.node.node_id,
                section=str(meta.get("section", "")),
            )
        )
    return passages
