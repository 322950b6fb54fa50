"""Which members two groups share, or which one has that the other lacks."""

from __future__ import annotations

from askconvergence.answer.members import group_names, membership, membership_answer
from askconvergence.answer.types import Passage

CHT = Passage(
    1,
    "a",
    "About Health & Technology",
    "Three leading institutes; TU Delft, Erasmus University Rotterdam and Erasmus MC, have "
    "joined forces within Convergence Health & Technology.",
    0.9,
    chunk_id="a1",
)
LDE = Passage(
    2,
    "l",
    "Delft University of Technology, Erasmus University Rotterdam and Erasmus MC",
    "This intensified collaboration between Erasmus MC and TU Delft will also give further "
    "shape to the LDE partnership (Leiden University, TU Delft and EUR).",
    0.8,
    chunk_id="l1",
)


def _none(query: str) -> list[Passage]:
    return []


def test_the_groups_a_question_names() -> None:
    assert group_names(
        "Which institutions are part of both Convergence Health & Technology and the LDE "
        "partnership?"
    ) == ["Convergence Health & Technology", "LDE"]
    # "Convergence" is the group named in full before.
    assert group_names(
        "The LDE partnership and Convergence Health & Technology overlap. Which LDE "
        "university is not one of the three Convergence partners?"
    ) == ["LDE", "Convergence Health & Technology"]
    assert group_names("Welke partner van Convergence hoort niet bij het LDE-partnerschap?") == [
        "Convergence",
        "LDE-partnerschap",
    ]
    assert group_names("Who directs Health Valley?") == []


def test_shared_members_are_matched_by_their_initials() -> None:
    asked = "Which institutions are part of both Convergence Health & Technology and LDE?"
    found = membership(asked, _none, [CHT, LDE])
    assert found is not None
    groups, members, kind = found
    assert kind == "both"
    assert members == ["TU Delft", "Erasmus University Rotterdam (EUR)"]
    assert [g.listed for g in groups] == [
        "TU Delft, Erasmus University Rotterdam and Erasmus MC",
        "Leiden University, TU Delft and EUR",
    ]
    assert membership_answer(found, {"a1": 1, "l1": 2}, "en") == (
        "In both: TU Delft and Erasmus University Rotterdam (EUR) [1] [2]. The documents list "
        "Convergence Health & Technology: “TU Delft, Erasmus University Rotterdam and Erasmus "
        "MC” [1] and LDE: “Leiden University, TU Delft and EUR” [2]."
    )


def test_the_member_the_group_after_not_lacks() -> None:
    cht_first = (
        "Which member of Convergence Health & Technology is not part of the LDE partnership?"
    )
    found = membership(cht_first, _none, [CHT, LDE])
    assert found is not None and found[1:] == (["Erasmus MC"], "not")
    lde_first = "Welke LDE-universiteit hoort niet bij Convergence Health & Technology?"
    found = membership(lde_first, _none, [CHT, LDE])
    assert found is not None and found[1:] == (["Leiden University"], "not")
    assert membership_answer(found, {"a1": 1, "l1": 2}, "nl").startswith(
        "In LDE-universiteit maar niet in Convergence Health & Technology: Leiden University"
    )


def test_no_answer_without_both_lists_or_a_membership_question() -> None:
    both = "Which institutions are part of both Convergence Health & Technology and LDE?"
    assert membership(both, _none, [CHT]) is None
    assert membership("What do Convergence and LDE both study?", _none, [CHT, LDE]) is None
    assert membership("Which partners does Convergence have?", _none, [CHT, LDE]) is None


def test_a_list_only_in_the_passages_of_a_groups_own_name(built_settings, embed_model) -> None:  # type: ignore[no-untyped-def]
    """ah008: the LDE list was in no passage retrieved for the whole question; it is in those
    retrieved for the group's name."""
    from llama_index.core.schema import QueryBundle

    from askconvergence.index import PassageIndex
    from askconvergence.retrieve import make_retriever, to_passages

    retriever = make_retriever(PassageIndex(built_settings), embed_model, built_settings)

    def retrieve(query: str) -> list[Passage]:
        return to_passages(retriever.retrieve(QueryBundle(query)))

    asked = (
        "Which of the three Convergence Health & Technology institutions is not part of the "
        "LDE partnership?"
    )
    found = membership(asked, retrieve, retrieve(asked))
    assert found is not None and found[1:] == (["Erasmus MC"], "not")
