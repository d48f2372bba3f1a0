"""Load articles from files, folders, JSON / JSON Lines, HTML, Python strings and dicts.

Metadata given by the input always wins: JSON fields, HTML meta tags, or for text files a
``metadata.jsonl`` beside them (see :func:`folder_metadata`). When it is missing, the outlet, title and date are
inferred only where the text says so plainly (a "– The Guardian" headline suffix, a
"(Reuters)" dateline, "CNN.com", a leading "date 2023-11-06" line); otherwise they stay
empty and :attr:`Article.display_outlet` falls back to a name made from the id.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from summarize.errors import InputError
from summarize.nlp.text import content_id
from summarize.options import Limits
from summarize.records import Article, Skipped

TEXT_SUFFIXES = {".txt", ".text", ""}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES

_FIELDS = {
    "id": ("id", "article_id", "guid", "uuid"),
    "text": ("text", "body", "content", "article", "maintext"),
    "outlet": ("outlet", "source", "publisher", "site_name", "sitename", "domain"),
    "title": ("title", "headline"),
    "url": ("url", "link", "canonical_url"),
    "published": ("published", "date", "published_at", "publish_date", "pubdate", "time"),
}

# Outlets whose names appear plainly in datelines, headline suffixes and web addresses.
_KNOWN_OUTLETS = {
    "reuters": "Reuters",
    "ap": "Associated Press",
    "associated press": "Associated Press",
    "afp": "AFP",
    "cnn": "CNN",
    "bbc": "BBC",
    "upi": "UPI",
    "bloomberg": "Bloomberg",
    "the guardian": "The Guardian",
    "guardian": "The Guardian",
    "al jazeera": "Al Jazeera",
    "aljazeera": "Al Jazeera",
    "nytimes": "The New York Times",
    "washingtonpost": "The Washington Post",
    "foxnews": "Fox News",
    "nbcnews": "NBC News",
    "cbsnews": "CBS News",
    "npr": "NPR",
    "euronews": "Euronews",
}

_DATELINE_AGENCY = re.compile(
    r"^[A-Z][A-Za-z .,'-]{1,60}?\s*(?:\d{1,2}\s*)?\((Reuters|AP|AFP|CNN|UPI|Bloomberg)\)\s*[-–—]"
)
_HEADLINE_SUFFIX = re.compile(r"\s+[–—|-]\s+((?:The\s+)?[A-Z][\w.&']*(?:\s+[A-Z][\w.&']*){0,3})\s*$")
_DOMAIN = re.compile(r"\b([A-Za-z][A-Za-z-]{1,30})\.(?:com|co\.uk|org|net)\b")
_DATE_LINE = re.compile(
    r"^\s*(?:date[:\s]+)?(\d{4})[-/](\d{2})[-/](\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?))?\b[ \t]*"
)


def _pick(record: Mapping[str, Any], field: str) -> str:
    for key in _FIELDS[field]:
        value = record.get(key)
        if value not in (None, ""):
            if isinstance(value, Mapping):  # {"source": {"name": "Reuters"}}
                value = value.get("name") or value.get("title") or ""
            return str(value).strip()
    return ""


def _known_outlet(name: str) -> str:
    return _KNOWN_OUTLETS.get(name.strip().lower(), "")


def infer_outlet(title: str, text: str) -> str:
    """The outlet when the article names it plainly, else ``""``."""
    match = _HEADLINE_SUFFIX.search(title)
    if match:
        return _known_outlet(match.group(1)) or match.group(1)
    for line in text.splitlines()[:6]:
        match = _DATELINE_AGENCY.match(line.strip())
        if match:
            return _known_outlet(match.group(1)) or match.group(1)
    for match in _DOMAIN.finditer(text):
        known = _known_outlet(match.group(1))
        if known:
            return known
    return ""


def _strip_outlet_suffix(title: str, outlet: str) -> str:
    match = _HEADLINE_SUFFIX.search(title)
    if match and outlet and (_known_outlet(match.group(1)) or match.group(1)) == outlet:
        return title[: match.start()].strip()
    return title


def _looks_like_headline(line: str) -> bool:
    words = line.split()
    return 2 <= len(words) <= 30 and not re.search(r"[.!?…][\"'”’)]*$", line)


def _split_date_prefix(line: str) -> tuple[str, str]:
    """``("2023-11-06", rest)`` when the line starts with a date, else ``("", line)``."""
    match = _DATE_LINE.match(line)
    if not match:
        return "", line
    year, month, day, clock = match.groups()
    date = f"{year}-{month}-{day}" + (f"T{clock}" if clock else "")
    return date, line[match.end() :]


def parse_plain_text(text: str, *, id: str, origin: str = "") -> Article:
    """Parse the seed format: headline on the first line (optionally after a date), body after.

    A first line that reads like a sentence (ends with a period) is body text, not a title.
    """
    lines = text.splitlines()
    published, title = "", ""
    body_start = 0
    # Skip leading lines with no words at all (e.g. a lone quote mark).
    while body_start < len(lines) and not re.search(r"\w", lines[body_start]):
        body_start += 1
    if body_start < len(lines):
        first = lines[body_start]
        published, rest = _split_date_prefix(first)
        if published and not rest.strip():
            body_start += 1
        elif _looks_like_headline(rest.strip()):
            title = rest.strip()
            body_start += 1
        elif published:
            lines[body_start] = rest
    body = "\n".join(lines[body_start:]).strip("\n")
    outlet = infer_outlet(title, body)
    title = _strip_outlet_suffix(title, outlet)
    return Article(id=id, text=body, outlet=outlet, title=title, published=published, origin=origin)


def from_mapping(record: Mapping[str, Any], *, origin: str = "", where: str = "") -> Article:
    """Build an article from a dict with loosely named fields (``text``/``body``/...)."""
    if not isinstance(record, Mapping):
        raise InputError(f"{where or origin or 'input'}: expected a JSON object, got {type(record).__name__}")
    text = _pick(record, "text")
    if not text.strip():
        raise InputError(
            f"{where or origin or 'input'}: the article has no text; give it a 'text' field"
        )
    article_id = _pick(record, "id") or content_id(text)
    given_title = _pick(record, "title")
    if given_title:
        published, body = _split_date_prefix(text)
        body = body if published else text
        outlet = _pick(record, "outlet") or infer_outlet(given_title, body)
        return Article(
            id=article_id,
            text=body.strip(),
            outlet=outlet,
            title=_strip_outlet_suffix(given_title, outlet),
            url=_pick(record, "url"),
            published=_pick(record, "published") or published,
            origin=origin,
        )
    parsed = parse_plain_text(text, id=article_id, origin=origin)
    return Article(
        id=article_id,
        text=parsed.text,
        outlet=_pick(record, "outlet") or parsed.outlet,
        title=parsed.title,
        url=_pick(record, "url"),
        published=_pick(record, "published") or parsed.published,
        origin=origin,
    )


MIN_HTML_WORDS = 8


def parse_html(html: str, *, id: str, origin: str = "") -> Article:
    """Extract the main text and metadata of an HTML page with trafilatura."""
    import trafilatura

    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False)
    text = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
    # trafilatura falls back to any text it finds ("Home"); a few words are not an article.
    if len(text.split()) < MIN_HTML_WORDS:
        raise InputError(f"{origin or id}: no article text found in this HTML page")
    return Article(
        id=id,
        text=text,
        outlet=(getattr(doc, "sitename", None) or "") or infer_outlet(getattr(doc, "title", "") or "", text),
        title=getattr(doc, "title", None) or "",
        url=getattr(doc, "url", None) or "",
        published=getattr(doc, "date", None) or "",
        origin=origin,
    )


def decode(data: bytes, origin: str) -> str:
    """Decode UTF-8 (with or without BOM); refuse binary data with a message that says why."""
    if b"\x00" in data[:8192]:
        raise InputError(f"{origin}: looks like a binary file, not text; give .txt, .html, .json or .jsonl")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{origin}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "convert it first, e.g. iconv -f WINDOWS-1252 -t UTF-8"
        ) from None
    if not text.strip():
        raise InputError(f"{origin}: the file is empty or only whitespace")
    return text


def _records_from_json(value: Any, origin: str) -> Iterator[tuple[Mapping[str, Any], str]]:
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from _records_from_json(item, f"{origin}[{i}]")
    elif isinstance(value, Mapping) and isinstance(value.get("docs"), list):
        # The evaluation cluster format: {"cluster": ..., "docs": [{"id", "text"}, ...]}.
        for i, item in enumerate(value["docs"]):
            yield item, f"{origin} docs[{i}]"
    elif isinstance(value, Mapping) and isinstance(value.get("articles"), list):
        for i, item in enumerate(value["articles"]):
            yield item, f"{origin} articles[{i}]"
    else:
        yield value, origin


def parse_json(text: str, origin: str) -> list[Article]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{origin}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    return [from_mapping(rec, origin=origin, where=where) for rec, where in _records_from_json(value, origin)]


def iter_jsonl(text: str, origin: str) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` for each non-blank line; a bad line is an InputError naming it."""
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield lineno, json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{origin}: line {lineno} is not valid JSON ({exc.msg}); fix or remove that line"
            ) from None


