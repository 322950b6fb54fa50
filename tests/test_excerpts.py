"""Tight prompts: the model reads only the passages' sentences that bear on the question."""

from __future__ import annotations

import re

import pytest

from askconvergence.answer.excerpts import (
    ExcerptSelector,
    Sentence,
    choose_sentences,
    quoted_phrases,
    split_sentences,
    unique_sentences,
)
from askconvergence.answer.types import Passage
from askconvergence.settings import Settings


def test_split_sentences_joins_headings_to_the_next_sentence() -> None:
    text = "About us\nTU Delft and Erasmus MC work together. It started in 2019 with a pact! Done"
    assert split_sentences(text) == [
        "About us TU Delft and Erasmus MC work together.",
        "It started in 2019 with a pact! Done",
    ]


def test_a_sentence_wrapped_over_two_lines_stays_one_sentence() -> None:
    text = "Between engineers, patients and their\nfamilies and others.\nA sentence on a new line."
    assert split_sentences(text) == [
        "Between engineers, patients and their families and others.",
        "A sentence on a new line.",
    ]


def test_a_blank_line_ends_a_sentence_whatever_follows() -> None:
    # Joined to the sentence before, a contact line read as being about Micronit.
    text = (
        "Micronit chips are used for COVID-19 research.\n\ndrs. M.M.J. van Hillegersberg (Martine)"
    )
    assert split_sentences(text) == [
        "Micronit chips are used for COVID-19 research.",
        "drs. M.M.J. van Hillegersberg (Martine)",
    ]


def test_overlapping_chunks_give_each_sentence_once() -> None:
    intro = "Principles\nOur approach rests on three key principles."
    first = Passage(1, "a", "T", f"{intro}\n1.\nA holistic approach to health and care.", 0.9)
    # The previous chunk ends where this one starts, with the first list item's number.
    second = Passage(2, "b", "T", f"Some words before it come here.\n{intro}\n1.", 0.8)
    assert [(s.passage, s.text) for s in unique_sentences([first, second])] == [
        (0, "Principles Our approach rests on three key principles."),
        (0, "1. A holistic approach to health and care."),
        (1, "Some words before it come here."),
    ]
    # A passage that ends on the number of an item it cuts off is shown without it: the
    # model read "... stakeholders 3." as if the item before were the third.
    cut = Passage(1, "c", "T", "2. Integrative approach\nWith all our partners together.\n3.", 0.9)
    assert [s.text for s in unique_sentences([cut])] == [
        "2. Integrative approach With all our partners together."
    ]
    # A sentence ending on a year keeps it.
    dated = Passage(1, "d", "T", "They held an online conference on 6 November 2020.", 0.9)
    assert [s.text for s in unique_sentences([dated])] == [dated.text]


def test_a_when_question_favours_sentences_with_a_date(embed_model) -> None:  # type: ignore[no-untyped-def]
    sentences = [
        Sentence(0, 0, "Health Hub Utrecht invited its Finnish counterparts to an online event."),
        Sentence(0, 1, "Health Hub Utrecht first visited its Finnish counterparts in 2018."),
    ]
    question = "When did Health Hub Utrecht visit its Finnish counterparts?"
    dated = ExcerptSelector(embed_model).scores(question, sentences)
    plain = ExcerptSelector(embed_model, type_weight=0.0).scores(question, sentences)
    assert dated[1] - plain[1] == pytest.approx(1.0)  # the dated sentence gains the weight ...
    assert dated[0] - plain[0] == pytest.approx(0.3)  # ... and its neighbour a share of it
    # A question that does not ask "when" is scored without it.
    other = "Whom did Health Hub Utrecht invite?"
    assert ExcerptSelector(embed_model).scores(other, sentences) == ExcerptSelector(
        embed_model, type_weight=0.0
    ).scores(other, sentences)


