from askconvergence.ingest import clean_text, parse_front_matter
from askconvergence.ingest.clean import is_boilerplate


def test_boilerplate_lines_are_removed_and_content_kept() -> None:
    raw = (
        "Universiteit Leiden\n\nnl en\n\nA title about health\n\nReal content about Erasmus MC.\n"
        "Photo: Erasmus University Rotterdam\nMail the editorial team\n\n"
        "This website uses cookies.\nLiked the story? Share it!\nBack to top\n"
        "Social Share Buttons and Icons powered by Ultimatelysocial\n"
    )
    text = clean_text(raw)
    assert "Real content about Erasmus MC." in text
    # A photo credit is kept, at the end: visitors ask who took the picture.
    assert text.rstrip().endswith("Photo: Erasmus University Rotterdam")
    assert "A title about health" in text
    for gone in [
        "nl en",
        "Mail the editorial",
        "cookies",
        "Share it",
        "Back to top",
        "Ultimatelysocial",
    ]:
        assert gone not in text


def test_repeated_title_and_glued_breadcrumb_are_dropped() -> None:
    raw = (
        "UTTechMedTechMed CentreNewsMedical technology secures the future of healthcare\n"
        "Photographer: Someone\n\nMedical technology secures the future of healthcare\n\n"
        "Body text.\n\nMedical technology secures the future of healthcare\n"
    )
    text = clean_text(raw)
    assert text.count("Medical technology secures the future of healthcare") == 1
    assert "UTTechMed" not in text
    assert text.index("Body text.") < text.index("Photographer: Someone")
    assert "Body text." in text


def test_bullets_are_normalised() -> None:
    assert clean_text("  \u2022  Life-long health\n\u00b7       Connect with us\n") == (
        "- Life-long health\n- Connect with us\n"
    )


def test_sentences_mentioning_cookies_or_photos_are_not_boilerplate() -> None:
    assert not is_boilerplate("The photo shows the TechMed Centre building in Enschede.")
    assert not is_boilerplate("Researchers studied how cookies affect blood sugar.")


def test_a_contact_line_is_content() -> None:
    # Who a named contact is and when they can be reached is something visitors ask.
    raw = "drs. M.M.J. van Hillegersberg - Hofmans (Martine)\nPress relations (available Mon)\n"
    assert "Press relations (available Mon)" in clean_text(raw)


def test_front_matter_is_parsed() -> None:
    meta, body = parse_front_matter('---\ntitle: "T"\nlanguage: nl\n---\nHallo\n')
    assert meta == {"title": "T", "language": "nl"}
    assert body == "Hallo\n"
    assert parse_front_matter("No front matter") == ({}, "No front matter")
