"""Load articles from files, folders, JSON / JSON Lines, HTML, Python strings and dicts.

Metadata given by the input always wins: JSON fields, HTML meta tags, or for text files a
``metadata.jsonl`` beside them (see :func:`folder_metadata`). When it is missing, the title
and date are inferred only where the text says so plainly (a headline line, a leading
"date 2023-11-06" line); the publisher and wire source are read by
:func:`summarize.ingest.outlets.credited` (metadata, then the URL, then a masthead or
"– The Guardian" suffix; the wire from a "(Reuters) -" dateline or a byline). What is not
stated stays empty and :attr:`Article.display_outlet` falls back to a name made from the id.

Reading is bounded by :class:`~summarize.options.Limits` (``docs/limits.md``): a file over
``max_file_bytes`` is refused before it is read, JSON nested deeper than ``max_json_depth``
is refused before it is parsed, an article over ``max_article_chars`` or ``max_sentences``
is cut, an HTML page nested deeper than ``max_html_depth`` is read flat, and a symlink
that leaves an input folder is not followed. With a ``skipped`` list, whatever is refused
is recorded there (one bad JSON line or record at a time, the rest of its file is read) and
whatever is cut is noted there (``kept=True``); without one, a refusal is an
:class:`~summarize.errors.InputError`.
"""

from __future__ import annotations

import codecs
import html as html_module
import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from summarize.errors import InputError
from summarize.ingest import outlets
from summarize.nlp import segment
from summarize.nlp.text import content_id
from summarize.options import Limits
from summarize.records import Article, Skipped

log = logging.getLogger("summarize")

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