def test_a_declined_when_question_quotes_its_dated_sentence(embed_model) -> None:  # type: ignore[no-untyped-def]
    """z025: the model declined "On what date did Health Hub Utrecht hold its online
    Inspiration conference?" over the sentence giving the date."""
    from askconvergence.answer.extractive import quote_dated

    story = Passage(
        3,
        "h",
        "Health technology collaboration between Finland and the Netherlands intensifies",
        "The Embassy helps Dutch businesses and organisations to get connected with Finnish "
        "partners.\nHealth Hub Utrecht invited their Finnish counterparts, whom they visited in "
        "2018, to renew contacts during an online Inspiration conference with all Health Hub "
        "Partners on 6 November 2020.",
        0.9,
    )
    keynote = Passage(
        4,
        "m",
        "Medical technology secures the future of healthcare",
        "Rovers elaborated in her keynote at Health Valley Event (2023 edition).",
        0.9,
    )
    selector = ExcerptSelector(embed_model)
    asked = "On what date did Health Hub Utrecht hold its online Inspiration conference?"
    best = selector.best_sentence(asked, [story, keynote])
    assert best is not None and "6 November 2020" in best[1]
    assert quote_dated(asked, best, "en") == f"The documents say: “{best[1]}” [3]"
    dutch = "Wanneer was de online Inspiration-conferentie van Health Hub Utrecht?"
    assert quote_dated(dutch, selector.best_sentence(dutch, [story, keynote]), "nl").startswith(
        "De documenten zeggen: “Health Hub Utrecht invited"
    )
    # Not a "when" question; the question's own year is no answer; too few of its words.
    assert quote_dated("Whom did Health Hub Utrecht invite?", best, "en") == ""
    event = "On which date did the 2023 edition of the Health Valley Event take place?"
    assert quote_dated(event, (keynote, keynote.text), "en") == ""
    assert quote_dated("In what year was Flux Robotics founded?", best, "en") == ""


def test_a_dutch_question_does_not_favour_sentences_for_being_dutch(embed_model) -> None:  # type: ignore[no-untyped-def]
    sentences = [
        Sentence(0, 0, "The artificial pancreas, developed by the Twente-based Inreda Diabetic, "
                 "is a good example of a solution that takes the patient's view into account."),
        Sentence(0, 1, "Some 100,000 people in the Netherlands have type 1 diabetes."),
        Sentence(1, 0, "Ook Flux Robotics, een spin-off van de Universiteit Twente, brengt de "
                 "zorg een stap verder."),
        Sentence(1, 1, "Het bedrijf voorziet chirurgen van hulpmiddelen en ontwikkelt "
                 "innovatieve magnetische robottechnologieën."),
    ]  # fmt: skip
    dutch = "Welk bedrijf heeft de nieuwe alvleesklier ontwikkeld?"
    plain = ExcerptSelector(embed_model, language_bias=0.0).scores(dutch, sentences)
    fair = ExcerptSelector(embed_model).scores(dutch, sentences)
    # Scored as they are, the Dutch sentence about another company outranks the answer.
    assert plain[3] > plain[0]
    assert fair[0] == max(fair) and fair[3] < fair[0]
    # "kunstmatige alvleesklier" is in the glossary ("artificial pancreas"): its key terms
    # alone put the answer first.
    glossed = "Welk bedrijf heeft de kunstmatige alvleesklier ontwikkeld?"
    plain = ExcerptSelector(embed_model, language_bias=0.0).scores(glossed, sentences)
    assert plain[0] == max(plain)
    # English questions are scored as they are.
    english = "Which company developed the artificial pancreas?"
    assert ExcerptSelector(embed_model).scores(english, sentences) == ExcerptSelector(
        embed_model, language_bias=0.0
    ).scores(english, sentences)


