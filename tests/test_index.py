from pathlib import Path

import pytest

from askconvergence.index import (
    EMBED_WINDOW,
    IndexMismatchError,
    PassageIndex,
    build_index,
    make_splitter,
)
from askconvergence.ingest import load_corpus
from askconvergence.models.factory import embedder_tokenizer
from askconvergence.settings import Settings
from tests.conftest import CORPUS, make_settings


def test_corpus_documents_carry_metadata() -> None:
    docs = load_corpus(CORPUS)
    assert len(docs) == 5
    for doc in docs:
        assert doc.title and doc.source and doc.language == "en"
        assert "This website uses cookies" not in doc.text
        assert "Back to top" not in doc.text


def test_every_chunk_fits_the_embedder_window(built_settings) -> None:  # type: ignore[no-untyped-def]
    tokenizer = embedder_tokenizer(built_settings)
    nodes = PassageIndex(built_settings).nodes()
    assert len(nodes) > 10
    for node in nodes:
        text = node.get_content(metadata_mode="embed")  # what the embedder actually reads
        pieces = tokenizer(text, add_special_tokens=True)["input_ids"]
        assert len(pieces) <= EMBED_WINDOW, (len(pieces), text[:80])


def test_building_twice_keeps_the_same_chunk_ids(tmp_path: Path, embed_model) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path / "index")
    first = build_index(settings, embed_model)
    ids_first = sorted(PassageIndex(settings).collection.get(include=[])["ids"])
    second = build_index(settings, embed_model)
    ids_second = sorted(PassageIndex(settings).collection.get(include=[])["ids"])
    assert first.embedded == first.chunks > 0
    assert second.embedded == 0
    assert ids_first == ids_second
    # A fresh build elsewhere gives the very same ids: they come from content, not chance.
    other = make_settings(tmp_path / "other")
    build_index(other, embed_model)
    assert sorted(PassageIndex(other).collection.get(include=[])["ids"]) == ids_first


def test_edit_and_delete_are_reflected(corpus_copy: Path, tmp_path: Path, embed_model) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path / "index", corpus_dir=corpus_copy)
    build_index(settings, embed_model)
    (corpus_copy / "health-hub-utrecht-finland-netherlands.md").unlink()
    target = corpus_copy / "about-health-and-technology.md"
    target.write_text(target.read_text() + "\nThe zebra-striped mascot is called Conny.\n")
    stats = build_index(settings, embed_model)
    texts = PassageIndex(settings).collection.get(include=["documents"])["documents"]
    assert not any("Health Hub Utrecht" in t for t in texts)
    assert any("Conny" in t for t in texts)
    assert stats.deleted > 0 and stats.embedded > 0


def test_opening_with_another_embedding_model_names_the_rebuild_command(built_settings) -> None:  # type: ignore[no-untyped-def]
    other = built_settings.model_copy(
        update={"embed": built_settings.embed.model_copy(update={"model": "/some/other-model"})}
    )
    with pytest.raises(IndexMismatchError, match="askconvergence index"):
        PassageIndex(other)


def test_chunk_size_beyond_the_window_is_refused(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    settings = settings.model_copy(
        update={"embed": settings.embed.model_copy(update={"chunk_size": 300})}
    )
    with pytest.raises(ValueError, match="window"):
        make_splitter(settings)


def test_nodes_are_read_in_pages_and_all_come_back(
    built_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large collection is read page by page (one query would exceed SQLite's variable limit)."""
    from askconvergence.index import PassageIndex, store

    index = PassageIndex(built_settings)
    whole = {n.node_id: n.get_content() for n in index.nodes()}
    monkeypatch.setattr(store, "NODE_PAGE", 7)  # 31 chunks: five pages, the last one short
    paged = index.nodes()
    assert len(paged) == index.count() == len(whole)
    assert {n.node_id: n.get_content() for n in paged} == whole


def test_a_list_item_cut_off_from_its_number_gets_it_again() -> None:
    from askconvergence.index.build import chunk_documents, make_splitter

    docs = {d.doc_id: d for d in load_corpus(CORPUS)}
    doc = docs["mission-and-convergence-principles.md"]
    chunks = chunk_documents([doc], make_splitter(Settings()))
    # The splitter reads "3." as a sentence and ends a chunk with it.
    assert any(c.text.rstrip().endswith("\n3.") for c in chunks)
    third = next(c for c in chunks if "Take into account the end-user" in c.text)
    assert third.text.startswith("3. Responsible innovation")
    assert third.embed_text.count("3. Responsible innovation") == 1


def test_a_chunk_cut_off_from_its_heading_carries_it() -> None:
    from askconvergence.index.build import chunk_documents, headings, make_splitter

    docs = {d.doc_id: d for d in load_corpus(CORPUS)}
    doc = docs["techmed-medical-technology-east-netherlands.md"]
    found = [h for _, h in headings(doc.text)]
    assert "Health & High Tech Region Nijmegen" in found and "MedTech Twente" in found
    assert not any(h.endswith(".") for h in found)  # sentences are never headings
    chunks = chunk_documents([doc], make_splitter(Settings()))
    noviotech = next(c for c in chunks if "Noviotech Campus is at the heart" in c.text)
    assert "Nijmegen" not in noviotech.text  # the heading is in the previous chunk
    assert noviotech.metadata["section"] == "Health & High Tech Region Nijmegen"
    assert "Health & High Tech Region Nijmegen" in noviotech.embed_text
    # A chunk never carries the document's title as its section (the title is there already).
    assert all(c.metadata.get("section", "") != doc.title for c in chunks)
