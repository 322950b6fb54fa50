import re

import pytest

from askconvergence.evaluation import load_items
from tests.conftest import DEV_SET


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def test_retrieval_finds_the_gold_passage_for_public_questions(extractive_engine) -> None:  # type: ignore[no-untyped-def]
    from askconvergence.answer.followup import Turn

    items = [i for i in load_items(DEV_SET) if i.gold]
    misses = []
    for item in items:
        history = []
        for turn in item.turns[:-1]:
            history += [Turn("user", turn), Turn("assistant", "")]
        passages = extractive_engine.retrieve(item.turns[-1], history)
        if not any(_norm(item.gold) in _norm(p.text) for p in passages):
            misses.append(item.id)
    assert not misses, f"gold passage not retrieved for {misses}"


def test_candidates_are_re_ranked_by_their_best_sentence(built_settings, embed_model) -> None:  # type: ignore[no-untyped-def]
    """The chunk holding the one sentence that defines "convergence" opens with a list of
    goals; fused whole-chunk scores put it below 4th, its best sentence brings it up."""
    from askconvergence.answer.excerpts import ExcerptSelector
    from askconvergence.index import PassageIndex
    from askconvergence.retrieve import make_retriever

    question = 'How does Convergence Health & Technology define "convergence"?'
    gold = "integrating knowledge, expertise and methodolog"
    index = PassageIndex(built_settings)
    sentences = ExcerptSelector(embed_model)

    def top(**kwargs) -> list[str]:  # type: ignore[no-untyped-def]
        retriever = make_retriever(index, embed_model, built_settings, **kwargs)
        return [_norm(r.node.get_content()) for r in retriever.retrieve(question)]

    fused = top()
    reranked = top(sentences=sentences)
    assert len(reranked) == len(fused) == built_settings.retrieval.top_k
    assert not any(gold in text for text in fused)
    assert any(gold in text for text in reranked)
    # Its score stays the whole chunk's similarity (what the decline gate reads).
    retriever = make_retriever(index, embed_model, built_settings, sentences=sentences)
    found = next(r for r in retriever.retrieve(question) if gold in _norm(r.node.get_content()))
    deeper = make_retriever(index, embed_model, built_settings, top_k=12).retrieve(question)
    whole = {r.node.node_id: r.score for r in deeper}[found.node.node_id]
    assert found.score == pytest.approx(whole)
    # Depth 0 turns the re-ranking off.
    off = built_settings.model_copy(
        update={"retrieval": built_settings.retrieval.model_copy(update={"rerank_depth": 0})}
    )
    plain = make_retriever(index, embed_model, off, sentences=sentences)
    assert [_norm(r.node.get_content()) for r in plain.retrieve(question)] == fused


def test_a_sentence_cut_off_from_its_heading_is_scored_under_it(
    built_settings, embed_model
) -> None:  # type: ignore[no-untyped-def]
    """ac009: "The Noviotech Campus is at the heart of this ecosystem." opens a chunk after the
    "Health & High Tech Region Nijmegen" heading; scored with the title alone, its sentence
    did not say which ecosystem, and the chunk ranked 5th."""
    from askconvergence.answer.excerpts import ExcerptSelector
    from askconvergence.index import PassageIndex
    from askconvergence.retrieve import make_retriever, to_passages

    question = "What is at the heart of the Health & High Tech Region Nijmegen ecosystem?"
    retriever = make_retriever(
        PassageIndex(built_settings),
        embed_model,
        built_settings,
        sentences=ExcerptSelector(embed_model),
    )
    passages = to_passages(retriever.retrieve(question))
    found = [p for p in passages if "Noviotech Campus is at the heart" in p.text]
    assert found, [p.text[:60] for p in passages]
    assert found[0].section == "Health & High Tech Region Nijmegen"
    assert found[0].heading == f"{found[0].title} - Health & High Tech Region Nijmegen"