def test_choose_sentences_keeps_the_budget_and_the_sentence_pointed_back_to() -> None:
    sentences = [
        Sentence(0, 0, "Micronit is a company in Enschede that makes chips."),
        Sentence(0, 1, "It makes lab-on-a-chip devices for many kinds of customers."),
        Sentence(1, 0, "Flux Robotics builds surgical robots in the east of the country."),
        Sentence(1, 1, "Unrelated words about something else entirely, five more words here."),
    ]
    chosen = choose_sentences(sentences, [0.1, 3.0, 1.0, -1.0], budget_words=22)
    # The best sentence starts with "It", so the one it points back to comes along; the
    # third would break the budget; the last is worst.
    assert chosen == {0, 1}
    # The best sentence of the first passage is kept even when it alone is over budget.
    assert choose_sentences(sentences, [0.5, 0.2, 3.0, 2.0], budget_words=5) == {0}


def test_a_chosen_sentence_brings_the_list_it_leads_into() -> None:
    long = " ".join(["Another passage about something else entirely."] * 14)  # 84 words
    sentences = [
        Sentence(0, 0, "They are on a mission to shape the future of health(care) for all."),
        Sentence(0, 1, "We strive for: - Life-long health, from pre-birth to end of life"),
        Sentence(0, 2, "- Socio-economic equality in health(care)"),
        Sentence(0, 3, "- Prevention and early diagnostics to maintain health"),
        Sentence(0, 4, "We believe that our mission needs Convergence of many domains."),
        Sentence(1, 0, long),
    ]
    scores = [3.0, 0.1, 0.1, 0.1, 0.2, 1.0]
    # The budget holds the mission and the long sentence; the list the mission leads into
    # comes along (lead and bullets, 24 words), within a quarter of the budget over it, and
    # the sentence after the list does not.
    assert choose_sentences(sentences, scores, budget_words=100) == {0, 1, 2, 3, 5}
    # Not for a question that asks for one thing.
    assert choose_sentences(sentences, scores, budget_words=100, lists=False) == {0, 5}
    # A chosen bullet brings no lead or other bullets past a quarter of the budget ...
    assert choose_sentences(sentences, [0.1, 0.1, 3.0, 0.1, 0.2, 1.0], budget_words=6) == {2}
    # ... and within it, the bullets before it back to the lead (w001: "- Individual-tailored
    # precise medical treatment for all" alone was read as all they strive for), then the rest.
    last = [0.1, 0.1, 0.1, 3.0, 0.2, 1.0]
    assert choose_sentences(sentences, last, budget_words=100) == {1, 2, 3, 5}
    assert choose_sentences(sentences, last, budget_words=100, lists=False) == {2, 3, 5}


def test_a_question_in_a_passage_brings_the_sentence_that_answers_it() -> None:
    sentences = [
        Sentence(0, 0, "Health Hub Utrecht wants to work with cities and regions in Europe."),
        Sentence(0, 1, "Interested in collaboration with Health Hub Utrecht?"),
        Sentence(
            0, 2, "- Connect with Economic Board Utrecht, Director Health, Jelle van der Weijde,"
        ),
        Sentence(1, 0, "The embassy helps Dutch businesses to find Finnish partners here."),
    ]
    # A Dutch question ("Met wie kan ik contact opnemen?") scores the question in the text
    # best and the contact line after it low: the contact line comes along.
    assert choose_sentences(sentences, [0.5, 3.0, -1.0, 1.0], budget_words=25) == {1, 2}
    # A sentence that is no question brings nothing after it.
    assert choose_sentences(sentences, [3.0, 0.1, -1.0, 1.0], budget_words=12) == {0}


def _passages(settings: Settings, embed_model, question: str, reranked: bool = False):  # type: ignore[no-untyped-def]
    """The passages retrieved for ``question``; ``reranked``: as the chat retrieves them."""
    from askconvergence.index import PassageIndex
    from askconvergence.retrieve import make_retriever, to_passages

    sentences = ExcerptSelector(embed_model) if reranked else None
    retriever = make_retriever(PassageIndex(settings), embed_model, settings, sentences=sentences)
    return to_passages(retriever.retrieve(question))