def parse_jsonl(text: str, origin: str) -> list[Article]:
    articles: list[Article] = []
    for lineno, value in iter_jsonl(text, origin):
        for rec, where in _records_from_json(value, f"{origin}:{lineno}"):
            articles.append(from_mapping(rec, origin=origin, where=where))
    if not articles:
        raise InputError(f"{origin}: no articles in this JSON Lines file")
    return articles


METADATA_FILE = "metadata.jsonl"


def folder_metadata(folder: Path) -> dict[str, dict[str, Any]]:
    """Sidecar metadata of a folder: ``metadata.jsonl`` lines ``{"file": name, ...fields}``.

    Scrapers often keep what they knew about a page (outlet, date, URL) beside the text.
    Fields given there win over what is inferred from the text.
    """
    path = folder / METADATA_FILE
    if not path.is_file():
        return {}
    found: dict[str, dict[str, Any]] = {}
    for lineno, record in iter_jsonl(decode(path.read_bytes(), str(path)), str(path)):
        if not isinstance(record, Mapping) or not isinstance(record.get("file"), str):
            raise InputError(f"{path}: line {lineno} needs a \"file\" name")
        found[record["file"]] = dict(record)
    return found


def _with_metadata(article: Article, meta: Mapping[str, Any]) -> Article:
    from dataclasses import replace

    changes = {field: _pick(meta, field) for field in ("outlet", "title", "url", "published")}
    return replace(article, **{k: v for k, v in changes.items() if v})