def test_the_decline_gate_turns_away_far_off_questions_and_lets_short_dutch_ones_through(  # type: ignore[no-untyped-def]
    built_settings, embed_model
) -> None:
    """A short Dutch follow-up rewrite scores lower than its English twin with the e5 embedder
    ("Wie heeft DORA ontwikkeld?" about 0.80); the gate is below it, and above questions the
    corpus has nothing near."""
    from askconvergence.index import PassageIndex
    from askconvergence.retrieve import decline_score, make_retriever

    retriever = make_retriever(PassageIndex(built_settings), embed_model, built_settings)

    def best(question: str) -> float:
        return max(float(r.score or 0.0) for r in retriever.retrieve(question))

    gate = decline_score(built_settings)
    for question in ("Wie heeft DORA ontwikkeld?", "Welke organisaties hebben DORA ontwikkeld?"):
        assert best(question) > gate + 0.01, question
    assert best("Who painted the Mona Lisa?") < gate - 0.01


def test_a_question_in_two_parts_gets_the_best_passage_of_each(built_settings, embed_model) -> None:  # type: ignore[no-untyped-def]
    from askconvergence.answer.excerpts import ExcerptSelector
    from askconvergence.index import PassageIndex
    from askconvergence.retrieve import make_retriever, question_parts

    question = (
        "I want to contact people in both the Twente and Utrecht health ecosystems: who is the "
        "scientific director of the TechMed Centre, and who is Director Health at Economic "
        "Board Utrecht?"
    )
    # The lead-in before the colon is context, not part of the first part.
    assert question_parts(question) == [
        "who is the scientific director of the TechMed Centre",
        "who is Director Health at Economic Board Utrecht?",
    ]
    assert question_parts("Who leads the TechMed Centre and the TechMed lab?") == []
    assert len(question_parts("Wie is de partner en wat is het doel daarvan?")) == 2

    retriever = make_retriever(
        PassageIndex(built_settings),
        embed_model,
        built_settings,
        sentences=ExcerptSelector(embed_model),
    )

    def found(split: bool) -> set[str]:
        retriever.split_parts = split
        texts = [_norm(r.node.get_content()) for r in retriever.retrieve(question)]
        return {
            name
            for name, gold in (("Rovers", "scientific director of the techmed centre"),
                               ("Weijde", "jelle van der weijde"))
            if any(gold in t for t in texts)
        }  # fmt: skip

    # Searched as a whole, the Utrecht passages crowd out the TechMed Centre one.
    assert found(split=False) == {"Weijde"}
    assert found(split=True) == {"Rovers", "Weijde"}


def test_a_list_cut_between_chunks_is_given_whole_in_one_passage(
    built_settings, embed_model
) -> None:  # type: ignore[no-untyped-def]
    """The chunker cut the three convergence principles after "built on three key defining
    principles. 1." and after "2. ... stakeholders 3."; the chunk with the lead brings the
    rest of the list, and the chunks it came from take no place of their own."""
    from askconvergence.answer.excerpts import ExcerptSelector
    from askconvergence.index import PassageIndex
    from askconvergence.retrieve import make_retriever

    index = PassageIndex(built_settings)
    retriever = make_retriever(
        index, embed_model, built_settings, sentences=ExcerptSelector(embed_model)
    )
    found = retriever.retrieve(
        "What principles does Convergence Health & Technology's approach build on?"
    )
    texts = [_norm(r.node.get_content()) for r in found]
    assert len(found) == built_settings.retrieval.top_k
    items = ("three key defining principles", "1. a holistic", "2. integrative", "3. responsible")
    assert any(all(item in text for item in items) for text in texts), texts
    assert sum("3. responsible innovation" in text for text in texts) == 1
    # The merged passage keeps its own chunk's id and score; the stored chunk is unchanged.
    stored = {n.node_id: _norm(n.get_content()) for n in index.nodes()}
    merged = next(r for r in found if "1. a holistic" in _norm(r.node.get_content()))
    assert stored[merged.node.node_id] != _norm(merged.node.get_content())
    assert stored[merged.node.node_id] in _norm(merged.node.get_content())
    # A question for one thing gets the chunks as they are.
    single = retriever.retrieve("How does Convergence Health & Technology define 'convergence'?")
    assert all(_norm(r.node.get_content()) == stored[r.node.node_id] for r in single)
    assert any("three key defining principles" in stored[r.node.node_id] for r in single)


