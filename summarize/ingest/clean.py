"""Remove page furniture from article text, keeping every real sentence.

Furniture is what a scraper picks up around an article: template placeholders
(``{{#Ticker}}``), "ADVERTISEMENT", share counts, section labels, photo credits and
captions, video teasers, "Related posts" blocks, comment forms, author boxes, account and
newsletter prompts, donation appeals. Removed lines are kept on ``Article.furniture`` so
nothing is lost silently.

The rules work on lines (scraped furniture sits on lines of its own) and, for pages that
were flattened into one paragraph, on sentences ("please turn on javascript").

Every pattern runs in time linear in the line (possessive quantifiers where two repeats
could share the same characters), so a hostile million-character line costs no more than
reading it.
"""

from __future__ import annotations

import re
from dataclasses import replace

from summarize.records import Article

_PLACEHOLDER = re.compile(r"\{\{[^{}]*\}\}")

# A whole line that is furniture.
_FURNITURE_LINE = re.compile(
    r"""^(?:
        advertisement|advertising|sponsored(?:\s+content)?|
        related(?:\s+(?:posts|stories|articles|content|news))?|read\s+more|more\s+on\s+this\s+story|
        leave\s+a\s+(?:reply|comment)|about\s+(?:the\s+)?author|comments?|
        share(?:\s+this(?:\s+(?:article|story|page))?)?|share\s+on\s+\w+|
        (?:facebook|twitter|whatsapp|linkedin|email|print|copy\s+link)(?:\s*+[|,/]?\s*+(?:facebook|twitter|whatsapp|linkedin|email|print|copy\s+link))*+|
        sources?|image\s+source.*|video|watch|listen|subscribe|sign\s+up|newsletter|
        skip\s+to\s+(?:main\s+)?content|follow\s+us.*|
        photo|photograph|getty\s+images|
        [\d\s.,:/|-]++
    )[\s.:]*$""",
    re.IGNORECASE | re.VERBOSE,
)

# Sentence-level furniture: matched anywhere in a line, removed with its sentence.
_FURNITURE_SENTENCE = re.compile(
    r"""(
        your\s+email\s+address\s+will\s+not\s+be\s+published|required\s+fields\s+are\s+marked|
        create\s+an\s+account\s+on|sign\s+up\s+for\s+(?:our|the)\s++(?:\w++\s++)?newsletter|
        breaking\s+news\s+emails|get\s+breaking\s+news\s+alerts|
        (?:stories|news|headlines)\s+that\s+matter,?\s+delivered|delivered\s+(?:to\s+your\s+inbox|weekday\s+mornings)|
        (?:please\s+)?(?:turn\s+on|enable)\s+javascript|requires?\s+javascript|
        continue\s+reading\s+the\s+main\s+story|click\s+here\s+to|all\s+rights\s+reserved|
        copyright\s+(?:©|\(c\)|\d{4})|this\s+material\s+may\s+not\s+be\s+published|
        remind\s+you\s+to\s+contribute|questions\s+about\s+contributing|support\s+our\s+journalism|
        make\s+a\s+(?:donation|contribution)|donate\s+now|watch\s+for\s+a\s+message\s+in\s+your\s+inbox|
        we\s+will\s+be\s+in\s+touch\s+to\s+remind|cookies?\s+(?:policy|settings)|
        (?:photo|image|picture)\s*+(?:credit\s*+)?:\s*+\S|\((?:photo|image)\s*+:[^)]{0,300}\)|
        ^.{0,200}\s[-–—]\s+video$
    )""",
    re.IGNORECASE | re.VERBOSE,
)

# Lines after which the article is over: what follows is other stories or page chrome.
_TAIL_MARKER = re.compile(
    r"^(?:related(?:\s+(?:posts|stories|articles|content|news))?|leave\s+a\s+reply|about\s+(?:the\s+)?author|"
    r"more\s+from\s+.*|recommended(?:\s+for\s+you)?|read\s+next|most\s+(?:read|popular))[\s.:]*$",
    re.IGNORECASE,
)

# A caption line ends with its photo credit: the whole line describes a picture.
_CAPTION_CREDIT = re.compile(r"(?:photo(?:graph)?|image|picture)\s*+(?:credit\s*+)?:\s*[^.]{2,80}$", re.IGNORECASE)

_ENDS_SENTENCE = re.compile(r"[.!?…][\"'”’)\]]*$")
_WORD = re.compile(r"[^\W\d_]{2,}")


def _is_label(line: str) -> bool:
    """A short line without sentence punctuation: a section label, byline or teaser title."""
    return len(line.split()) <= 8 and not _ENDS_SENTENCE.search(line)


def _drop_furniture_sentences(line: str) -> tuple[str, list[str]]:
    """Remove the sentences of a line that are furniture; return (kept, removed)."""
    if not _FURNITURE_SENTENCE.search(line):
        return line, []
    from summarize.nlp.segment import split_spans

    kept, removed, last = [], [], 0
    for start, end in split_spans(line):
        piece = line[start:end]
        if _FURNITURE_SENTENCE.search(piece):
            removed.append(piece)
        else:
            kept.append(piece)
        last = end
    tail = line[last:].strip()
    if tail:
        (removed if _FURNITURE_SENTENCE.search(tail) else kept).append(tail)
    return " ".join(kept), removed


def clean_text(text: str) -> tuple[str, tuple[str, ...]]:
    """Return ``(clean_text, removed_lines)``. Paragraphs are separated by one blank line.

    A text of one line that only looks like a label (short, no full stop) is an article of
    one line, not furniture, and is kept.
    """
    kept: list[str] = []
    removed: list[str] = []
    labels: list[str] = []  # lines removed only for looking like a label
    lines = 0
    in_tail = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        lines += 1
        placeholders = _PLACEHOLDER.findall(line)
        if placeholders:
            removed.append("".join(placeholders))
            line = _PLACEHOLDER.sub(" ", line).strip()
            if not line:
                continue
        if in_tail and (_is_label(line) or _TAIL_MARKER.match(line)):
            removed.append(line)
            continue
        in_tail = False
        if _TAIL_MARKER.match(line):
            in_tail = True
            removed.append(line)
            continue
        furniture = _FURNITURE_LINE.match(line) or _CAPTION_CREDIT.search(line) or not _WORD.search(line)
        if furniture or _is_label(line):
            removed.append(line)
            if not furniture:
                labels.append(line)
            continue
        line, dropped = _drop_furniture_sentences(line)
        removed.extend(dropped)
        if line and _WORD.search(line) and not _is_label(line):
            kept.append(line)
        elif line:
            removed.append(line)
    if not kept and lines == 1 and labels:
        kept, removed = labels, [r for r in removed if r != labels[0]]
    return "\n\n".join(kept), tuple(removed)


def clean(article: Article) -> Article:
    """The article with furniture removed from its text (and recorded on ``furniture``)."""
    text, removed = clean_text(article.text)
    return replace(article, text=text, furniture=article.furniture + removed)