def load_path(path: Path, skipped: list[Skipped] | None = None, limits: Limits | None = None) -> list[Article]:
    """Load one file, or every supported file in a folder (sorted by name).

    With a ``skipped`` list, a file that cannot be used is recorded there
    (a :class:`~summarize.records.Skipped`) instead of raising, so one bad file does not stop
    a folder.
    """
    if path.is_dir():
        # In a folder, only files with a known suffix are articles; hidden files and a
        # references file (handwritten summaries, see seeds/) are not.
        files = sorted(
            p for p in path.rglob("*")
            if p.is_file() and p.suffix.lower() in SUPPORTED - {""}
            and not p.name.startswith(".") and p.name not in {"references.jsonl", METADATA_FILE}
        )
        if not files:
            raise InputError(f"{path}: no .txt, .html, .json or .jsonl files in this folder")
        return [a for f in files for a in load_path(f, skipped, limits)]
    if skipped is not None:
        try:
            return load_path(path, limits=limits)
        except InputError as exc:
            skipped.append(Skipped(str(path), str(exc)))
            return []
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise InputError(f"{path}: unsupported file type {suffix!r}; use .txt, .html, .json or .jsonl")
    text = decode(path.read_bytes(), str(path))
    articles = parse_text(text, origin=str(path), id=path.stem, suffix=suffix)
    meta = folder_metadata(path.parent).get(path.name)
    if meta and len(articles) == 1:
        articles = [_with_metadata(articles[0], meta)]
    return articles


def parse_text(text: str, *, origin: str, id: str | None = None, suffix: str = "") -> list[Article]:
    """Parse text whose format is given by ``suffix`` or sniffed from its content."""
    stripped = text.lstrip()
    if suffix in JSONL_SUFFIXES:
        return parse_jsonl(text, origin)
    if suffix in JSON_SUFFIXES:
        return parse_json(text, origin)
    if suffix in HTML_SUFFIXES or (not suffix and stripped[:15].lower().startswith(("<!doctype html", "<html"))):
        return [parse_html(text, id=id or content_id(text), origin=origin)]
    if not suffix and stripped.startswith(("{", "[")):
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) > 1 and all(ln.lstrip().startswith("{") for ln in lines):
            return parse_jsonl(text, origin)
        return parse_json(text, origin)
    return [parse_plain_text(text, id=id or content_id(text), origin=origin)]


def _is_path_like(value: str) -> bool:
    return "\n" not in value and len(value) < 4096 and (
        Path(value).exists() or Path(value).suffix.lower() in SUPPORTED - {""} or value.endswith("/")
    )


def read(inputs: Any, skipped: list[Skipped] | None = None, limits: Limits | None = None) -> list[Article]:
    """Read articles from one input or an iterable of inputs.

    Accepted: :class:`Article`, ``dict``, a path (``str`` or :class:`~pathlib.Path`) to a file
    or folder, ``"-"`` for standard input, or raw article text (``str`` with a newline or
    that is not a path). ``limits`` bound what one input may cost (:class:`~summarize.options.Limits`).
    """
    if isinstance(inputs, (str, Path, Mapping, Article, bytes)):
        inputs = [inputs]
    articles: list[Article] = []
    for item in inputs:
        articles.extend(_read_one(item, skipped, limits or Limits()))
    return articles


def _read_one(item: Any, skipped: list[Skipped] | None, limits: Limits) -> Iterable[Article]:
    if isinstance(item, Article):
        return [item]
    if isinstance(item, Mapping):
        return [from_mapping(item, origin="<dict>")]
    if isinstance(item, bytes):
        return parse_text(decode(item, "<bytes>"), origin="<bytes>")
    if isinstance(item, Path):
        return load_path(item, skipped, limits)
    if isinstance(item, str):
        if item == "-":
            return parse_text(decode(sys.stdin.buffer.read(), "<stdin>"), origin="<stdin>")
        if _is_path_like(item):
            return load_path(Path(item), skipped, limits)
        if not item.strip():
            raise InputError("an article string is empty or only whitespace")
        return parse_text(item, origin="<str>")
    raise InputError(f"cannot read an article from {type(item).__name__}; give a path, text, dict or Article")