def test_selector_keeps_the_answer_sentence_within_budget(built_settings, embed_model) -> None:  # type: ignore[no-untyped-def]
    question = "Around which themes has Health Hub Utrecht built working coalitions?"
    passages = _passages(built_settings, embed_model, question)
    selector = ExcerptSelector(embed_model, budget_words=120)
    given = selector.select(question, passages)

    words = sum(len(p.text.split()) for p in given)
    assert words < sum(len(p.text.split()) for p in passages)
    assert words <= 120 + max(len(s.split()) for p in passages for s in split_sentences(p.text))
    assert any("neighborhood focused prevention" in p.text for p in given)
    # Numbers are kept so citations still point at the retrieved passages.
    by_n = {p.n: p for p in passages}
    for p in given:
        assert p.chunk_id == by_n[p.n].chunk_id
        whole = " ".join(by_n[p.n].text.split())
        for part in re.split(r"\s\.\.\. ", p.text):
            assert " ".join(part.split()) in whole


def test_selector_finds_english_sentences_for_a_dutch_question(built_settings, embed_model) -> None:  # type: ignore[no-untyped-def]
    question = "Wanneer wordt de kunstmatige alvleesklier naar verwachting breed beschikbaar?"
    passages = _passages(built_settings, embed_model, question)
    given = ExcerptSelector(embed_model, budget_words=150).select(question, passages)
    assert any("widely available in 2024" in p.text for p in given)


def test_a_dutch_word_finds_the_sentence_with_its_english_words(
    built_settings, embed_model
) -> None:  # type: ignore[no-untyped-def]
    """ac018: "basisvoorwaarde" shares no stem with "basic requirement"; by the glossary it
    finds the one sentence that answers."""
    question = "Wat ziet Health Hub Utrecht als basisvoorwaarde voor hun doelen?"
    answer = "Equal opportunities for all is seen as a basic requirement"
    passages = _passages(built_settings, embed_model, question, reranked=True)
    assert any(answer in p.text for p in passages)
    given = ExcerptSelector(embed_model, budget_words=150).select(question, passages)
    assert any(answer in p.text for p in given)


def test_a_question_in_another_language_gets_more_of_the_passages(
    built_settings, embed_model
) -> None:  # type: ignore[no-untyped-def]
    """Its sentences meet the passages' less surely (eval/excerpt_recall.py), so a Dutch
    question's budget is a third larger than an English one's."""
    question = "Wat zijn de uitdagingen voor de Nederlandse gezondheidszorg?"
    passages = _passages(built_settings, embed_model, question)

    def words(given: list[Passage]) -> int:
        return sum(len(p.text.split()) for p in given)

    selector = ExcerptSelector(embed_model, budget_words=60)
    dutch = words(selector.select(question, passages))
    assert 60 < dutch <= 80 + max(len(s.split()) for p in passages for s in split_sentences(p.text))
    assert words(selector.select(question, passages, budget_words=60)) < dutch
    same = ExcerptSelector(embed_model, budget_words=60, translated_budget=1.0)
    assert words(same.select(question, passages)) < dutch


def test_a_quoted_phrase_brings_the_sentence_that_holds_it(built_settings, embed_model) -> None:  # type: ignore[no-untyped-def]
    question = (
        "Instead of the 'to cure or die' model, what kind of care does Convergence Health & "
        "Technology want to move towards?"
    )
    assert quoted_phrases(question) == ["to cure or die"]
    assert quoted_phrases("What is Convergence's mission?") == []  # an apostrophe, no quote
    assert quoted_phrases("How do they define 'convergence'?") == []  # one word: everywhere
    passages = _passages(built_settings, embed_model, question, reranked=True)
    answer = "chronic disease and lifestyle management"
    assert any(answer in p.text for p in passages)
    # Without the bonus, four sentences about the mission fill the budget before it.
    plain = ExcerptSelector(embed_model, quote_weight=0.0).select(question, passages)
    assert not any(answer in p.text for p in plain)
    given = ExcerptSelector(embed_model).select(question, passages)
    assert any(answer in p.text for p in given)


