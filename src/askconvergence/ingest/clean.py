"""Remove web-page boilerplate from document text (pure functions)."""

from __future__ import annotations

import re

__all__ = ["PHOTO_CREDIT_LABELS", "clean_text", "cut_off_list_number", "is_boilerplate"]

# Whole lines that are page furniture, not content. Matched case-insensitively against a
# stripped line, so new documents scraped from similar sites get the same treatment.
_BOILERPLATE = [
    r"this (web)?site uses cookies.*",
    r".*\bcookie(s)? (settings|policy|preferences|notice)\b.*",
    r"(we|this site) use(s)? cookies.*",
    r"accept( all)? cookies",
    r"back to top",
    r"(terug naar boven|naar boven)",
    r"liked the story\?.*share it!?",
    r"share (this|on) .*",
    r"(deel|delen)( dit)?( artikel| bericht)?:?",
    r"social share buttons.*",
    r".*\bpowered by ultimatelysocial\b.*",
    r"mail the editorial team",
    r"mail de redactie",
    r"(skip to (main )?content|naar hoofdinhoud)",
    r"((nl|en|de|fr)\s*[|/]?\s*){2,}",  # language switchers such as "nl en"
]
_BOILERPLATE_RE = re.compile("|".join(f"(?:{p})" for p in _BOILERPLATE), re.IGNORECASE)
# The labels of a photo credit ("Photographer: Lizet Beek"), English and Dutch.
PHOTO_CREDIT_LABELS = r"photo|photographer|photos|image|picture|foto|fotograaf|beeld"
# A credit under a page's title: visitors ask who took the picture, but where it stands it
# splits the title from the story, so it goes to the end.
_CREDIT_RE = re.compile(rf"(?:{PHOTO_CREDIT_LABELS})\s*:\s*\S.*", re.IGNORECASE)
_BULLET_RE = re.compile(r"^[\s\u2022\u00b7\u25cf\u25aa\-\*]+(?=\S)")
_SPACES_RE = re.compile(r"[ \t\u00a0]+")


def is_boilerplate(line: str) -> bool:
    """True when a whole line is page furniture (cookie notice, share button...)."""
    return bool(_BOILERPLATE_RE.fullmatch(line.strip()))


def _normalise(line: str) -> str:
    return _SPACES_RE.sub(" ", line).strip()


def _is_breadcrumb(line: str, others: list[str]) -> bool:
    # A breadcrumb trail glued onto the page title ("UTTechMedNewsMedical technology ...") ends
    # with a heading that also stands on its own line, and its prefix has no sentence in it.
    for other in others:
        if len(other) >= 20 and line != other and line.endswith(other):
            prefix = line[: -len(other)]
            if prefix and not prefix[-1].isspace() and not re.search(r"[.!?:;,]", prefix):
                return True
    return False


def clean_text(text: str) -> str:
    """Strip boilerplate lines, repeated headings and breadcrumbs; normalise bullets and spaces;
    move photo credits to the end."""
    lines = [_normalise(line) for line in text.replace("\r\n", "\n").split("\n")]
    kept: list[str] = []
    credits: list[str] = []
    seen: set[str] = set()
    for raw in lines:
        if not raw:
            kept.append("")
            continue
        if is_boilerplate(raw):
            continue
        if _CREDIT_RE.fullmatch(raw):
            credits.append(raw)
            continue
        bullet = _BULLET_RE.match(raw)
        line = (
            "- " + raw[bullet.end() :] if bullet and raw[0] in "\u2022\u00b7\u25cf\u25aa" else raw
        )
        key = line.casefold()
        # Scraped pages repeat their title; a heading said once is enough.
        if key in seen and len(line) < 120:
            continue
        seen.add(key)
        kept.append(line)
    headings = [line for line in kept if line and len(line) < 120]
    kept = [line for line in kept if not (line and _is_breadcrumb(line, headings))]
    text = "\n".join([*kept, "", *dict.fromkeys(credits)])
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


# A list item's number alone on the last line ("... stakeholders\n\n3."): the sentence
# splitter reads "3." as a sentence, so a chunk can end on it and the item start the next.
_CUT_OFF_NUMBER = re.compile(r"(?:^|\n)[ \t]*(\d{1,2}[.)])\s*$")


def cut_off_list_number(text: str) -> str:
    """The list number alone on the last line of ``text`` ("3."), or ""."""
    found = _CUT_OFF_NUMBER.search(text)
    return found.group(1) if found else ""