_DATE_LINE = re.compile(
    r"^\s*(?:date[:\s]+)?(\d{4})[-/](\d{2})[-/](\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?))?\b[ \t]*"
)


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _valid_text(value: str) -> str:
    """``value`` with lone surrogates (a JSON escape like ``"\\ud800"``, a bad Python string)
    replaced by U+FFFD, so it can be encoded, hashed and written."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", value)
    return value


def _pick(record: Mapping[str, Any], field: str) -> str:
    for key in _FIELDS[field]:
        value = record.get(key)
        if value not in (None, ""):
            if isinstance(value, Mapping):  # {"source": {"name": "Reuters"}}
                value = value.get("name") or value.get("title") or ""
            return _valid_text(str(value).strip())
    return ""


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

    A first line that reads like a sentence (ends with a period) is body text, not a title,
    and so is a line with nothing after it: a one-line article is all text.
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
    if title and not body.strip():
        title, body = "", title
    return outlets.credited(Article(id=id, text=body, title=title, published=published, origin=origin))


def _record_problem(record: Any) -> str:
    """Why a JSON value is not an article, or ``""`` when it is one."""
    if not isinstance(record, Mapping):
        return f"expected a JSON object, got {type(record).__name__}"
    if not _pick(record, "text").strip():
        return "the article has no text; give it a 'text' field"
    return ""


def from_mapping(record: Mapping[str, Any], *, origin: str = "", where: str = "") -> Article:
    """Build an article from a dict with loosely named fields (``text``/``body``/...)."""
    problem = _record_problem(record)
    if problem:
        raise InputError(f"{where or origin or 'input'}: {problem}")
    text = _pick(record, "text")
    article_id = _pick(record, "id") or content_id(text)
    given_title = _pick(record, "title")
    if given_title:
        published, body = _split_date_prefix(text)
        body = body if published else text
        return outlets.credited(Article(
            id=article_id,
            text=body.strip(),
            title=given_title,
            url=_pick(record, "url"),
            published=_pick(record, "published") or published,
            origin=origin,
        ), given=_pick(record, "outlet"))
    parsed = parse_plain_text(text, id=article_id, origin=origin)
    return outlets.credited(replace(
        parsed,
        id=article_id,
        outlet="",
        url=_pick(record, "url"),
        published=_pick(record, "published") or parsed.published,
    ), given=_pick(record, "outlet"))


# -- HTML -------------------------------------------------------------------------------------

MIN_HTML_WORDS = 8
# lxml (under trafilatura) keeps no element nested deeper than about 255 levels: text below
# that is lost. A page nested deeper than this, or than limits.max_html_depth, is read flat.
LXML_MAX_DEPTH = 250


# One piece of markup at a "<": a comment, a start or end tag, a declaration. Every branch
# may run to the end of the page (an unclosed comment, tag or quote), so a page of broken
# markup is still read in one linear pass; a "<" that starts none of them is text.
_MARKUP = re.compile(
    r"""<!--.*?(?:-->|\Z)
      | <(?P<end>/)?(?P<tag>[A-Za-z][^\s/>]*+)(?P<attrs>(?:[^>"']++|"[^"]*+(?:"|\Z)|'[^']*+(?:'|\Z))*+)(?:>|\Z)
      | <[!?][^>]*+(?:>|\Z)""",
    re.DOTALL | re.VERBOSE,
)
_ATTRIBUTE = re.compile(r"""([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")
_RAW_TEXT = {tag: re.compile(rf"</{tag}\b[^>]*+>", re.IGNORECASE) for tag in ("script", "style", "title", "textarea")}


class _FlatHTML:
    """The text, title and meta tags of an HTML page read without building a tree: any
    nesting depth, no recursion, linear time whatever the markup. What is never article
    text (scripts, styles, navigation, headers, footers, forms) is left out; block elements
    end a line. ``depth`` is the deepest element nesting seen."""

    SKIP = frozenset("script style noscript template head nav header footer aside form button select "
                     "textarea svg iframe object canvas".split())
    VOID = frozenset("area base br col embed hr img input link meta param source track wbr keygen".split())
    BLOCK = frozenset("address article aside blockquote dd div dl dt figcaption figure footer h1 h2 h3 h4 "
                      "h5 h6 header li main nav ol p pre section table td th tr ul".split())
    SIBLINGS = frozenset("p li dt dd tr td th option".split())  # a second one closes the first
    META: ClassVar[dict[str, str]] = {"og:site_name": "sitename", "og:title": "title", "og:url": "url",
                                      "article:published_time": "date", "date": "date"}

    def __init__(self, html: str) -> None:
        self.stack: list[str] = []
        self.open: dict[str, int] = {}  # how many of each tag are on the stack
        self.skipping = 0
        self.depth = 0
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self.meta: dict[str, str] = {}
        self._read(html)

    def _read(self, html: str) -> None:
        pos, end = 0, len(html)
        while pos < end:
            lt = html.find("<", pos)
            if lt < 0:
                lt = end
            if lt > pos:
                self._data(html[pos:lt])
            if lt == end:
                break
            markup = _MARKUP.match(html, lt)
            if markup is None:  # "< 3", "<=": text
                self._data("<")
                pos = lt + 1
                continue
            pos = markup.end()
            tag = (markup.group("tag") or "").lower()
            if not tag:
                continue  # a comment or declaration
            if markup.group("end"):
                self._end(tag)
                continue
            attrs = markup.group("attrs") or ""
            self._start(tag, attrs)
            if tag in _RAW_TEXT:  # text up to its end tag, not markup
                close = _RAW_TEXT[tag].search(html, pos)
                raw_end = close.start() if close else end
                if tag == "title":  # scripts, styles and text areas are not article text
                    self.title_parts.append(html[pos:raw_end])
                pos = close.end() if close else end
                self._end(tag)
            elif attrs.rstrip().endswith("/") and tag not in self.VOID:
                self._end(tag)  # <div/>

    def _push(self, tag: str) -> None:
        self.stack.append(tag)
        self.open[tag] = self.open.get(tag, 0) + 1
        self.skipping += tag in self.SKIP
        self.depth = max(self.depth, len(self.stack))

    def _pop(self) -> str:
        tag = self.stack.pop()
        self.open[tag] -= 1
        self.skipping -= tag in self.SKIP
        if tag in self.BLOCK:
            self.parts.append("\n")
        return tag

    def _start(self, tag: str, attrs: str) -> None:
        if tag == "meta":
            found = {m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or ""
                     for m in _ATTRIBUTE.finditer(attrs)}
            field = self.META.get((found.get("property") or found.get("name") or "").lower())
            if field and found.get("content"):
                self.meta.setdefault(field, html_module.unescape(found["content"]))
        if tag in self.VOID:
            if tag in ("br", "hr"):
                self.parts.append("\n")
            return
        if self.stack:
            top = self.stack[-1]
            if (tag == top and top in self.SIBLINGS) or (top == "p" and tag in self.BLOCK):
                self._pop()  # <p>one<p>two, <p>text<div>: the first p ends where HTML says it does
        self._push(tag)
        if tag in self.BLOCK:
            self.parts.append("\n")

    def _end(self, tag: str) -> None:
        if self.open.get(tag):  # a stray end tag closes nothing
            while self._pop() != tag:
                pass

    def _data(self, data: str) -> None:
        if not self.skipping:  # a line break in the source is a space; only blocks end lines
            self.parts.append(data.replace("\r", " ").replace("\n", " "))

    @property
    def text(self) -> str:
        lines = (" ".join(line.split()) for line in html_module.unescape("".join(self.parts)).split("\n"))
        return "\n".join(line for line in lines if line)

    @property
    def title(self) -> str:
        return " ".join(html_module.unescape("".join(self.title_parts)).split()) or self.meta.get("title", "")


# Inline elements a CMS puts around a name or a link, and the text run into them with no
# space: "<a>Antony Blinken</a>stressed" reads "Antony Blinkenstressed" in every browser's
# text and in trafilatura's. Where a tag sits between a word and a lower-case word of two
# letters or more, or between a lower-case word and a capitalised one ("with<a>Antony"),
# the page meant two words; a one-letter tail ("<a>iPhone</a>s") or an apostrophe
# ("<b>Blinken</b>'s") or a capital inside a word ("Java<b>Script</b>") is one word and
# stays as it is.
_INLINE = r"(?i:a|span|strong|b|em|i|u|font|mark|small|cite|abbr|time|q)"
_GLUED_AFTER_TAG = re.compile(rf"(?<=[^\W\d_])((?:</{_INLINE}\s*>|<{_INLINE}\b[^<>]*>)+)(?=[a-z]{{2}})")
_GLUED_BEFORE_NAME = re.compile(rf"(\b[a-z]+)((?:</{_INLINE}\s*>|<{_INLINE}\b[^<>]*>)+)(?=[A-Z][a-z])")


def unglue_inline(html: str) -> str:
    """``html`` with a space after the inline tags that stand between two words run
    together ("<a>Antony Blinken</a>stressed" -> "<a>Antony Blinken</a> stressed")."""
    return _GLUED_BEFORE_NAME.sub(r"\1\2 ", _GLUED_AFTER_TAG.sub(r"\1 ", html))


def parse_html(html: str, *, id: str, origin: str = "", limits: Limits | None = None,
               skipped: list[Skipped] | None = None) -> Article:
    """Extract the main text and metadata of an HTML page with trafilatura.

    A page nested deeper than ``limits.max_html_depth`` (or than the ~250 levels lxml keeps)
    is read flat instead: all its text outside scripts, navigation, headers, footers and
    forms, noted in ``skipped`` (``kept=True``) because trafilatura's boilerplate removal
    did not run on it.
    """
    limits = limits or Limits()
    html = unglue_inline(html)
    flat = _FlatHTML(html)
    deepest = min(limits.max_html_depth, LXML_MAX_DEPTH)
    if flat.depth > deepest:
        text = flat.text
        if len(text.split()) < MIN_HTML_WORDS:
            raise InputError(f"{origin or id}: no article text found in this HTML page "
                             f"(nested {flat.depth:,} levels deep)")
        _note(skipped, id, f"kept, read flat: the HTML is nested {flat.depth:,} levels deep, more than "
                           f"{deepest} (limits.max_html_depth), so page furniture may remain")
        title = flat.title
        return outlets.credited(Article(id=id, text=text, title=title, url=flat.meta.get("url", ""),
                                        published=flat.meta.get("date", ""), origin=origin),
                                given=flat.meta.get("sitename", ""))

    import trafilatura

    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False)
    text = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
    # trafilatura falls back to any text it finds ("Home"); a few words are not an article.
    if len(text.split()) < MIN_HTML_WORDS:
        raise InputError(f"{origin or id}: no article text found in this HTML page")
    return outlets.credited(Article(
        id=id,
        text=text,
        title=getattr(doc, "title", None) or "",
        url=getattr(doc, "url", None) or "",
        published=getattr(doc, "date", None) or "",
        origin=origin,
    ), given=getattr(doc, "sitename", None) or "")


# -- bytes to text ------------------------------------------------------------------------------

_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)


def _encoding(data: bytes) -> str:
    """UTF-8 unless a byte order mark says otherwise, or the zero bytes of a UTF-16 text
    without one (every other byte zero: mostly Latin text) give it away."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    sample = data[:4096]
    if len(sample) >= 8 and len(sample) % 2 == 0 and b"\x00" in sample:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) >= 0.7 * len(odd) and even.count(0) <= 0.05 * len(even):
            return "utf-16-le"
        if even.count(0) >= 0.7 * len(even) and odd.count(0) <= 0.05 * len(odd):
            return "utf-16-be"
    return "utf-8-sig"


def decode(data: bytes, origin: str) -> str:
    """Decode UTF-8 (with or without BOM), or UTF-16 / UTF-32 (with a BOM, or UTF-16 told by
    its zero bytes); refuse binary data with a message that says why."""
    binary = f"{origin}: looks like a binary file, not text; give .txt, .html, .json or .jsonl"
    encoding = _encoding(data)
    if encoding == "utf-8-sig" and b"\x00" in data[:8192]:
        raise InputError(binary)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding != "utf-8-sig":
            raise InputError(f"{origin}: starts like {encoding.upper()} text but does not decode as it "
                             f"({exc.reason} at offset {exc.start}); convert it to UTF-8 first") from None
        raise InputError(
            f"{origin}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "convert it first, e.g. iconv -f WINDOWS-1252 -t UTF-8"
        ) from None
    if "\x00" in text[:8192]:
        raise InputError(binary)
    if not text.strip():
        raise InputError(f"{origin}: the file is empty or only whitespace")
    return text


def read_bytes(path: Path, limits: Limits | None = None) -> bytes:
    """The bytes of a file, refused when it is larger than ``limits.max_file_bytes``: the size
    is looked up before reading, and at most that many bytes (plus one) are ever read."""
    limit = (limits or Limits()).max_file_bytes
    try:
        size = path.stat().st_size
        if size > limit:
            raise InputError(_too_big(str(path), size, limit))
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if len(data) > limit:  # it grew, or stat does not know its size (a device, a pipe)
        raise InputError(_too_big(str(path), None, limit))
    return data


def _too_big(origin: str, size: int | None, limit: int, unit: str = "bytes") -> str:
    said = f"{size:,} {unit}, more than" if size is not None else "more than"
    return (f"{origin}: {said} the limit of {limit:,} bytes (limits.max_file_bytes); "
            "split it, or raise max_file_bytes in [summarize.limits]")


# -- JSON and JSON Lines --------------------------------------------------------------------------

# Outside strings: a run with no bracket and no quote; a whole string. Possessive, so linear.
_JSON_FLAT = re.compile(r'(?:[^"\[\]{}]++|"(?:[^"\\]++|\\.)*+")*+', re.DOTALL)
_TOO_DEEP_TO_PARSE = "JSON nested too deeply to parse (lower limits.max_json_depth)"


def json_nesting_over(text: str, limit: int) -> bool:
    """Whether JSON ``text`` nests arrays and objects more than ``limit`` deep. Brackets inside
    strings do not count; nothing is parsed and nothing recurses (linear in ``text``)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth, pos, end = 0, 0, len(text)
    flat = _JSON_FLAT.match
    while True:
        pos = flat(text, pos).end()
        if pos >= end:
            return False
        char = text[pos]
        if char == '"':  # a string that never ends: the parser will say so
            return False
        depth += 1 if char in "[{" else -1
        if depth > limit:
            return True
        pos += 1


def _nesting_problem(text: str, limits: Limits) -> str:
    if json_nesting_over(text, limits.max_json_depth):
        return f"JSON nested deeper than {limits.max_json_depth} levels (limits.max_json_depth)"
    return ""


def _records_from_json(value: Any) -> Iterator[tuple[Any, str]]:
    """``(record, where)`` for each record of a parsed JSON value: ``where`` is ``"[3]"``,
    ``" docs[2]"``, ``"[1][0]"`` (arrays of arrays are flattened) or ``""`` for the value
    itself. An explicit stack, so no nesting makes it recurse."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, list):
            stack.extend((sub, f"{where}[{i}]") for i, sub in reversed(list(enumerate(item))))
        elif isinstance(item, Mapping) and isinstance(item.get("docs"), list):
            # The evaluation cluster format: {"cluster": ..., "docs": [{"id", "text"}, ...]}.
            yield from ((sub, f"{where} docs[{i}]") for i, sub in enumerate(item["docs"]))
        elif isinstance(item, Mapping) and isinstance(item.get("articles"), list):
            yield from ((sub, f"{where} articles[{i}]") for i, sub in enumerate(item["articles"]))
        else:
            yield item, where


def _articles_of(value: Any, origin: str, skipped: list[Skipped] | None, lineno: int | None = None) -> list[Article]:
    """The articles of one parsed JSON value (a file, or a line of a JSON Lines file); a record
    that is not an article goes to ``skipped`` (or is an InputError without it)."""
    articles = []
    for record, where in _records_from_json(value):
        if lineno is None:
            record_id, label = f"{origin}{where}", (f"record {where.strip()}" if where else origin)
        else:
            record_id, label = f"{origin}:{lineno}{where}", f"line {lineno}{where}"
        problem = _record_problem(record)
        if not problem:
            articles.append(from_mapping(record, origin=origin, where=record_id))
        elif skipped is None:
            raise InputError(f"{record_id}: {problem}")
        else:
            skipped.append(Skipped(record_id, f"{label}: {problem}"))
    return articles


def parse_json(text: str, origin: str, limits: Limits | None = None,
               skipped: list[Skipped] | None = None) -> list[Article]:
    """The articles of a JSON file: one object, an array of them, or ``{"docs": [...]}``.

    Nesting deeper than ``limits.max_json_depth`` is refused before parsing. With
    ``skipped``, a record that is not an article is recorded there and the rest are read.
    """
    limits = limits or Limits()
    problem = _nesting_problem(text, limits)
    if problem:
        raise InputError(f"{origin}: {problem}")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{origin}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except ValueError as exc:  # a number too long to convert
        raise InputError(f"{origin}: invalid JSON: {exc}") from None
    except RecursionError:  # a last resort: the depth check above should have refused it
        raise InputError(f"{origin}: {_TOO_DEEP_TO_PARSE}") from None
    before = len(skipped) if skipped is not None else 0
    articles = _articles_of(value, origin, skipped)
    if not articles and (skipped is None or len(skipped) == before):
        raise InputError(f"{origin}: no articles in this JSON file")
    return articles


def _jsonl_lines(text: str) -> Iterator[tuple[int, str]]:
    for lineno, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield lineno, line


def iter_jsonl(text: str, origin: str, limits: Limits | None = None) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` for each non-blank line; a bad line is an InputError naming it."""
    limits = limits or Limits()
    for lineno, line in _jsonl_lines(text):
        problem = _nesting_problem(line, limits)
        if problem:
            raise InputError(f"{origin}: line {lineno}: {problem}")
        try:
            yield lineno, json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{origin}: line {lineno} is not valid JSON ({exc.msg}); fix or remove that line"
            ) from None
        except ValueError as exc:
            raise InputError(f"{origin}: line {lineno} is not valid JSON ({exc}); fix or remove that line") from None
        except RecursionError:
            raise InputError(f"{origin}: line {lineno}: {_TOO_DEEP_TO_PARSE}") from None


def parse_jsonl(text: str, origin: str, limits: Limits | None = None,
                skipped: list[Skipped] | None = None) -> list[Article]:
    """The articles of a JSON Lines file. With ``skipped``, a line that is not valid JSON, is
    nested deeper than ``limits.max_json_depth`` or holds no article is recorded there
    (``Skipped("file.jsonl:7", "line 7: ...")``) and the other lines are read; without it,
    the first bad line is an InputError."""
    limits = limits or Limits()
    before = len(skipped) if skipped is not None else 0
    articles: list[Article] = []
    for lineno, line in _jsonl_lines(text):
        problem = _nesting_problem(line, limits)
        value = None
        if not problem:
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                problem = f"not valid JSON: {exc.msg} (column {exc.colno})"
            except ValueError as exc:  # a number too long to convert
                problem = f"not valid JSON: {exc}"
            except RecursionError:
                problem = _TOO_DEEP_TO_PARSE
        if problem:
            if skipped is None:
                raise InputError(f"{origin}: line {lineno}: {problem}; fix or remove that line")
            skipped.append(Skipped(f"{origin}:{lineno}", f"line {lineno}: {problem}"))
            continue
        articles.extend(_articles_of(value, origin, skipped, lineno))
    if not articles and (skipped is None or len(skipped) == before):
        raise InputError(f"{origin}: no articles in this JSON Lines file")
    return articles


# -- files and folders ----------------------------------------------------------------------------

METADATA_FILE = "metadata.jsonl"
NOT_ARTICLES = {"references.jsonl", METADATA_FILE}  # handwritten summaries (see seeds/), sidecar metadata
SYMLINK_LEAVES = "symlink leaves the input folder"


def folder_metadata(folder: Path, limits: Limits | None = None) -> dict[str, dict[str, Any]]:
    """Sidecar metadata of a folder: ``metadata.jsonl`` lines ``{"file": name, ...fields}``.

    Scrapers often keep what they knew about a page (outlet, date, URL) beside the text.
    Fields given there win over what is inferred from the text.
    """
    path = folder / METADATA_FILE
    if not path.is_file():
        return {}
    found: dict[str, dict[str, Any]] = {}
    for lineno, record in iter_jsonl(decode(read_bytes(path, limits), str(path)), str(path), limits):
        if not isinstance(record, Mapping) or not isinstance(record.get("file"), str):
            raise InputError(f"{path}: line {lineno} needs a \"file\" name")
        found[record["file"]] = dict(record)
    return found


def _with_metadata(article: Article, meta: Mapping[str, Any]) -> Article:
    changes = {field: _pick(meta, field) for field in ("title", "url", "published")}
    article = replace(article, **{k: v for k, v in changes.items() if v})
    given = _pick(meta, "outlet")
    if given or changes["url"]:  # what the sidecar states wins over what the text suggested
        article = outlets.credited(replace(article, outlet=""), given=given)
    return article


def _refuse(skipped: list[Skipped] | None, item: Skipped) -> None:
    """Record ``item`` in ``skipped``; without a list to record it in, refuse the input."""
    if skipped is None:
        raise InputError(f"{item.id}: {item.reason}")
    skipped.append(item)


def _note(skipped: list[Skipped] | None, article_id: str, reason: str) -> None:
    """Note that an article was kept with a change (or log it, without a list)."""
    if skipped is None:
        log.warning("noted %s: %s", article_id, reason)
    else:
        skipped.append(Skipped(article_id, reason, kept=True))


def folder_files(folder: Path, suffixes: set[str], skipped: list[Skipped] | None = None,
                 limits: Limits | None = None) -> list[Path]:
    """The files in ``folder`` and its subfolders whose suffix is one of ``suffixes``, sorted;
    hidden files and :data:`NOT_ARTICLES` are left out.

    A symlink whose target lies outside ``folder`` is not followed unless
    ``limits.follow_symlinks``: it is recorded in ``skipped`` as "symlink leaves the input
    folder" (without a list, it is an InputError). Symlinked subfolders are not descended.
    """
    limits = limits or Limits()
    root = folder.resolve()
    files = []
    for path in sorted(folder.rglob("*")):
        if path.name.startswith(".") or path.name in NOT_ARTICLES:
            continue
        if path.is_symlink() and not limits.follow_symlinks and not path.resolve().is_relative_to(root):
            if path.is_dir() or (path.is_file() and path.suffix.lower() in suffixes):
                _refuse(skipped, Skipped(str(path), SYMLINK_LEAVES))
            continue
        if path.is_file() and path.suffix.lower() in suffixes:
            files.append(path)
    return files


def load_path(path: Path, skipped: list[Skipped] | None = None, limits: Limits | None = None) -> list[Article]:
    """Load one file, or every supported file in a folder (sorted by name).

    With a ``skipped`` list, a file that cannot be used is recorded there
    (a :class:`~summarize.records.Skipped`) instead of raising, so one bad file does not stop
    a folder; so is a bad line or record of a JSON file, so it does not stop its file.
    """
    limits = limits or Limits()
    if path.is_dir():
        before = len(skipped) if skipped is not None else 0
        files = folder_files(path, SUPPORTED - {""}, skipped, limits)
        if not files and (skipped is None or len(skipped) == before):
            raise InputError(f"{path}: no .txt, .html, .json or .jsonl files in this folder")
        return [a for f in files for a in load_path(f, skipped, limits)]
    if skipped is None:
        return _load_file(path, None, limits)
    mine: list[Skipped] = []
    try:
        articles = _load_file(path, mine, limits)
    except InputError as exc:
        skipped.append(Skipped(str(path), str(exc)))
        return []
    skipped.extend(mine)
    return articles


def _load_file(path: Path, skipped: list[Skipped] | None, limits: Limits) -> list[Article]:
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise InputError(f"{path}: unsupported file type {suffix!r}; use .txt, .html, .json or .jsonl")
    text = decode(read_bytes(path, limits), str(path))
    articles = parse_text(text, origin=str(path), id=path.stem, suffix=suffix, limits=limits, skipped=skipped)
    meta = folder_metadata(path.parent, limits).get(path.name)
    if meta and len(articles) == 1:
        articles = [_with_metadata(articles[0], meta)]
    return articles


def parse_text(text: str, *, origin: str, id: str | None = None, suffix: str = "",
               limits: Limits | None = None, skipped: list[Skipped] | None = None) -> list[Article]:
    """Parse text whose format is given by ``suffix`` or sniffed from its content."""
    stripped = text.lstrip()
    if suffix in JSONL_SUFFIXES:
        return parse_jsonl(text, origin, limits, skipped)
    if suffix in JSON_SUFFIXES:
        return parse_json(text, origin, limits, skipped)
    if suffix in HTML_SUFFIXES or (not suffix and stripped[:15].lower().startswith(("<!doctype html", "<html"))):
        return [parse_html(text, id=id or content_id(text), origin=origin, limits=limits, skipped=skipped)]
    if not suffix and stripped.startswith(("{", "[")):
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) > 1 and all(ln.lstrip().startswith("{") for ln in lines):
            return parse_jsonl(text, origin, limits, skipped)
        return parse_json(text, origin, limits, skipped)
    return [parse_plain_text(text, id=id or content_id(text), origin=origin)]


# -- the size of one article ----------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’)\]]*(?=\s)")
_UP_TO_LAST_SPACE = re.compile(r".*\s", re.DOTALL)


def _cut_point(text: str, limit: int) -> int:
    """Where to cut ``text`` to at most ``limit`` characters: after the last sentence end in
    the second half of that span, else at the last whitespace, else at ``limit``."""
    window = text[: limit + 1]
    last = None
    for last in _SENTENCE_END.finditer(window, limit // 2):
        pass
    if last is not None:
        return last.end()
    space = _UP_TO_LAST_SPACE.match(window)
    return space.end() - 1 if space and space.end() > 1 else limit


def bound(article: Article, limits: Limits | None = None, skipped: list[Skipped] | None = None) -> Article:
    """``article`` with its text cut to ``limits.max_article_chars`` characters (at a sentence
    end, else at whitespace) and to its first ``limits.max_sentences`` sentences. Each cut
    is noted in ``skipped`` (``kept=True``), or logged without a list."""
    limits = limits or Limits()
    text = article.text
    if len(text) > limits.max_article_chars:
        cut = _cut_point(text, limits.max_article_chars)
        _note(skipped, article.id, f"kept its first {cut:,} of {len(text):,} characters "
                                   "(limits.max_article_chars)")
        text = text[:cut].rstrip()
    most = limits.max_sentences
    if segment.most_sentences(text) > most:
        spans = segment.split_spans(text, limit=most + 1)
        if len(spans) > most:
            _note(skipped, article.id, f"kept its first {most:,} sentences (limits.max_sentences)")
            text = text[: spans[most - 1][1]]
    return article if text is article.text else replace(article, text=text)


# -- any input ------------------------------------------------------------------------------------


def _is_path_like(value: str) -> bool:
    return "\n" not in value and len(value) < 4096 and (
        Path(value).exists() or Path(value).suffix.lower() in SUPPORTED - {""} or value.endswith("/")
    )


def read(inputs: Any, skipped: list[Skipped] | None = None, limits: Limits | None = None) -> list[Article]:
    """Read articles from one input or an iterable of inputs.

    Accepted: :class:`Article`, ``dict``, a path (``str`` or :class:`~pathlib.Path`) to a file
    or folder, ``"-"`` for standard input, or raw article text (``str`` with a newline or
    that is not a path). ``limits`` bound what one input may cost
    (:class:`~summarize.options.Limits`): what they refuse goes to ``skipped``, what they cut
    is noted there (``kept=True``); see :func:`load_path` and :func:`bound`.
    """
    limits = limits or Limits()
    if isinstance(inputs, (str, Path, Mapping, Article, bytes)):
        inputs = [inputs]
    articles: list[Article] = []
    for item in inputs:
        articles.extend(bound(a, limits, skipped) for a in _read_one(item, skipped, limits))
    return articles


def _read_one(item: Any, skipped: list[Skipped] | None, limits: Limits) -> Iterable[Article]:
    if isinstance(item, Article):
        return [item]
    if isinstance(item, Mapping):
        return [from_mapping(item, origin="<dict>")]
    if isinstance(item, bytes):
        if len(item) > limits.max_file_bytes:
            raise InputError(_too_big("<bytes>", len(item), limits.max_file_bytes))
        return parse_text(decode(item, "<bytes>"), origin="<bytes>", limits=limits, skipped=skipped)
    if isinstance(item, Path):
        return load_path(item, skipped, limits)
    if isinstance(item, str):
        if item == "-":
            data = sys.stdin.buffer.read(limits.max_file_bytes + 1)
            if len(data) > limits.max_file_bytes:
                raise InputError(_too_big("<stdin>", None, limits.max_file_bytes))
            return parse_text(decode(data, "<stdin>"), origin="<stdin>", limits=limits, skipped=skipped)
        if _is_path_like(item):
            return load_path(Path(item), skipped, limits)
        if not item.strip():
            raise InputError("an article string is empty or only whitespace")
        if len(item) > limits.max_file_bytes:
            raise InputError(_too_big("<str>", len(item), limits.max_file_bytes, "characters"))
        return parse_text(_valid_text(item), origin="<str>", limits=limits, skipped=skipped)
    raise InputError(f"cannot read an article from {type(item).__name__}; give a path, text, dict or Article")
