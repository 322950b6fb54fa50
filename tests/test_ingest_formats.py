"""Every supported format yields text and metadata; others are skipped; a broken file is named."""

import logging
import os
from pathlib import Path

import pytest

from askconvergence.ingest import load_corpus, scan_corpus


def write_pdf(path: Path, text: str, title: str | None = None) -> None:
    """A real PDF written with fpdf2."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    if title:
        pdf.set_title(title)
    pdf.multi_cell(0, 8, text)
    pdf.output(str(path))


def write_docx(path: Path, paragraphs: list[str], title: str = "", language: str = "") -> None:
    """A real Word document written with python-docx."""
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.language = language
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(str(path))


HTML = """<!doctype html>
<html lang="nl-NL"><head><title>Zebra's in Delft</title><script>var tracking = 1;</script>
<meta name="source" content="Example page"></head>
<body><nav>Home | Over ons | Contact</nav>
<h1>Zebra's in Delft</h1>
<p>De zebra van het lab heet <b>Conny</b> en zij houdt van pannenkoeken.</p>
<ul><li>Eerste punt</li><li>Tweede punt</li></ul>
<p>This website uses cookies.</p>
<footer>Copyright footer text</footer></body></html>
"""


@pytest.fixture()
def mixed_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    (corpus / "deep" / "er").mkdir(parents=True)
    (corpus / "notes.txt").write_text("Plain text about the Medical Delta.\n")
    (corpus / "front.md").write_text(
        "---\ntitle: Front matter title\nsource: A source line\nlanguage: en\n---\nBody text.\n"
    )
    (corpus / "deep" / "er" / "page.html").write_text(HTML)
    write_pdf(corpus / "deep" / "report.pdf", "The PDF says the pilot starts in 2027.", "PDF title")
    write_docx(
        corpus / "memo.docx",
        ["Het memo noemt de zebra Conny.", "Tweede alinea."],
        title="Memo title",
        language="nl-NL",
    )
    (corpus / "memo.docx.yaml").write_text("source: Sidecar source\ntitle: Sidecar title\n")
    (corpus / "image.png").write_bytes(b"\x89PNG\r\n")
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    return corpus


def test_every_format_is_read_with_its_metadata(
    mixed_corpus: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        docs = {d.doc_id: d for d in load_corpus(mixed_corpus)}
    assert set(docs) == {
        "notes.txt",
        "front.md",
        "deep/er/page.html",
        "deep/report.pdf",
        "memo.docx",
    }
    assert docs["front.md"].title == "Front matter title"
    assert docs["front.md"].source == "A source line"
    assert "Plain text about the Medical Delta." in docs["notes.txt"].text

    page = docs["deep/er/page.html"]
    assert page.title == "Zebra's in Delft" and page.language == "nl"
    assert page.source == "Example page"
    assert "Conny en zij houdt van pannenkoeken" in page.text
    for gone in ("tracking", "Over ons", "Copyright footer", "cookies"):
        assert gone not in page.text

    assert docs["deep/report.pdf"].title == "PDF title"
    assert "pilot starts in 2027" in docs["deep/report.pdf"].text

    memo = docs["memo.docx"]
    assert memo.title == "Sidecar title"  # the sidecar wins over the file's own properties
    assert memo.source == "Sidecar source" and memo.language == "nl"
    assert "zebra Conny" in memo.text and "Tweede alinea." in memo.text

    messages = caplog.text
    assert "image.png" in messages and "unsupported" in messages
    assert "broken.pdf" in messages


def test_language_is_guessed_when_no_metadata_says_it(tmp_path: Path) -> None:
    (tmp_path / "nl.txt").write_text("Dit is een tekst over de samenwerking van de universiteiten.")
    (tmp_path / "en.txt").write_text("This is a text about the collaboration of the universities.")
    docs = {d.doc_id: d for d in load_corpus(tmp_path)}
    assert docs["nl.txt"].language == "nl"
    assert docs["en.txt"].language == "en"


def test_change_is_detected_by_content_not_by_file_dates(mixed_corpus: Path) -> None:
    before = {f.doc_id: f.digest for f in scan_corpus(mixed_corpus)}
    for path in mixed_corpus.rglob("*"):
        if path.is_file():
            os.utime(path, (1_000_000_000, 1_000_000_000))
    assert {f.doc_id: f.digest for f in scan_corpus(mixed_corpus)} == before

    (mixed_corpus / "memo.docx.yaml").write_text("title: Another title\n")
    after = {f.doc_id: f.digest for f in scan_corpus(mixed_corpus)}
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"memo.docx"}  # a sidecar edit is an edit of its document


def test_hidden_files_and_the_corpus_readme_are_not_documents(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("About this folder.")
    (tmp_path / ".draft.md").write_text("hidden")
    (tmp_path / "~$memo.docx").write_bytes(b"lock")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "README.md").write_text("A real document that happens to be called README.")
    assert [f.doc_id for f in scan_corpus(tmp_path)] == ["sub/README.md"]