def test_neighbouring_chunks_are_joined_with_their_overlap_once() -> None:
    from askconvergence.retrieve import _joined

    assert _joined("Built on three principles.\n\n1.", "principles.\n\n1. A holistic approach") == (
        "Built on three principles.\n\n1. A holistic approach"
    )
    assert _joined("First part.", "Second part.") == "First part.\n\nSecond part."
    assert _joined("It is the", "empty one.") == "It is the\n\nempty one."
    assert _joined("... stakeholders\n\n3.", "3. Responsible innovation") == (
        "... stakeholders\n\n3. Responsible innovation"
    )


def test_a_question_asking_the_same_of_two_names_gets_a_passage_of_each(
    built_settings, embed_model
) -> None:  # type: ignore[no-untyped-def]
    """Searched whole, "Convergence Health & Technology" outweighs the LDE partnership: every
    passage was about Convergence. Searched once without each name, both are found."""
    from askconvergence.answer.excerpts import ExcerptSelector
    from askconvergence.index import PassageIndex
    from askconvergence.retrieve import make_retriever, question_parts

    question = (
        "Which institutions are members of both Convergence Health & Technology and the LDE "
        "partnership?"
    )
    assert question_parts(question) == [
        "Which institutions are members of both Convergence Health & Technology and the "
        "partnership?",
        "Which institutions are members of both and the LDE partnership?",
    ]
    zowel = "Zowel Health Hub Utrecht als Convergence zetten in op preventie. Hoe?"
    assert question_parts(zowel)[1] == "Zowel als Convergence zetten in op preventie. Hoe?"
    # Without "both" or "each" two names are one subject ("TU Delft and Erasmus MC").
    assert question_parts("Which centre have TU Delft and Erasmus MC invested in?") == []

    retriever = make_retriever(
        PassageIndex(built_settings),
        embed_model,
        built_settings,
        sentences=ExcerptSelector(embed_model),
    )

    def found(split: bool) -> bool:
        retriever.split_parts = split
        texts = [_norm(r.node.get_content()) for r in retriever.retrieve(question)]
        return any("lde partnership (leiden university" in t for t in texts)

    assert not found(split=False)
    assert found(split=True)


def test_names_most_chunks_hold_do_not_steer_the_best_sentence(built_settings, embed_model) -> None:  # type: ignore[no-untyped-def]
    """ae002: "TU Delft, Erasmus MC and EUR" drew the best sentences to every passage naming
    the institutions, and the principles ranked fifth; without the names they are in the top 4.
    A question naming one of them asks about it and keeps it."""
    from askconvergence.answer.excerpts import ExcerptSelector
    from askconvergence.index import PassageIndex
    from askconvergence.retrieve import make_retriever

    question = (
        "what are the core principles behind the convergence approach of TU Delft, Erasmus MC "
        "and EUR?"
    )
    retriever = make_retriever(
        PassageIndex(built_settings),
        embed_model,
        built_settings,
        sentences=ExcerptSelector(embed_model),
    )

    def found() -> bool:
        texts = [_norm(r.node.get_content()) for r in retriever.retrieve(question)]
        return any("three key defining principles" in t for t in texts)

    assert found()
    assert {"TU Delft", "Erasmus MC"} <= retriever._common
    plain = retriever._without_common_names(question)
    assert "TU Delft" not in plain and "Erasmus MC" not in plain and "principles" in plain
    one = "Met welk ander universitair medisch centrum werkt Erasmus MC al intensief samen?"
    assert retriever._without_common_names(one) == one
    retriever._common = frozenset()  # as before: every name kept
    assert not found()
