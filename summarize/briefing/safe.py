"""Links and Markdown text that are safe to show, whatever an article put in them.

Titles, outlets, sentences, ids, skip reasons and URLs all come from articles and feeds,
which anyone can write. The renderers (``briefing.render`` for a brief's Markdown,
``digest.render`` for ``digest.md`` and ``digest.html``) pass them through here:

* :func:`link_url`: only an absolute ``http``/``https`` URL becomes a link. The URL is read
  as a browser reads it (tabs and line breaks inside dropped, C0 controls and spaces at the
  ends stripped, the scheme in any case), so ``" JaVaScRiPt:"``, ``"java\\tscript:"`` and
  ``"\\x01javascript:"`` are all refused; characters that could end an attribute or a
  Markdown autolink are percent-encoded.
* :func:`relative_url`: a relative path that *we* wrote (the earlier digest's page):
  kept relative, percent-encoded, and never read as a scheme or a host (``./`` goes before
  a first segment with a colon, or a leading ``//``).
* :func:`markdown_text`: text shown as text by any CommonMark renderer: ``<``, ``>`` and an
  ``&`` that would start a character reference become entities; ``[``, ``]``, backticks and
  backslashes are backslash-escaped (no link, image, reference definition or code span can
  form); line breaks become spaces (no block can start). Ordinary prose comes out unchanged.
* :func:`markdown_code`: a code span that no backtick or line break in the text can end.

HTML needs no helper: the digest template is rendered with Jinja2's autoescaping.

Imports only the standard library.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlsplit

__all__ = ["LINK_SCHEMES", "link_url", "markdown_code", "markdown_text", "relative_url"]

LINK_SCHEMES = frozenset({"http", "https"})

_REMOVED = re.compile(r"[\t\n\r]")  # what the WHATWG URL parser drops anywhere in a URL
_ENDS = "".join(chr(c) for c in range(0x21))  # C0 controls and space, stripped at both ends
# Characters percent-encoded in a link: they could end an HTML attribute or a Markdown
# autolink or link destination, or hide what the link says (controls, format characters).
_UNSAFE_ASCII = set('\x7f "<>\\^`{|}') | {chr(c) for c in range(0x20)}
_BLOCK_START = re.compile(r"[#+\-*=_~|]|\d{1,9}[.)]")  # what may open a block at a line's start
_MD_ESCAPE = re.compile(
    r"[\\`\[\]<>]|&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")
_MD_REPLACE = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_LINE_BREAKS = re.compile(r"[ \t]*[\r\n\x0b\x0c\x85\u2028\u2029]+[ \t]*")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _encode(url: str, extra: str = "") -> str:
    def unsafe(ch: str) -> bool:
        if ch in _UNSAFE_ASCII or ch in extra:
            return True
        return ch > "\x7f" and unicodedata.category(ch) in {"Cc", "Cf", "Zs", "Zl", "Zp"}

    return "".join(quote(ch, safe="") if unsafe(ch) else ch for ch in url)


def _clean(url: str) -> str:
    return _REMOVED.sub("", url or "").strip(_ENDS)


def link_url(url: str) -> str:
    """``url`` ready for an ``href`` if it is an absolute ``http(s)`` URL with a host, else ``""``."""
    cleaned = _clean(url)
    try:
        parts = urlsplit(cleaned)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return ""
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc or not cleaned.lower().startswith(
            f"{parts.scheme.lower()}://"):
        return ""
    return _encode(cleaned)


def relative_url(path: str) -> str:
    """A relative reference written by us, safe for an ``href`` and a Markdown link destination.

    An ``http(s)`` URL is kept (see :func:`link_url`); anything else is made a relative path:
    a first segment with a colon (``javascript:...``) or a leading ``//`` (another host)
    gets ``./`` before it, so no scheme or host can be read from it. ``%``, spaces and
    parentheses are percent-encoded, so a folder name reads as itself and the result can
    stand as a Markdown link destination.
    """
    if link := link_url(path):
        return link.replace("(", "%28").replace(")", "%29")
    cleaned = _clean(path)
    if re.match(r"[/\\]{2}", cleaned):  # "//host/...": another host, not a path of ours
        cleaned = "./" + cleaned.lstrip("/\\")
    elif ":" in re.split(r"[/?#]", cleaned, maxsplit=1)[0]:
        cleaned = "./" + cleaned
    return _encode(cleaned, extra="()%")


def markdown_text(text: str, *, line_start: bool = False) -> str:
    """``text`` escaped so a Markdown renderer shows it as the same text (see the module doc).

    ``line_start``: the text begins a line, so a leading ``#``, ``-``, ``1.`` ... that would
    open a heading, list or other block is backslash-escaped too.
    """
    flat = _CONTROLS.sub("", _LINE_BREAKS.sub(" ", text or ""))
    out = _MD_ESCAPE.sub(lambda m: _MD_REPLACE.get(m.group(), "\\" + m.group()), flat)
    if line_start:
        out = out.lstrip(" \t")
        if block := _BLOCK_START.match(out):
            at = block.end() - 1
            out = out[:at] + "\\" + out[at:]
    return out


def markdown_code(text: str) -> str:
    """``text`` as an inline code span: shown verbatim, whatever backticks it holds."""
    flat = _CONTROLS.sub("", _LINE_BREAKS.sub(" ", text or ""))
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    if flat.startswith("`") or flat.endswith("`") or (flat.startswith(" ") and flat.endswith(" ") and flat.strip()):
        flat = f" {flat} "
    return f"{fence}{flat}{fence}"
