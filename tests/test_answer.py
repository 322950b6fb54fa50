import json
import subprocess
import sys

import pytest

from askconvergence.answer.citations import cited_numbers, clean_markers, resolve_citations
from askconvergence.answer.language import detect_language
from askconvergence.answer.types import Passage

PANCREAS = "When is the artificial pancreas expected to become widely available?"


def _p(n: int, text: str) -> Passage:
    return Passage(n=n, doc_id=f"d{n}", title=f"T{n}", text=text, score=0.5)


def test_markers_pointing_nowhere_are_removed() -> None:
    assert clean_markers("A [1]. B [7]. C [2, 9].", {1, 2}) == "A [1]. B. C [2]."
    assert cited_numbers("A [2]. B [1, 2].") == [2, 1]


def test_sources_are_the_cited_passages_in_order() -> None:
    passages = [_p(1, "alpha"), _p(2, "beta"), _p(3, "gamma")]
    text, cited = resolve_citations("Gamma fact [3]. Alpha fact [1]. Bad [5].", passages)
    # Sources are renumbered in the order the answer cites them; [5] pointed nowhere.
    assert [(p.n, p.text) for p in cited] == [(1, "gamma"), (2, "alpha")]
    assert text == "Gamma fact [1]. Alpha fact [2]. Bad."


def test_uncited_answer_is_attributed_to_the_passage_it_overlaps() -> None:
    passages = [_p(1, "Micronit is based in Enschede"), _p(2, "Health Hub Utrecht partners")]
    text, cited = resolve_citations("Micronit is based in Enschede.", passages)
    assert [p.n for p in cited] == [1] and text.endswith("[1].")


def test_language_detection() -> None:
    assert detect_language("Welke instellingen werken samen binnen Convergence?") == "nl"
    assert detect_language("Which institutions work together in Convergence?") == "en"


def test_extractive_backend_answers_with_a_citation(extractive_engine) -> None:  # type: ignore[no-untyped-def]
    answer = extractive_engine.ask(PANCREAS)
    assert answer.grounded
    assert "2024" in answer.answer
    assert answer.citations and all(f"[{p.n}]" in answer.answer for p in answer.citations)
    assert any("widely available in 2024" in p.text for p in answer.citations)


def test_off_topic_question_is_declined_without_citations(extractive_engine) -> None:  # type: ignore[no-untyped-def]
    answer = extractive_engine.ask("What is the recipe for Mongolian yak butter tea?")
    assert not answer.grounded
    assert answer.citations == []
    assert "documents don't say" in answer.answer


def test_dutch_decline_is_in_dutch(extractive_engine) -> None:  # type: ignore[no-untyped-def]
    answer = extractive_engine.ask("Wat is het recept voor Mongoolse boterthee met jak?")
    assert not answer.grounded and "niet in de documenten" in answer.answer


def test_empty_question_is_refused(extractive_engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="empty"):
        extractive_engine.ask("   ")


def test_ask_json_shape_from_the_cli(built_settings) -> None:  # type: ignore[no-untyped-def]
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "askconvergence",
            "--index-dir",
            str(built_settings.index_dir),
            "--backend",
            "extractive",
            "ask",
            "--json",
            PANCREAS,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    data = json.loads(out.stdout)
    assert set(data) == {"question", "answer", "grounded", "citations", "timings"}
    assert data["question"] == PANCREAS and data["grounded"] is True
    assert data["citations"] and set(data["citations"][0]) == {
        "n",
        "doc_id",
        "title",
        "text",
        "score",
    }
    assert data["citations"][0]["doc_id"] == "techmed-medical-technology-east-netherlands.md"


def test_missing_index_gives_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "askconvergence",
            "--index-dir",
            str(tmp_path / "none"),
            "--backend",
            "extractive",
            "ask",
            "anything",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1
    assert "askconvergence index" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.slow