def test_excerpts_keep_the_lines_their_sentences_open(embed_model) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Health Hub Utrecht is looking for partners on a European level.\n\n"
        "Interested in collaboration with Health Hub Utrecht?\n\n"
        "- Connect with Economic Board Utrecht, Director Health, Jelle van der Weijde,\n\n"
        "Ideas for health tech co-operation between Finland and the Netherlands?\n\n"
        "- Connect with the Netherlands Embassy in Finland, Policy Officer, Miina Ojanperä,\n\n"
        "Liked the story? Share it with your friends and colleagues today."
    )
    passages = [Passage(1, "d", "T", text, 0.9)]
    question = "Who do I contact about health tech co-operation between Finland and Holland?"
    given = ExcerptSelector(embed_model, budget_words=40).select(question, passages)
    lines = given[0].text.splitlines()
    # Run on, "... Jelle van der Weijde, Ideas for ... Finland ...?" reads as naming him.
    assert "Ideas for health tech co-operation between Finland and the Netherlands?" in lines
    assert any(line.endswith("Miina Ojanperä,") for line in lines)
    assert not any("Weijde, Ideas" in line for line in lines)


def test_selector_returns_short_passages_whole(embed_model) -> None:  # type: ignore[no-untyped-def]
    passages = [Passage(1, "d", "T", "Micronit is based in Enschede.", 0.9)]
    assert ExcerptSelector(embed_model, budget_words=150).select("Where?", passages) == passages
    assert (
        ExcerptSelector(embed_model, budget_words=0).select("Where?", passages * 40)
        == passages * 40
    )


def test_sentences_embedded_ahead_are_not_embedded_again(built_settings, embed_model) -> None:  # type: ignore[no-untyped-def]
    from llama_index.core.schema import NodeWithScore

    from askconvergence.index import PassageIndex
    from askconvergence.retrieve import to_passages

    calls: list[int] = []

    class Counting(ExcerptSelector):
        def _vectors(self, texts):  # type: ignore[no-untyped-def]
            with self._lock:
                calls.append(sum(t not in self._cache for t in dict.fromkeys(texts)))
            return super()._vectors(texts)

    everything = to_passages(
        [NodeWithScore(node=n, score=0.0) for n in PassageIndex(built_settings).nodes()]
    )
    selector = Counting(embed_model, budget_words=60)
    busy = iter([True, True, False])  # the first batch waits while a question is answered
    done = selector.prepare(everything, busy=lambda: next(busy, False))
    assert done == len(selector._cache) > len(everything)
    assert selector.prepare(everything) == 0  # all there already

    question = "Around which themes has Health Hub Utrecht built working coalitions?"
    given = selector.select(question, _passages(built_settings, embed_model, question))
    assert any("neighborhood focused prevention" in p.text for p in given)
    assert calls == [0]  # the question needed no sentence embedded


def test_a_numbered_list_item_brings_the_next_one_from_the_passage_after() -> None:
    sentences = [
        Sentence(0, 0, "Our convergence approach is built on three key defining principles."),
        Sentence(0, 1, "1. A holistic and life course approach to health and healthcare"),
        Sentence(0, 2, "2. Integrative approach to health and healthcare innovation"),
        Sentence(1, 0, "3. Responsible innovation Take into account the end-user perspective."),
        Sentence(2, 0, "We strive for life-long health, from pre-birth to end of life."),
    ]
    # The chunker cut the list after its second item: the third opens the next passage, and
    # comes with the second although the budget has no room for it.
    scores = [3.0, 2.0, 1.0, -1.0, 0.5]
    assert choose_sentences(sentences, scores, budget_words=40) == {0, 1, 2, 3, 4}
    # Only within a quarter of the budget over it (10 words of 40, not of 30) ...
    assert choose_sentences(sentences, scores, budget_words=30) == {0, 1, 2}
    # ... and never an item before the one chosen.
    assert choose_sentences(sentences, [-1.0, -2.0, -2.0, 3.0, 2.0], budget_words=22) == {0, 3}
