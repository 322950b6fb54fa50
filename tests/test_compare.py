"""A question that compares two names gets each one's own sentence on its topic."""

from __future__ import annotations

from askconvergence.answer.compare import compared_names, quote_sides, sides, with_sides
from askconvergence.answer.types import Passage


def test_the_names_a_question_compares() -> None:
    asked = "Both Convergence Health & Technology and Health Hub Utrecht mention prevention."
    assert compared_names(asked) == ("Convergence Health & Technology", "Health Hub Utrecht")
    coalitions = (
        "Prevention features both in the Convergence mission and in Health Hub Utrecht's "
        "working coalitions. What form does it take in each?"
    )
    assert compared_names(coalitions) == ("Convergence", "Health Hub Utrecht")
    dutch = "Zowel Health Hub Utrecht als Convergence Health & Technology noemen gelijkheid."
    assert compared_names(dutch) == ("Health Hub Utrecht", "Convergence Health & Technology")
    # What is in the two at once is no comparison; nor is one name, or no "each".
    assert compared_names("Which institutions are part of both LDE and Convergence?") is None
    assert compared_names("Which institutions belong both to LDE and to Convergence?") is None
    assert compared_names("What do TU Delft and Erasmus MC study?") is None


def test_each_side_gets_its_own_documents_sentence(built_settings, embed_model) -> None:  # type: ignore[no-untyped-def]
    """af021, ah020: the small model gave one side's prevention to the other; each side's
    sentence comes from its own document. A topic neither side's sentence shares a word with
    gives nothing."""
    from llama_index.core.schema import QueryBundle

    from askconvergence.answer.excerpts import ExcerptSelector
    from askconvergence.index import PassageIndex
    from askconvergence.retrieve import make_retriever, to_passages

    retriever = make_retriever(PassageIndex(built_settings), embed_model, built_settings)
    selector = ExcerptSelector(embed_model)

    def retrieve(query: str) -> list[Passage]:
        return to_passages(retriever.retrieve(QueryBundle(query)))

    asked = (
        "Convergence Health & Technology and Health Hub Utrecht both talk about prevention. "
        "How does each of them go about it?"
    )
    found = sides(asked, retrieve, selector)
    assert [name for name, _, _ in found] == [
        "Convergence Health & Technology",
        "Health Hub Utrecht",
    ]
    assert "early diagnostics" in found[0][2]
    assert "Convergence" in found[0][1].source
    assert "neighborhood focused prevention" in found[1][2]
    assert "Health Hub Utrecht" in found[1][1].source
    equality = (
        "What do Convergence Health & Technology and Health Hub Utrecht each say on equality?"
    )
    said = [sentence for _, _, sentence in sides(equality, retrieve, selector)]
    assert "Socio-economic equality" in said[0] and "Equal opportunities" in said[1]
    # z032: no title holds "East Netherlands MedTech"; the article that names it does, and
    # its sentence on 2030 is in a chunk that does not repeat the region.
    year = (
        "What do the East Netherlands MedTech article and the Health Hub Utrecht article "
        "each say about the year 2030?"
    )
    said = [sentence for _, _, sentence in sides(year, retrieve, selector)]
    assert "135,000" in said[0] and "circle of life" in said[1]
    unasked = "What do Convergence Health & Technology and Health Hub Utrecht each pay interns?"
    assert sides(unasked, retrieve, selector) == []


def test_a_side_the_answer_leaves_out_is_quoted_and_cited() -> None:
    mission = Passage(1, "m", "Mission", "- Prevention and early diagnostics", 0.8, chunk_id="m1")
    hub = Passage(
        3, "h", "Hub", "It has built coalitions on neighborhood prevention.", 0.7, chunk_id="h1"
    )
    found = [
        ("Convergence", mission, "Prevention and early diagnostics"),
        ("Health Hub Utrecht", hub, "It has built coalitions on neighborhood prevention."),
    ]
    answer = "Convergence stresses prevention and early diagnostics [1]."
    text, cited = with_sides(answer, [mission], found, "What does each stress?", "en")
    assert text == (
        f"{answer}\n\nIn the documents: Health Hub Utrecht: “It has built coalitions on "
        "neighborhood prevention” [2]."
    )
    assert [(c.chunk_id, c.n) for c in cited] == [("m1", 1), ("h1", 2)]
    # An answer that gives both sides is left as it is.
    both = f"{answer} Health Hub Utrecht has built coalitions on neighborhood prevention [2]."
    assert with_sides(both, [mission, hub], found, "What does each stress?", "en") == (
        both,
        [mission, hub],
    )


def test_a_declined_comparison_quotes_each_side_where_a_passage_holds_it() -> None:
    mission = Passage(2, "m", "Mission", "- Prevention and early diagnostics", 0.8, chunk_id="m1")
    about = Passage(4, "a", "About", "We strive for: - Prevention and early diagnostics", 0.8)
    hub = Passage(1, "h", "Hub", "Coalitions on neighborhood prevention.", 0.7, chunk_id="h1")
    found = [
        ("Convergence", mission, "Prevention and early diagnostics"),
        ("Health Hub Utrecht", hub, "Coalitions on neighborhood prevention."),
    ]
    assert quote_sides(found, [hub, mission], "nl") == (
        "De documenten zeggen: Convergence: “Prevention and early diagnostics” [2]. "
        "Health Hub Utrecht: “Coalitions on neighborhood prevention” [1]."
    )
    # Another passage holding the same sentence is cited instead; none holding it, no quote.
    assert "” [4]. Health Hub" in quote_sides(found, [hub, about], "en")
    assert quote_sides(found, [hub], "en") == ""