def test_real_local_model_answers_the_pancreas_question(
    built_settings, embed_model, local_llm
) -> None:  # type: ignore[no-untyped-def]
    from askconvergence.answer.engine import Engine
    from askconvergence.index import PassageIndex
    from askconvergence.models.factory import make_excerpts
    from askconvergence.retrieve import make_retriever

    excerpts = make_excerpts(built_settings, embed_model)
    retriever = make_retriever(
        PassageIndex(built_settings), embed_model, built_settings, sentences=excerpts
    )
    engine = Engine(built_settings, retriever, local_llm, excerpts)
    answer = engine.ask(PANCREAS)
    assert answer.grounded, answer.answer
    assert "2024" in answer.answer
    assert any(
        p.doc_id == "techmed-medical-technology-east-netherlands.md" for p in answer.citations
    )


@pytest.mark.slow
def test_real_local_model_reports_how_likely_it_was_to_decline(local_llm) -> None:  # type: ignore[no-untyped-def]
    from llama_index.core.llms import ChatMessage, MessageRole

    from askconvergence.answer.prompts import DECLINE_STARTS, DECLINE_TOKEN, SYSTEM_PROMPT

    def odds(question: str) -> tuple[str, dict[str, float]]:
        messages = [
            ChatMessage(role=MessageRole.SYSTEM, content=SYSTEM_PROMPT),
            ChatMessage(
                role=MessageRole.USER,
                content="Passages:\n\n[1] (Micronit)\nMicronit is based in Enschede.\n\n"
                f"Question: {question}",
            ),
        ]
        text, seen = "", {}
        for response in local_llm.stream_chat(
            messages, max_tokens=8, first_token_odds=DECLINE_STARTS
        ):
            text = response.message.content
            seen = response.additional_kwargs["odds"]
        return text, seen

    text, answered = odds("Where is Micronit based?")
    assert DECLINE_TOKEN not in text and set(answered) == set(DECLINE_STARTS)
    text, declined = odds("How many employees does Micronit have?")
    assert text.startswith(DECLINE_TOKEN)
    # The reply the model chose is the likelier one, and probabilities stay probabilities.
    assert sum(declined.values()) > sum(answered.values())
    assert 0.0 <= sum(answered.values()) < 0.5 < sum(declined.values()) <= 1.0
    # Without the keyword nothing is computed or reported.
    plain = list(
        local_llm.stream_chat(
            messages=[ChatMessage(role=MessageRole.USER, content="Hi")], max_tokens=2
        )
    )
    assert all("odds" not in r.additional_kwargs for r in plain)


@pytest.mark.slow
def test_real_local_model_answers_alike_whatever_was_asked_before(local_llm) -> None:  # type: ignore[no-untyped-def]
    """The model's odds for a prompt are the same asked first, after a prompt sharing most of
    it, and again: llama.cpp reuses only state that does not depend on what came before."""
    from llama_index.core.llms import ChatMessage, MessageRole

    from askconvergence.answer.prompts import DECLINE_STARTS, SYSTEM_PROMPT

    passages = (
        "Passages:\n\n[1] (Health & Technology)\nOur healthcare system is under pressure. The "
        "costs are growing, and staffing has become increasingly difficult.\n\n[2] (TechMed)\n"
        "By 2030, the shortage of healthcare personnel will reach 135,000.\n\n"
    )

    def odds(question: str) -> dict[str, float]:
        messages = [
            ChatMessage(role=MessageRole.SYSTEM, content=SYSTEM_PROMPT),
            ChatMessage(role=MessageRole.USER, content=f"{passages}Question: {question}"),
        ]
        seen: dict[str, float] = {}
        for response in local_llm.stream_chat(
            messages, max_tokens=2, first_token_odds=DECLINE_STARTS
        ):
            seen = response.additional_kwargs["odds"]
        return seen

    asked = "What shortage of healthcare personnel is expected by 2030?"
    first = odds(asked)
    odds(f"Staffing is becoming difficult. {asked}")  # shares all but the question's end
    assert odds(asked) == first
    assert odds(asked) == first  # the same prompt again reuses its own state
