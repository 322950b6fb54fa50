"""The one engine every edge (CLI, HTTP API, Gradio chat, widget) calls to answer a question."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from askconvergence.answer.citations import (
    ASKS_WHEN,
    ENDS_SENTENCE,
    announces,
    check_citations,
    cited_numbers,
    complete_list,
    dangles,
    dangling,
    days_as_counts,
    echoes_question,
    fractions_as_written,
    from_titles,
    gives_another_item,
    invented_items,
    invented_names,
    invented_numbers,
    list_after_lead,
    lost_names,
    miscounted,
    misnamed_maker,
    misplaced_numbers,
    misses_address,
    misses_base,
    misses_day,
    misses_named_kind,
    misses_person_role,
    misses_quantity,
    misses_role_place,
    misses_share,
    misses_time,
    names_no_city,
    names_nobody,
    numbered_item,
    of_another_kind,
    qualified_as_written,
    repeats_itself,
    rest_of_numbered,
    rest_of_quotation,
    restated_items,
    share_as_count,
    split_answer,
    stated_share,
    unanchored_amounts,
    unanchored_people,
    unanchored_years,
    undated_events,
    unheld_founding,
    unheld_role,
    unpriced,
    without_list,
    without_sentences,
)
from askconvergence.answer.compare import compared_names, quote_sides, sides, with_sides
from askconvergence.answer.excerpts import ExcerptSelector
from askconvergence.answer.extractive import (
    extract_answer,
    misses_role_holder,
    quote_answer,
    quote_based,
    quote_byline,
    quote_dated,
    quote_following,
    quote_item,
    quote_maker,
    quote_person_role,
    quote_reply,
    quote_role,
    quote_role_holder,
    quote_share,
    quote_yes_no,
    with_verdict,
    yes_no_question,
)
from askconvergence.answer.followup import Turn, standalone_question
from askconvergence.answer.language import detect_language, foreign_letters, written_in_english
from askconvergence.answer.members import membership, membership_answer
from askconvergence.answer.prompts import (
    DECLINE_STARTS,
    DECLINE_TOKEN,
    ENGLISH_PROMPT,
    SYSTEM_PROMPT,
    TRANSLATE_PROMPT,
    VERIFY_PROMPT,
    decline_message,
    user_prompt,
)
from askconvergence.answer.queue import GenerationQueue
from askconvergence.answer.types import Answer, Passage
from askconvergence.retrieve import question_parts
from askconvergence.settings import Settings

if TYPE_CHECKING:
    from llama_index.core.llms import LLM
    from llama_index.core.retrievers import BaseRetriever
    from llama_index.core.schema import QueryBundle

__all__ = ["Engine", "Event", "Turn", "reads_as_decline"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """A step of a streamed answer: ``citations`` (passages), ``queued`` (place in line, 1 = next),
    ``token`` (text) or ``done`` (an Answer)."""

    kind: Literal["citations", "queued", "token", "done"]
    data: Any


# Answers that decline in words instead of with the decline token.
_DECLINE_WORDS = re.compile(
    r"(passages|documents|sources|context|text)\s+(do(es)?\s+not|don't|doesn't)\s+"
    r"(contain|mention|say|state|provide|include|answer|specify|give)|"
    r"no (information|mention)|not (mentioned|stated|specified|provided)|"
    r"(staat|staan|wordt|worden) niet (in|vermeld|genoemd)|geen informatie|niet vermeld|"
    r"niet (in de (documenten|passages|tekst)|gevonden|genoemd)|"
    r"\b(is|are|zijn|wordt|worden) (not|niet) (known|bekend)\b|"
    # "Er zijn geen kosten voor ... in de gegeven passages [1]." (q121)
    r"\b(geen|no)\b[^.]{0,80}\bin (de|the) (gegeven |given |provided |verstrekte )?"
    r"(documenten|documents|passages|tekst|text|bronnen|sources|context)\b",
    re.IGNORECASE,
)


# A small model sometimes loops on citation markers ("1/1 [1] [1] [1] [1] ..." until the token
# limit): four in a row end the answer, keeping one.
_RUNAWAY = re.compile(r"(\[\d+(?:\s*,\s*\d+)*\])(?:\s*\[\d+(?:\s*,\s*\d+)*\]){3,}\s*$")


def _trim_runaway(text: str) -> str | None:
    """The text cut after the first marker of a run of repeated ones; None when it has none."""
    looping = _RUNAWAY.search(text)
    return text[: looping.start()] + looping.group(1) if looping else None


def _without_claims(raw: str, values: set[str]) -> str:
    """The answer without its sentences stating any of ``values`` ("" when that leaves all
    of it or none)."""
    claims = split_answer(raw)
    kept = [c for c in claims if not any(v.casefold() in c.casefold() for v in values)]
    return " ".join(kept) if 0 < len(kept) < len(claims) else ""


def _without_broken(raw: str, broken: list[str]) -> str:
    """The answer without the sentences that break off, its lines kept as they are ("" when
    nothing else is left)."""
    kept = raw
    for sentence in broken:
        kept = kept.replace(sentence, "")
    kept = re.sub(r"[ \t]*\n\s*\n", "\n", kept).strip()
    return kept if re.sub(r"\[\d+\]", "", kept).strip() else ""


# What a question asks for that an answer must hold, with the objection when it holds none.
_ASKED_KINDS = (
    (misses_quantity, "the question asks for an amount and the answer has none"),
    (misses_share, "the question asks for a share and the answer gives none"),
    (misses_address, "the question asks for an address or number and the answer has none"),
    (misses_day, "the question asks for days and the answer names none"),
    (misses_time, "the question asks when and the answer gives no time"),
    (
        misses_named_kind,
        "the question asks which university, centre, campus or school and the answer names none",
    ),
)


def _missing_kind(raw: str, question: str) -> str:
    """The objection to an answer that holds none of the kind of thing asked for ("" when
    it holds it, or the question asks for no such thing)."""
    return next((said for misses, said in _ASKED_KINDS if misses(raw, question)), "")


def _foreign(raw: str, given: list[Passage], question: str) -> set[str]:
    """Letters of another script in an answer that neither the question nor its passages have."""
    return foreign_letters(raw, [question, *(p.text for p in given)])


def _numbered_after(passages: list[Passage], more: Sequence[Passage]) -> list[Passage]:
    """The passages, then those of ``more`` not among them (by chunk), numbered on."""
    out = list(passages)
    for passage in more:
        if all(p.chunk_id != passage.chunk_id for p in out):
            out.append(replace(passage, n=len(out) + 1))
    return out


def reads_as_decline(text: str) -> bool:
    """Whether an answer says the passages do not answer (in English or Dutch)."""
    return DECLINE_TOKEN in text or bool(_DECLINE_WORDS.search(text))


class Engine:
    """Retrieves passages and writes a cited answer with the configured backend."""

    def __init__(
        self,
        settings: Settings,
        retriever: BaseRetriever,
        llm: LLM | None,
        excerpts: ExcerptSelector | None = None,
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.llm = llm
        # Without a selector the model gets the passages whole.
        self.excerpts = excerpts
        # The local model writes one answer at a time; a hosted server takes several at once.
        self.queue = GenerationQueue(slots=1 if settings.llm.backend == "local" else 8)
        self._in_flight = 0  # questions being answered now (work ahead of time waits for 0)
        self._count_lock = threading.Lock()
        self._in_english: dict[str, str] = {}  # Dutch comparisons asked in English (_sides)

    @property
    def model_name(self) -> str:
        """Which model writes the answers, for the UI note."""
        if self.llm is None:
            return "extractive (no LLM)"
        return str(self.llm.metadata.model_name)

    def warm(self) -> None:
        """Have the local model read the system prompt now, so the first question reuses it.

        llama.cpp keeps the last prompt's state and reuses its longest common prefix; every
        answer prompt starts with the same system prompt (about 110 tokens, 2 s on 2 cores).
        """
        if self.llm is None or self.settings.llm.backend != "local":
            return
        from llama_index.core.llms import ChatMessage, MessageRole

        ticket = self.queue.join()
        try:
            for _ in ticket.positions():
                pass
            self.llm.chat(
                [
                    ChatMessage(role=MessageRole.SYSTEM, content=SYSTEM_PROMPT),
                    ChatMessage(role=MessageRole.USER, content="Passages:"),
                ],
                max_tokens=1,
            )
        finally:
            ticket.release()

    def prepare_excerpts(self) -> int:
        """Embed the sentences of every indexed passage while no question is being answered,
        so the first question about a passage does not wait for it (0.7-1.2 s on 2 cores).

        Runs in a background thread of the server after it is ready; returns how many
        sentences it embedded.
        """
        from llama_index.core.schema import NodeWithScore

        from askconvergence.retrieve import to_passages

        if self.excerpts is None:
            return 0
        retriever = getattr(self.retriever, "current", self.retriever)
        lexical = getattr(retriever, "lexical", None)
        if lexical is None:
            return 0
        nodes = lexical().nodes
        passages = to_passages([NodeWithScore(node=node, score=0.0) for node in nodes])
        started = time.perf_counter()
        done = int(self.excerpts.prepare(passages, busy=lambda: self._in_flight > 0))
        log.info(
            "Embedded %d sentences of %d passages ahead in %.1f s",
            done,
            len(passages),
            time.perf_counter() - started,
        )
        return done

    def standalone(self, question: str, history: Sequence[Turn] = ()) -> str:
        """The question rewritten to stand on its own when it leans on the conversation."""
        return standalone_question(question.strip(), history, self.llm)

    def retrieve(self, question: str, history: Sequence[Turn] = ()) -> list[Passage]:
        """The passages for a question in its conversation, best first."""
        from askconvergence.retrieve import to_passages

        query = self.standalone(question, history) if history else question
        return to_passages(self.retriever.retrieve(query))

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """A complete answer (the last event of :meth:`stream`)."""
        for event in self.stream(question, history):
            if event.kind == "done":
                answer: Answer = event.data
                return answer
        raise RuntimeError("stream ended without an answer")

    def stream(self, question: str, history: Sequence[Turn] = ()) -> Iterator[Event]:
        """Yield the retrieved passages first, then answer tokens, then the final answer."""
        question = question.strip()
        if not question:
            raise ValueError("The question is empty.")
        with self._count_lock:
            self._in_flight += 1
        try:
            yield from self._stream(question, history)
        finally:
            with self._count_lock:
                self._in_flight -= 1

    def _stream(self, question: str, history: Sequence[Turn]) -> Iterator[Event]:
        start = time.perf_counter()
        language = detect_language(question)
        # A follow-up is searched for and answered as a standalone question, so the answer
        # prompt needs no conversation (shorter prefill) and no state is kept between calls.
        query = self.standalone(question, history) if history else question
        timings = {"rewrite_s": time.perf_counter() - start} if query != question else {}
        # "where was the 2023 health valley event held?": the checks read names by capitals.
        cased = getattr(self.retriever, "truecased", None)
        query = cased(query) if cased is not None else query
        from llama_index.core.schema import QueryBundle

        from askconvergence.retrieve import decline_score, to_passages

        bundle = QueryBundle(query)  # the retriever leaves the query's embedding on it
        passages = to_passages(self.retriever.retrieve(bundle))
        timings["retrieve_s"] = time.perf_counter() - start
        yield Event("citations", passages)

        gate = decline_score(self.settings)
        best = max((p.score for p in passages), default=0.0)
        if best < gate:
            log.info("Declining: best score %.3f below %.3f", best, gate)
            yield from self._decline(question, language, passages, timings, start)
            return

        given = passages  # what the model reads: whole passages or their best sentences
        # The language the model answers in, and its answer is checked in: a Dutch question
        # is answered in English first, the small model's strong language, and the answer
        # written in Dutch at the end (see _translated).
        draft = (
            "en"
            if language == "nl" and self.llm is not None and self.settings.llm.english_draft
            else language
        )
        members = self._membership(query, passages, language)
        if members is not None:
            # Which members two groups share, or one has that the other lacks: both lists,
            # compared (the small model declines these or names the wrong member).
            raw, passages = members
            given, draft = passages, language
            log.info("Comparing the two groups' lists: %r", raw)
            yield Event("token", raw)
            confirmed, leaning, ran_away = True, 0.0, False
        elif self.llm is None:
            raw = extract_answer(query, passages)
            yield Event("token", raw)
            confirmed, leaning, ran_away = True, 0.0, False
        else:
            if self.excerpts is not None:
                given = self.excerpts.select(query, passages, bundle.embedding)
                timings["excerpts_s"] = time.perf_counter() - start
            ticket = self.queue.join()
            try:
                yield from (Event("queued", n) for n in ticket.positions())
                raw = ""
                held = True  # hold text back while it could still be the decline token
                ran_away = False  # the model looped on citation markers
                odds: dict[str, float] = {}
                deltas = self._generate(query, given, language, odds, reply_in=draft)
                for delta in deltas:
                    timings.setdefault("first_token_s", time.perf_counter() - start)
                    raw += delta
                    if held:
                        head = raw.strip()
                        if DECLINE_TOKEN in head:
                            break
                        if DECLINE_TOKEN.startswith(head):
                            continue
                        held = False
                        yield Event("token", raw)
                    else:
                        yield Event("token", delta)
                    trimmed = _trim_runaway(raw)
                    if trimmed is not None:
                        log.info("Stopping a run of repeated citation markers")
                        raw, ran_away = trimmed, True
                        break
                deltas.close()  # stops generation at once when declined or looping
                leaning = sum(odds.values())  # how likely the model was to decline at once
                confirmed = self._check(query, given, language, raw, draft)
            finally:
                ticket.release()  # the next request in line may start
        timings["total_s"] = time.perf_counter() - start
        log.debug("Raw answer: %r (decline p %.3f)", raw, leaning)
        narrow: list[Passage] = []  # the best sentences alone, once the model was asked over them
        if not raw.strip() or reads_as_decline(raw):
            # The small model declines over 150 words that hold the answer in one long sentence
            # among others ("investment from both university medical centres and TU Delft in
            # the Holland Proton Therapy Centre; ..."); over the best sentences alone it reads
            # it. An unanswerable question stays declined: the model declines again, or its
            # answer fails the checks that any answer must pass.
            narrow, again = self._over_best_sentences(
                query, passages, given, bundle, language, draft
            )
            if again:
                raw, given, leaning = again, narrow, 0.0
        reply_in = draft  # the language of the answer as it stands
        if not raw.strip() or reads_as_decline(raw):
            replied, on = self._reply_in_passages(query, passages, language, bundle.embedding)
            if not replied:
                yield from self._decline(question, language, passages, timings, start)
                return
            raw, given, reply_in = replied, on, language  # a quote, checked already
            leaning, confirmed, ran_away = 0.0, True, False
        if ran_away:
            # What a model wrote before looping on markers is seldom the answer ("About Health
            # & Technology [1] [1] [1] ..."): the sentence that answers is quoted instead.
            quoted = quote_answer(raw, given, query, language, min_overlap=0.3)
            if quoted and self._passes(quoted, given, query, language, passages):
                log.info("The answer looped; quoting the passage instead: %r", quoted)
                raw, reply_in = quoted, language
        objection, at_fault = self._objection(
            raw, given, query, reply_in, leaning, confirmed, passages
        )
        broken = dangling(raw, query) if objection else []
        rest = _without_broken(raw, broken) if broken else ""
        if rest and self._passes(rest, given, query, reply_in, passages):
            # A sentence broke off ("Deze opleidingen zijn bijvoorbeeld in [3].") after a
            # list that answers: the rest stands when it passes every check.
            log.info("%s; keeping the rest: %r", objection, rest)
            raw, objection = rest, ""
        kept = _without_claims(raw, at_fault) if objection and at_fault else ""
        if kept and self._passes(kept, given, query, reply_in, passages):
            # Only some of the answer's sentences took a value from a sentence about something
            # else ("Jelle van der Weijde [1] is the Director Health at Health Hub Utrecht.
            # Miina Ojanperä [2] is the Policy Officer ... at the embassy"): the others answer.
            log.info("%s; keeping the answer's other sentences: %r", objection, kept)
            raw, objection = kept, ""
        elif objection and at_fault and self.llm is not None:
            # The answer took a value from a sentence about something else: ask once more
            # without the sentences stating it, so the model reads the one that answers (and
            # the excerpts' budget goes to the next best sentences).
            log.info("%s; asking again without the sentences stating %s", objection, at_fault)
            given = without_sentences(passages, at_fault)
            if self.excerpts is not None:
                given = self.excerpts.select(query, given, bundle.embedding)
            raw = self._answer_once(query, given, language, reply_in=draft) if given else ""
            log.info("Second answer: %r", raw)
            if not raw.strip() or reads_as_decline(raw):
                # The passages' own line for what is asked may still answer (the first answer
                # took the name above it for the role's: "Lizet Beek" for the press contact).
                raw, on = self._reply_in_passages(query, passages, language, bundle.embedding)
                if not raw:
                    yield from self._decline(question, language, passages, timings, start)
                    return
                objection, given, reply_in = "", on, language
            else:
                objection, more = self._objection(raw, given, query, draft, 0.0, True, passages)
                reply_in = draft
                at_fault |= more
        elif objection and (restated := restated_items(raw, query)):
            # The model copied the question's own list ("put at risk by ageing, rising costs
            # and staffing problems"); asked without it, it reads what the list is about.
            asked = without_list(query, restated)
            again = (
                self._answer_once(asked, given, language, reply_in=draft) if asked != query else ""
            )
            log.info("%s; asked %r instead: %r", objection, asked, again)
            if self._answers(again, given, query, draft, passages):
                raw, objection = again, ""
        elif objection and announces(raw, query):
            # "X explains why ...": what X explains is the passage's next sentence, which the
            # excerpts may have left out; the whole passages are what the quote is checked on.
            quoted = quote_following(raw, passages, language)
            if quoted and self._passes(quoted, passages, query, language, passages):
                log.info("%s; quoting what follows it: %r", objection, quoted)
                raw, objection, given, reply_in = quoted, "", passages, language
        elif objection and (item := numbered_item(query, passages)):
            # "What is the third principle?" answered with the second (the small model counts
            # badly, in Dutch most): the list's third item is quoted, with what it says.
            quoted = quote_item(item, language)
            if self._passes(quoted, passages, query, language, passages):
                log.info("%s; quoting the item asked for: %r", objection, quoted)
                raw, objection, given, reply_in = quoted, "", passages, language
        elif objection and (
            echoes_question(raw, query)
            or names_nobody(raw, query)
            or from_titles(raw, given, query)
        ):
            # "Erasmus MC has an intensive partnership with Erasmus MC [3]", "Health Valley was
            # launched thanks in part to Health Valley [1]": the model read the passages but
            # only restated the question (or a passage's title); quote the sentence that
            # answers, and for a "who" question one that names someone.
            quoted = quote_answer(raw, given, query, language, named=True)
            if quoted and self._passes(quoted, given, query, language, passages):
                log.info("%s; quoting the passage instead: %r", objection, quoted)
                # "Yes, Micronit's chips are also used for COVID-19 research [1]" restates a
                # yes/no question, but its yes is the answer: it stands before the quote.
                raw, objection, reply_in = with_verdict(raw, quoted, query, language), "", language
        unanswered = (
            self._unanswered_part(raw, given, query, reply_in, passages) if objection else None
        )
        if unanswered:
            # "How many people have type 1 diabetes, and what share of the working population
            # has a chronic condition?" answered with the number alone, "Who handles press
            # relations ..., and on which days is she available?" with the name alone: the
            # part whose kind of answer is missing is asked on its own, and both answers stand
            # together when they pass every check of the whole question.
            log.info("%s; asking its other part on its own", objection)
            both = self._with_part(raw, *unanswered, given, query, language, reply_in, passages)
            if both:
                raw, objection = both, ""
        if objection and reply_in == "nl" and self._misread(raw, given, query):
            # A Dutch answer that only restates the question, gives another kind of thing
            # than asked, or shares too few words with the English passages to show where it
            # read them: asked for in English, the answer is held to the checks of any
            # English one and then written in Dutch.
            english = self._answer_once(query, given, language, reply_in="en")
            log.info("%s; in English: %r", objection, english)
            if self._answers(english, given, query, "en", passages):
                raw, objection, reply_in = english, "", "en"
        quoted = quote_share(query, given, language) if objection else ""
        if quoted and self._passes(quoted, given, query, language, passages):
            # "Welk deel ...?" answered "13%": the small model misreads "One-third of ..." in a
            # Dutch question's answer, so the one sentence stating a share of it is quoted.
            log.info("%s; quoting the share: %r", objection, quoted)
            raw, objection, reply_in = quoted, "", language
            parts = question_parts(query)
            shares = [part for part in parts if stated_share(part, given)]
            if len(parts) == 2 and len(shares) == 1:
                # "What share of the Dutch working population has a chronic condition, and how
                # big a shortage of healthcare staff did Rovers predict?" (ae031): the quote
                # answers the share; the other part is asked on its own.
                other = next(part for part in parts if part not in shares)
                both = self._with_part(
                    raw, other, shares[0], given, query, language, language, passages
                )
                raw = both or raw
        if (
            objection
            and language == "nl"
            and self.llm is not None
            and not invented_numbers(raw, given, query)
        ):
            # Still wrong in either language: the passage sentence that shares most of the
            # Dutch question's words (stems and cognates: "intensieve samenwerking" finds
            # "intensive partnership"), quoted, when it holds as an answer. Not after an
            # answer with a number of its own making: then the passages lack the fact.
            # Not a sentence stating what an answer was already wrong to name ("TU Delft").
            left = without_sentences(given, at_fault) if at_fault else given
            quoted = quote_answer(raw, left, query, language, min_overlap=0.5)
            if quoted and self._passes(quoted, given, query, language, passages):
                log.info("%s; quoting the passage instead: %r", objection, quoted)
                raw, objection, reply_in = quoted, "", language
        if objection and given != narrow:
            # Still no answer: once more over the best sentences alone, as for a decline.
            narrow, again = self._over_best_sentences(
                query, passages, given, bundle, language, draft
            )
            if again:
                log.info("%s; answered over the best sentences: %r", objection, again)
                raw, objection, given, reply_in = again, "", narrow, draft
        if objection:
            replied, on = self._reply_in_passages(query, passages, language, bundle.embedding)
            if replied:
                raw, objection, given, reply_in = replied, "", on, language
        if objection:
            log.info("Declining: %s", objection)
            yield from self._decline(question, language, passages, timings, start)
            return
        # Two groups' lists compared are given as they are: the lists are quoted whole.
        exact = members is not None and raw == members[0]
        if (
            language == "nl"
            and self.llm is not None
            and not exact
            and (reply_in != language or written_in_english(raw))
        ):
            # The small model sometimes answers a Dutch question in the passages' English.
            dutch = self._translated(query, given, language, raw, reply_in)
            if dutch and self._passes(dutch, given, query, language, passages):
                log.info("Answered in English; in Dutch: %r", dutch)
                raw = dutch
        listed = (
            raw
            if exact
            else rest_of_numbered(
                list_after_lead(raw, given, passages, query), given, passages, query
            )
        )
        if listed != raw:
            log.info("The answer announced a list or cut it short; adding items: %r", listed)
            raw = listed
        text, cited, _, _ = self._grounding(raw, given, language, query)
        # The sources shown are the whole passages, so the reader sees each excerpt in context.
        whole = {p.chunk_id: p for p in passages}
        cited = [replace(whole[c.chunk_id], n=c.n) if c.chunk_id in whole else c for c in cited]
        if not exact:
            text, cited = self._finished(text, cited, given, query, language)
        timings["total_s"] = time.perf_counter() - start
        yield Event(
            "done",
            Answer(question, text, True, cited, passages, timings, self.model_name),
        )

    def _finished(
        self, text: str, cited: list[Passage], given: list[Passage], query: str, language: str
    ) -> tuple[str, list[Passage]]:
        """A grounded answer with what it left out added: fractions and qualifiers as the
        passages write them, the rest of a list or quotation it cut short, and for a
        comparison each side's sentence. ``cited`` are whole passages."""
        text = fractions_as_written(text, cited, language)
        text = qualified_as_written(text, given, language)  # the model may cite another
        completed = complete_list(text, cited, query, language)  # markers are tidy by now
        if completed != text:
            log.info("Completed a list the answer cut short: %r", completed)
            text = completed
        quoted = rest_of_quotation(text, cited, query)
        if quoted != text:
            log.info("The answer gave part of a quotation; adding the rest: %r", quoted)
            text = quoted
        found = self._sides(query, language)
        if found:
            # A comparison: what each side's own document says on the topic, where the answer
            # does not already give it (the small model often gives one side only).
            text, cited = with_sides(text, cited, found, query, language)
            log.info("The question compares two; each side's sentence: %r", text)
        return text, cited

    def _objection(
        self,
        raw: str,
        given: list[Passage],
        question: str,
        language: str,
        leaning: float,
        confirmed: bool,
        context: list[Passage],
    ) -> tuple[str, set[str]]:
        """Why an answer may not be given ("" when it may), and the values at fault when
        the answer took them from the wrong sentence (worth asking once more without it)."""
        grounded = self._grounding(raw, given, language, question)
        if not grounded[3]:
            # Nothing in the answer is backed by the passages: the model made it up.
            return f"answer support {grounded[2]} too low", set()
        foreign = _foreign(raw, given, question)
        if foreign:
            return f"the answer slipped into another script ({''.join(sorted(foreign))})", set()
        if repeats_itself(raw):
            return f"the answer repeats itself: {raw!r}", set()
        invented = invented_numbers(raw, given, question)
        if invented:
            return f"numbers {sorted(invented)} are in no passage", set()
        names = invented_names(raw, given, question)
        if names:
            return f"names {sorted(names)} are in no passage", set()
        # Dutch items are translations the passages' English rarely shares a stem with.
        items = invented_items(raw, given, question) if language == "en" else set()
        if items:
            return f"list items {sorted(items)} are in no passage", set()
        restated = restated_items(raw, question)
        if restated:
            return f"the answer lists the question's own {sorted(restated)}", set()
        if echoes_question(raw, question):
            return f"the answer only repeats the question: {raw!r}", set()
        if announces(raw, question):
            return f"the answer only says that something is explained: {raw!r}", set()
        # Nearness is read in the whole passages: an excerpt drops the sentences between
        # ("The 2030 goal of Health Hub Utrecht ... over 30 partners").
        years = unanchored_years(raw, context, question)
        if years:
            return f"years {sorted(years)} are stated nowhere near the question's subject", years
        events = undated_events(raw, context, question)
        if events:
            return f"years {sorted(events)} date something the question does not ask of", events
        amounts = unanchored_amounts(raw, context, question)
        if amounts:
            return f"amounts {sorted(amounts)} are stated nowhere near the subject", amounts
        prices = unpriced(raw, context, question)
        if prices:
            return f"amounts {sorted(prices)} are stated as no price", prices
        misplaced = misplaced_numbers(raw, given, question, context)
        if misplaced:
            return (
                f"numbers {sorted(misplaced)} come from sentences about something else",
                misplaced,
            )
        days = days_as_counts(raw, context, question)
        if days:
            return f"numbers {sorted(days)} are days of a month, not counts", days
        if share_as_count(raw, context, question):
            return "the answer gives a share's digits as a count", set()
        miscount = miscounted(raw, context, question)
        if miscount:
            return f"numbers {sorted(miscount)} count something else than asked", miscount
        people = unanchored_people(raw, given, question)
        if people:
            return f"names {sorted(people)} are stated nowhere near the subject", people
        role = unheld_role(context, question)
        if role:
            return f"no passage mentions the {role!r} the question asks for", set()
        if unheld_founding(context, question):
            return "no passage says who founded anything", set()
        if misses_person_role(raw, context, question):
            return "the answer gives none of the places a passage names the person's role at", set()
        if misses_role_holder(raw, context, question):
            return "the answer names no one of the contact line for the role asked", set()
        others = of_another_kind(raw, question)
        if others:
            return f"{sorted(others)} are not what the question asks for", others
        if gives_another_item(raw, context, question):
            return "the answer gives another item of the list than the one asked", set()
        if dangles(raw, question):
            return f"a sentence of the answer breaks off: {raw!r}", set()
        missing = _missing_kind(raw, question)
        if missing:
            return missing, set()
        if names_no_city(raw, question):
            return "the question asks for a city and the answer names none", set()
        held = misses_role_place(raw, context, question)
        if held:
            return f"the answer leaves out where the role asked about is held: {held}", set()
        place = misses_base(raw, context, question)
        if place:
            return f"the answer leaves out that it is based in {place}", set()
        maker = misnamed_maker(raw, context, question)
        if maker:
            return f"the passages say it was made by {maker}, whom the answer leaves out", set()
        if names_nobody(raw, question):
            return "the question asks who and the answer names no one new", set()
        odds_gate = self.settings.retrieval.decline_odds
        if odds_gate is not None and leaning >= odds_gate:
            return f"the model leaned to declining (p {leaning:.3f})", set()
        if not confirmed:
            return f"the model did not confirm its answer {raw!r}", set()
        return "", set()

    def _passes(
        self, text: str, given: list[Passage], question: str, language: str, context: list[Passage]
    ) -> bool:
        """Whether a replacement answer (a quote, a second try, a translation) passes every
        check of a first answer, with no decline odds and no verification turn to hold
        against it."""
        return not self._objection(text, given, question, language, 0.0, True, context)[0]

    def _answers(
        self, text: str, given: list[Passage], question: str, language: str, context: list[Passage]
    ) -> bool:
        """Whether a second try is an answer (not empty, not a decline) that passes every
        check (see :meth:`_passes`)."""
        return (
            bool(text.strip())
            and not reads_as_decline(text)
            and self._passes(text, given, question, language, context)
        )

    def _unanswered_part(
        self, raw: str, given: list[Passage], question: str, language: str, context: list[Passage]
    ) -> tuple[str, str] | None:
        """The one part of a two-part question that an answer leaves without the kind of thing
        it asks for (an amount, a share, an address, days), and the rest of the question, when
        the answer passes every check of the other parts; None otherwise."""
        if self.llm is None or not _missing_kind(raw, question):
            return None
        parts = question_parts(question)
        missing = [part for part in parts if _missing_kind(raw, part)]
        if len(missing) != 1:  # no parts, or none or every one missing
            return None
        answered = [part for part in parts if part not in missing]
        if not all(self._passes(raw, given, part, language, context) for part in answered):
            return None
        return missing[0], " ".join(answered)

    def _with_part(
        self,
        raw: str,
        part: str,
        rest: str,
        given: list[Passage],
        question: str,
        language: str,
        reply_in: str,
        context: list[Passage],
    ) -> str:
        """``raw``, which answers the ``rest`` of a two-part question, followed by the answer to
        its other ``part`` asked on its own, when that answers it and the two together pass
        every check of the whole question; "" otherwise. A part that points back ("on which
        days is she available?") is read as a follow-up to ``raw``."""
        asked = standalone_question(part, [Turn("user", rest), Turn("assistant", raw)], self.llm)
        again = self._answer_once(asked, given, language, reply_in=reply_in)
        log.info("Asked %r on its own: %r", asked, again)
        first = raw.strip()
        if not ENDS_SENTENCE.search(first):
            first += "."  # "Dr. M.M.J. van Hillegersberg - Hofmans [1]" is one on its own
        both = f"{first} {again.strip()}"
        if self._answers(again, given, asked, reply_in, context) and self._passes(
            both, given, question, reply_in, context
        ):
            return both
        return ""

    def _misread(self, raw: str, given: list[Passage], question: str) -> bool:
        """Whether a Dutch answer reads as the small model misreading the Dutch question (not
        as an answer made up): no support the word overlap can see, letters of another script,
        the question restated, or not the kind of thing asked (no city, no one, no amount)."""
        return self.llm is not None and (
            not self._grounding(raw, given, "nl", question)[3]
            or bool(_foreign(raw, given, question))
            or echoes_question(raw, question)
            or names_no_city(raw, question)
            or names_nobody(raw, question)
            or bool(_missing_kind(raw, question))
        )

    def _over_best_sentences(
        self,
        query: str,
        passages: list[Passage],
        given: list[Passage],
        bundle: QueryBundle,
        language: str,
        reply_in: str,
    ) -> tuple[list[Passage], str]:
        """The best sentences within ``retrieval.retry_words``, and the model's answer over
        them alone when it passes every check ("" when it does not, when there is no model or
        no excerpts to narrow, or when they are what the model was ``given`` already)."""
        retry = self.settings.retrieval.retry_words
        if self.llm is None or self.excerpts is None or retry <= 0:
            return [], ""
        narrow = self.excerpts.select(query, passages, bundle.embedding, budget_words=retry)
        if narrow == given:
            return narrow, ""
        again = self._answer_once(query, narrow, language, reply_in=reply_in)
        log.info("Over the best sentences only: %r", again)
        if self._answers(again, narrow, query, reply_in, passages):
            return narrow, again
        return narrow, ""

    def _membership(
        self, query: str, passages: list[Passage], language: str
    ) -> tuple[str, list[Passage]] | None:
        """The answer to a question about which members two groups share or one lacks (see
        :func:`membership`), with the passages it cites: those retrieved, and after them a
        group's list found only in the passages retrieved for its name."""
        found = membership(query, self._passages, passages)
        if found is None:
            return None
        on = _numbered_after(passages, [group.passage for group in found[0]])
        numbers = {p.chunk_id: p.n for p in on}
        return membership_answer(found, numbers, language), on

    def _sides(self, query: str, language: str) -> list[tuple[str, Passage, str]]:
        """What each of the two names a question compares says on its topic (see
        :func:`sides`); a Dutch question's topic is read in English, asked of the model."""
        if self.excerpts is None or compared_names(query) is None:
            return []
        english = ""
        if language == "nl" and self.llm is not None:
            english = self._in_english.get(query, "")
            if not english:
                from llama_index.core.llms import ChatMessage, MessageRole

                prompt = ENGLISH_PROMPT.format(question=query)
                asked = ChatMessage(role=MessageRole.USER, content=prompt)
                with self.queue.join():
                    reply = self.llm.chat([asked], max_tokens=80).message.content or ""
                english = reply.strip()
                log.debug("The question in English: %r", english)
                if len(self._in_english) >= 64:
                    self._in_english.clear()  # a few at a time are asked; no need to keep more
                self._in_english[query] = english
        return sides(query, self._passages, self.excerpts, english)

    def _passages(self, query: str) -> list[Passage]:
        """The passages retrieved for a query (whole, numbered from 1)."""
        from llama_index.core.schema import QueryBundle

        from askconvergence.retrieve import to_passages

        return to_passages(self.retriever.retrieve(QueryBundle(query)))

    def _reply_in_passages(
        self,
        query: str,
        passages: list[Passage],
        language: str,
        embedding: Sequence[float] | None = None,
    ) -> tuple[str, list[Passage]]:
        """Before a decline: the line a passage gives in reply to its own question when that
        is the user's ("Ideas for health tech co-operation between Finland and the
        Netherlands?" / "- Connect with ..., Miina Ojanperä,"), or the contact line of the role
        the question asks about ("persvoorlichter" / "Press relations (available Mon, Tue,
        Thu)"), or the sentence naming someone as the role asked about ("Chris Doomernik,
        director of Health Valley, ..."), or where what the question describes is based
        ("the Twente-based Inreda® Diabetic"), or the byline of a story asked who wrote it, or
        for a question comparing two names each
        one's sentence on its topic (see :func:`sides`), or for a "when" question the sentence
        giving a date (see :func:`quote_dated`), quoted, when it passes every check; "" when
        there is none. With the passages it cites: a compared name's sentence may be in a
        passage retrieved for that name alone, added after the others."""
        replied = (
            quote_reply(query, passages, language)
            or quote_role(query, passages, language)
            or quote_role_holder(query, passages, language)
            or quote_based(query, passages, language)
            or quote_byline(query, passages, language)
            or quote_maker(query, passages, language)
            or quote_person_role(query, passages, language)
        )
        if not replied and self.excerpts is not None:
            found = self._sides(query, language)
            extra = [p for _, p, s in found if not any(s in q.text for q in passages)]
            on = _numbered_after(passages, extra)
            quoted = quote_sides(found, on, language)
            if quoted and self._passes(quoted, on, query, language, on):
                log.info("Quoting what each compared name says: %r", quoted)
                return quoted, on
        if not replied and self.excerpts is not None and ASKS_WHEN.search(query):
            best = self.excerpts.best_sentence(query, passages, embedding)
            replied = quote_dated(query, best, language)
        asked = yes_no_question(query) if language == "en" else ""
        if not replied and self.excerpts is not None and asked:
            replied = quote_yes_no(asked, self.excerpts.best_sentence(asked, passages))
        if replied and self._passes(replied, passages, query, language, passages):
            log.info("Quoting the passage's line that answers: %r", replied)
            return replied, passages
        return "", passages

    def _decline(
        self,
        question: str,
        language: str,
        passages: list[Passage],
        timings: dict[str, float],
        start: float,
    ) -> Iterator[Event]:
        text = decline_message(language)
        timings["total_s"] = time.perf_counter() - start
        yield Event("done", Answer(question, text, False, [], passages, timings, self.model_name))

    def _messages(
        self, question: str, passages: list[Passage], language: str, reply_in: str | None = None
    ) -> list[Any]:
        from llama_index.core.llms import ChatMessage, MessageRole

        prompt = user_prompt(question, passages, language, reply_in)
        return [
            ChatMessage(role=MessageRole.SYSTEM, content=SYSTEM_PROMPT),
            ChatMessage(role=MessageRole.USER, content=prompt),
        ]

    def _grounding(
        self, raw: str, passages: list[Passage], language: str, question: str
    ) -> tuple[str, list[Passage], list[float], bool]:
        """:func:`check_citations` of an answer, and whether the passages back it at all.

        Word overlap undercounts a Dutch answer to English passages (only cognates match), so
        answers not in English are held to half the support.
        """
        scale = 1.0 if language == "en" else 0.5
        text, cited, support = check_citations(raw, passages, scale, question)
        backed = max(support, default=0.0) >= self.settings.retrieval.min_support * scale
        return text, cited, support, bool(cited) and backed

    def _check(
        self, question: str, passages: list[Passage], language: str, raw: str, reply_in: str
    ) -> bool:
        """False when a real answer (not a decline) in ``reply_in`` is disowned by the
        verification turn."""
        if not self.settings.retrieval.verify or not raw.strip() or reads_as_decline(raw):
            return True
        if not self._grounding(raw, passages, reply_in, question)[3]:
            return True  # declined anyway; no need to ask
        return self._confirmed(question, passages, language, raw, reply_in)

    def _confirmed(
        self, question: str, passages: list[Passage], language: str, raw: str, reply_in: str
    ) -> bool:
        """Ask the model, in one more short turn, whether its answer is stated in the passages.

        The conversation so far is the prompt it just answered, so llama.cpp reuses its cache
        and only the answer and this question are new: well under a second on a CPU.
        """
        from llama_index.core.llms import ChatMessage, MessageRole

        assert self.llm is not None
        messages = [
            *self._messages(question, passages, language, reply_in),
            ChatMessage(role=MessageRole.ASSISTANT, content=raw),
            ChatMessage(role=MessageRole.USER, content=VERIFY_PROMPT),
        ]
        reply = self.llm.chat(messages, max_tokens=3).message.content or ""
        return not reply.strip().upper().startswith("NO")

    def _translated(
        self,
        question: str,
        passages: list[Passage],
        language: str,
        raw: str,
        reply_in: str | None = None,
    ) -> str:
        """The answer in Dutch, asked for in one more turn of the same conversation (the cache
        holds the rest); "" when the reply is still English or no longer cites."""
        from llama_index.core.llms import ChatMessage, MessageRole

        assert self.llm is not None
        messages = [
            *self._messages(question, passages, language, reply_in),
            ChatMessage(role=MessageRole.ASSISTANT, content=raw),
            ChatMessage(role=MessageRole.USER, content=TRANSLATE_PROMPT),
        ]
        with self.queue.join():
            reply = (self.llm.chat(messages, max_tokens=200).message.content or "").strip()
        if written_in_english(reply) or not cited_numbers(reply):
            return ""
        lost = lost_names(raw, reply, question)
        if lost:
            log.info("The Dutch answer %r left out %s", reply, sorted(lost))
            return ""
        return reply

    def _answer_once(
        self, question: str, passages: list[Passage], language: str, reply_in: str | None = None
    ) -> str:
        """A whole answer, not streamed, in its turn in the queue (a run of markers ends it)."""
        raw = ""
        with self.queue.join():
            deltas = self._generate(question, passages, language, reply_in=reply_in)
            for delta in deltas:
                raw += delta
                trimmed = _trim_runaway(raw)
                if trimmed is not None:
                    raw = trimmed
                    break
            deltas.close()
        return raw

    def _generate(
        self,
        question: str,
        passages: list[Passage],
        language: str,
        odds: dict[str, float] | None = None,
        reply_in: str | None = None,
    ) -> Generator[str, None, None]:
        """The answer's text pieces. ``odds`` is filled, when the model can tell, with the
        probability that the answer starts with each of the decline token's first pieces."""
        assert self.llm is not None
        extra: dict[str, Any] = {}
        if odds is not None and getattr(self.llm, "reports_first_token_odds", False):
            extra["first_token_odds"] = DECLINE_STARTS
        messages = self._messages(question, passages, language, reply_in)
        responses = self.llm.stream_chat(messages, **extra)
        try:
            for response in responses:
                if odds is not None:
                    odds.update(response.additional_kwargs.get("odds", {}))
                if response.delta:
                    yield response.delta
        finally:
            close = getattr(responses, "close", None)
            if close is not None:
                close()
