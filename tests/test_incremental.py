"""Incremental updates: only changes are embedded, renames re-embed nothing, one writer."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from askconvergence.index import (
    IndexBusyError,
    IndexMismatchError,
    PassageIndex,
    build_index,
    collection_name,
    current_generation,
)
from askconvergence.index.store import write_lock
from askconvergence.settings import Settings
from tests.conftest import make_settings
from tests.indexing import TEXTS, snapshot, vectors, write_doc


@pytest.fixture()
def small(tmp_path: Path) -> Settings:
    """Settings over a three-document corpus in a tmp dir."""
    corpus = tmp_path / "corpus"
    for i, name in enumerate(["a.md", "b.md", "sub/c.md"]):
        write_doc(corpus, name, TEXTS[i])
    return make_settings(tmp_path / "index", corpus_dir=corpus)


def test_no_change_writes_nothing_even_when_file_dates_change(
    small: Settings, embed_model: Any
) -> None:
    first = build_index(small, embed_model)
    for path in small.corpus_dir.rglob("*.md"):
        os.utime(path, (2_000_000_000, 2_000_000_000))
    second = build_index(small, embed_model)
    assert first.changed and first.embedded == 3
    assert not second.changed and second.embedded == 0
    assert second.generation == first.generation == current_generation(small.index_dir)


def test_a_rename_re_embeds_nothing_and_keeps_the_vectors(
    small: Settings, embed_model: Any
) -> None:
    build_index(small, embed_model)
    before = vectors(small)
    old_texts = snapshot(small)
    (small.corpus_dir / "sub" / "c.md").rename(small.corpus_dir / "renamed.md")
    stats = build_index(small, embed_model)
    assert stats.embedded == 0 and stats.added == 1 and stats.deleted == 1
    after = snapshot(small)
    assert sorted(t for t, _ in after.values()) == sorted(t for t, _ in old_texts.values())
    assert {d for _, d in after.values()} == {"a.md", "b.md", "renamed.md"}
    moved = next(cid for cid, (_, d) in after.items() if d == "renamed.md")
    old = next(cid for cid, (_, d) in old_texts.items() if d == "sub/c.md")
    assert np.allclose(vectors(small)[moved], before[old])


def test_edit_and_delete_touch_only_their_documents(small: Settings, embed_model: Any) -> None:
    build_index(small, embed_model)
    write_doc(small.corpus_dir, "a.md", TEXTS[3])
    (small.corpus_dir / "b.md").unlink()
    stats = build_index(small, embed_model)
    assert stats.embedded == 1 and stats.deleted == 2 and stats.added == 1
    texts = {t for t, _ in snapshot(small).values()}
    assert texts == {TEXTS[3], TEXTS[2]}


def test_an_unreadable_file_is_named_and_the_rest_is_indexed(
    small: Settings, embed_model: Any
) -> None:
    (small.corpus_dir / "broken.docx").write_bytes(b"not a zip file")
    stats = build_index(small, embed_model)
    assert stats.unreadable == ("broken.docx",)
    assert "broken.docx" in stats.summary()
    assert stats.documents == 3 and len(snapshot(small)) == 3


def test_an_old_generation_stays_readable_after_a_new_one_is_published(
    small: Settings, embed_model: Any
) -> None:
    build_index(small, embed_model)
    reader = PassageIndex(small)
    write_doc(small.corpus_dir, "d.md", TEXTS[4])
    build_index(small, embed_model)
    assert reader.count() == 3  # the reader keeps its consistent, older view
    assert not reader.is_current()
    fresh = PassageIndex(small)
    assert fresh.count() == 4 and fresh.generation != reader.generation
    reader.close()
    fresh.close()


class _FailingCollection:
    """A real collection whose writes fail at one chosen step, like a full disk would."""

    def __init__(self, collection: Any, fail: str) -> None:
        self._collection = collection
        self._fail = fail

    def upsert(self, **kwargs: Any) -> None:
        if self._fail == "upsert":
            raise OSError("No space left on device")
        self._collection.upsert(**kwargs)

    def __getattr__(self, name: str) -> Any:
        if name == "count" and self._fail == "count":
            return lambda: -1
        return getattr(self._collection, name)


@pytest.mark.parametrize("fail", ["upsert", "count"])
def test_a_failed_write_raises_keeps_the_published_index_and_leaves_nothing(
    small: Settings, embed_model: Any, monkeypatch: pytest.MonkeyPatch, fail: str
) -> None:
    import askconvergence.index.build as build

    first = build_index(small, embed_model)
    before = snapshot(small)
    write_doc(small.corpus_dir, "d.md", TEXTS[3])
    real_open = build.open_chroma

    def failing_open(path: Path) -> Any:
        client = real_open(path)
        real_get = client.get_or_create_collection
        client.get_or_create_collection = lambda *a, **k: _FailingCollection(
            real_get(*a, **k), fail
        )
        return client

    monkeypatch.setattr(build, "open_chroma", failing_open)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            build_index(small, embed_model)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive(), "the build hung after its writer failed"
    assert len(errors) == 1 and isinstance(errors[0], OSError | RuntimeError)
    assert current_generation(small.index_dir) == first.generation
    assert snapshot(small) == before
    assert sorted(p.name for p in small.index_dir.glob("gen-*")) == [first.generation]
    monkeypatch.setattr(build, "open_chroma", real_open)
    stats = build_index(small, embed_model)
    assert stats.added == 1 and stats.embedded == 0  # the failed build's vector was kept


def test_a_failure_after_publishing_keeps_the_published_generation(
    small: Settings, embed_model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import askconvergence.index.build as build

    first = build_index(small, embed_model)
    write_doc(small.corpus_dir, "d.md", TEXTS[3])

    def tidy_up_fails(index_dir: Path) -> None:
        raise OSError("Permission denied")

    monkeypatch.setattr(build, "_remove_legacy_layout", tidy_up_fails)
    with pytest.raises(OSError, match="Permission denied"):
        build_index(small, embed_model)
    published = current_generation(small.index_dir)
    assert published is not None and published != first.generation
    assert (small.index_dir / published).is_dir()
    assert {doc for _, doc in snapshot(small).values()} == {"a.md", "b.md", "sub/c.md", "d.md"}


def test_a_chunk_whose_embedded_text_changes_is_written_again(
    small: Settings, embed_model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import askconvergence.index.build as build

    first = build_index(small, embed_model)
    # A new parser version that gives every chunk a section heading: same ids, new vectors.
    monkeypatch.setattr(build, "PARSER_VERSION", build.PARSER_VERSION + 1)
    monkeypatch.setattr(build, "headings", lambda text: [(-1, "Zebra facts")])
    stats = build_index(small, embed_model)
    assert stats.changed and stats.added == first.chunks and stats.embedded == first.chunks
    index = PassageIndex(small)
    assert index.count() == first.chunks
    assert {n.metadata.get("section") for n in index.nodes()} == {"Zebra facts"}
    index.close()


def test_changing_the_embedding_model_builds_a_new_collection(
    small: Settings, embed_model: Any
) -> None:
    from askconvergence.models.factory import PACKAGED_EMBEDDER as PACKAGED
    from askconvergence.models.factory import resolve_embed_path

    build_index(small, embed_model)
    other = small.model_copy(
        update={"embed": small.embed.model_copy(update={"model": resolve_embed_path(PACKAGED)})}
    )
    assert collection_name(other) != collection_name(small)
    stats = build_index(other, embed_model)
    # Nothing is taken over from the other model's collection or embedding cache.
    assert stats.embedded == 3 and stats.added == 3 and stats.deleted == 0
    index = PassageIndex(other)
    assert index.collection.name == collection_name(other)
    index.close()
    with pytest.raises(IndexMismatchError, match="askconvergence index"):
        PassageIndex(small)


def test_a_second_writer_is_refused_or_waits(small: Settings, embed_model: Any) -> None:
    build_index(small, embed_model)
    write_doc(small.corpus_dir, "d.md", TEXTS[4])
    stages: list[str] = []
    with write_lock(small.index_dir):
        with pytest.raises(IndexBusyError, match="Another rebuild .* is running"):
            build_index(small, embed_model, wait=False)
        waiting = threading.Thread(
            target=build_index,
            args=(small, embed_model),
            kwargs={"progress": lambda stage, *_: stages.append(stage)},
        )
        waiting.start()
        time.sleep(1.0)
        assert stages == ["waiting"]  # blocked on the lock, nothing written yet
        assert len(snapshot(small)) == 3
    waiting.join(60)
    assert stages[-1] == "done"
    assert len(snapshot(small)) == 4


def test_rebuild_starts_from_an_empty_collection_with_cached_vectors(
    small: Settings, embed_model: Any
) -> None:
    build_index(small, embed_model)
    before = snapshot(small)
    stats = build_index(small, embed_model, rebuild=True)
    assert stats.changed and stats.embedded == 0 and stats.added == 3
    assert snapshot(small) == before


# --- property: any history of edits, then an update, equals a fresh build -----------------

NAMES = ["a.md", "b.txt", "sub/c.md", "sub/deeper/d.md", "e.md"]
OPS = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(NAMES), st.integers(0, len(TEXTS) - 1)),
    st.tuples(st.just("append"), st.sampled_from(NAMES), st.integers(0, len(TEXTS) - 1)),
    st.tuples(st.just("rename"), st.sampled_from(NAMES), st.sampled_from(NAMES)),
    st.tuples(st.just("delete"), st.sampled_from(NAMES), st.just(0)),
    st.tuples(st.just("update"), st.just(""), st.just(0)),
)


def _apply(corpus: Path, op: tuple[str, str, object]) -> None:
    kind, name, arg = op
    path = corpus / name
    if kind == "write":
        write_doc(corpus, name, TEXTS[int(str(arg))])
    elif kind == "append" and path.exists():
        path.write_text(path.read_text() + "\n" + TEXTS[int(str(arg))] + "\n")
    elif kind == "rename" and path.exists() and name != arg:
        target = corpus / str(arg)
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)
    elif kind == "delete" and path.exists():
        path.unlink()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(initial=st.sets(st.sampled_from(NAMES), max_size=3), ops=st.lists(OPS, max_size=8))
def test_any_history_then_an_update_equals_a_fresh_build(
    initial: set[str], ops: list[tuple[str, str, object]], embed_model: Any
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpus = root / "corpus"
        corpus.mkdir()
        for i, name in enumerate(sorted(initial)):
            write_doc(corpus, name, TEXTS[i])
        live = make_settings(root / "index", corpus_dir=corpus)
        build_index(live, embed_model)
        for op in ops:
            if op[0] == "update":
                build_index(live, embed_model)
            else:
                _apply(corpus, op)
        build_index(live, embed_model)

        fresh_corpus = root / "fresh-corpus"
        shutil.copytree(corpus, fresh_corpus)
        fresh = make_settings(root / "fresh", corpus_dir=fresh_corpus)
        build_index(fresh, embed_model)

        assert snapshot(live) == snapshot(fresh)
        got, want = vectors(live), vectors(fresh)
        assert all(np.allclose(got[k], want[k], atol=1e-5) for k in want)


def test_the_embedding_cache_keeps_vectors_by_text_and_forgets_dead_ones(tmp_path: Path) -> None:
    from askconvergence.index.cache import EmbeddingCache, text_key

    cache = EmbeddingCache(tmp_path, "some-model")
    keys = [text_key(t) for t in TEXTS[:3]]
    cache.put(zip(keys, np.eye(3, 4), strict=True))
    assert cache.missing([*keys, text_key("new text")]) == {text_key("new text")}
    assert np.allclose(cache.get(keys[1:2])[keys[1]], [0, 1, 0, 0])
    assert cache.prune({keys[0]}) == 2 and cache.count() == 1
    cache.close()
    other = EmbeddingCache(tmp_path, "another-model")  # vectors of two models never mix
    assert other.missing(keys) == set(keys)
    other.close()
