"""Page safety (issue 16): text and links from articles cannot run script or inject markup.

Hostile strings (OWASP-style XSS payloads, ``javascript:``/``data:``/``vbscript:`` links
with case, whitespace and control-character tricks, template injection, unicode look-alikes)
go into every field an article can set: title, outlet, URL, text, id, and the skip reasons
that quote them. Then:

* ``digest.html`` has only ``http(s)``, relative or ``#`` links, no element or attribute
  the template did not write, and a strict Content-Security-Policy whose style hash matches;
* ``digest.md`` and a brief's Markdown, rendered by a CommonMark renderer (markdown-it-py)
  that lets raw HTML through and follows any link, give no raw tag and no unsafe link;
* headless chromium loads the page inside a harness that clicks every link: no payload runs
  (each would set ``data-pwned`` on the page's body), and the CSP blocks nothing the page needs.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import HashingEmbedder

from summarize.briefing import safe
from summarize.digest import job as digest
from summarize.digest import render as digest_render
from summarize.digest.records import Digest, DigestStory, Previous
from summarize.digest.update import Change, Update
from summarize.records import Brief, BriefSentence, Disagreement, Fact, Skipped, Source

CHROMIUM = Path("/usr/bin/chromium")
MARK = "document.body.setAttribute('data-pwned','1')"

PAYLOADS = [
    f"<script>{MARK}</script>",
    f'<img src=x onerror="{MARK}">',
    f'"><img src=x onerror={MARK}>',
    f"'><svg onload=\"{MARK}\">",
    f"<svg/onload={MARK}>",
    f'<iframe srcdoc="<script>{MARK}</script>"></iframe>',
    f'<a href="javascript:{MARK}">click me</a>',
    f'<details open ontoggle="{MARK}">x</details>',
    f'<body onload="{MARK}">',
    "<style>body{display:none}</style>",
    f"[click me](javascript:{MARK})",
    f"![x](javascript:{MARK})",
    f"<javascript:{MARK}>",
    f"[1]: javascript:{MARK}",
    "{{7*7}} ${7*7} {% raw %} #{7*7}",
    f"\uff1cscript\uff1e{MARK}\uff1c/script\uff1e",  # fullwidth angle brackets
    f"<scr\u200bipt>{MARK}</scr\u200bipt>",
    f"&lt;img src=x onerror={MARK}&gt;",
    f"`x` <img src=x onerror={MARK}> `y`",
]
BAD_URLS = [
    f"javascript:{MARK}",
    f" JaVaScRiPt:{MARK}",
    f"java\tscript:{MARK}",
    f"java\nscript:{MARK}",
    f"\x01javascript:{MARK}",
    f"\u0000 javascript:{MARK}",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "  DATA:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "&#106;avascript:alert(1)",
    "javascript&colon;alert(1)",
    "//evil.example/x",
    "file:///etc/passwd",
    "http:alert(1)",
    "https://",
]
ALLOWED_TAGS = {  # what the template writes
    "html", "head", "meta", "title", "style", "body", "header", "main", "footer", "section", "div",
    "h1", "h2", "h3", "p", "ul", "ol", "li", "a", "span", "code", "nav", "q", "strong", "link", "b", "time",
    "script",  # exactly one, inline, allowed by its hash (see the CSP test)
}
ALLOWED_MD_TAGS = {"h1", "h2", "p", "ul", "ol", "li", "a", "em", "strong", "code"}


# --- what a page may contain ------------------------------------------------------------

class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of <style> and <script> elements."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.styles: list[str] = []
        self.scripts: list[str] = []
        self._in = ""
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in = tag if tag in {"style", "script"} else ""

    def handle_endtag(self, tag):
        self._in = ""

    def handle_data(self, data):
        if self._in == "style":
            self.styles.append(data)
        elif self._in == "script":
            self.scripts.append(data)

    def hrefs(self) -> list[str]:
        return [a.get("href", "") for _, a in self.tags if "href" in a] + [
            a.get("src", "") for _, a in self.tags if "src" in a]


def _safe_href(href: str) -> bool:
    """http(s), a relative path (no scheme, no ``//``) or a fragment."""
    if re.match(r"https?://[^\s]", href):
        return True
    return not re.match(r"^\s*[A-Za-z][A-Za-z0-9+.\-]*:", href) and not href.startswith(("//", "\\"))


def _assert_safe_html(page: str) -> Tags:
    tags = Tags(page)
    names = {t for t, _ in tags.tags}
    assert names <= ALLOWED_TAGS, names - ALLOWED_TAGS
    handlers = [(t, k) for t, a in tags.tags for k in a if k.startswith("on") or k in {"srcdoc", "src", "style"}]
    assert handlers == []
    bad = [h for h in tags.hrefs() if not _safe_href(h)]
    assert bad == []
    return tags


def _markdown_html(text: str) -> tuple[str, list]:
    """``text`` rendered by a CommonMark renderer that passes raw HTML and follows any link."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True})
    md.validateLink = lambda url: True  # as permissive as the worst renderer a reader might use
    tokens = md.parse(text)
    return md.render(text), tokens


def _assert_safe_markdown(text: str) -> str:
    rendered, tokens = _markdown_html(text)
    flat = [t for tok in tokens for t in [tok, *(tok.children or [])]]
    assert [t.content for t in flat if t.type in {"html_inline", "html_block"}] == []
    assert [t.type for t in flat if t.type == "image"] == []
    links = [t.attrs.get("href", "") for t in flat if t.type == "link_open"]
    assert [h for h in links if not _safe_href(str(h))] == []
    tags = Tags(rendered)
    assert {t for t, _ in tags.tags} <= ALLOWED_MD_TAGS
    assert [k for _, a in tags.tags for k in a if k != "href"] == []
    return rendered


# --- the safe-link helpers --------------------------------------------------------------

@pytest.mark.parametrize("url", BAD_URLS)
def test_only_http_and_https_urls_become_links(url):
    assert safe.link_url(url) == ""


@pytest.mark.parametrize(("url", "href"), [
    ("https://a.example/1", "https://a.example/1"),
    ("HTTP://A.example/x?q=1&r=2#top", "HTTP://A.example/x?q=1&r=2#top"),
    ("  https://a.example/p\t", "https://a.example/p"),
    ("https://a.example/wiki/Foo_(bar)", "https://a.example/wiki/Foo_(bar)"),
    ('https://a.example/"><img src=x>', "https://a.example/%22%3E%3Cimg%20src=x%3E"),
    ("https://a.example/a b\u202ec", "https://a.example/a%20b%E2%80%AEc"),
    ("https://caf\u00e9.example/\u00e9t\u00e9", "https://caf\u00e9.example/\u00e9t\u00e9"),
])
def test_http_urls_are_kept_and_characters_that_could_break_out_are_percent_encoded(url, href):
    assert safe.link_url(url) == href


def test_a_relative_path_of_ours_stays_relative_and_never_reads_as_a_scheme():
    assert safe.relative_url("../o1/digest.html#s-0123") == "../o1/digest.html#s-0123"
    assert safe.relative_url("../My digest (old)/digest.html#s-1") == "../My%20digest%20%28old%29/digest.html#s-1"
    assert safe.relative_url("javascript:alert(1)/digest.html#s-1") == "./javascript:alert%281%29/digest.html#s-1"
    assert safe.relative_url(" JaVa\tScript:alert(1)") == "./JaVaScript:alert%281%29"
    assert safe.relative_url("https://a.example/d.html") == "https://a.example/d.html"
    assert safe.relative_url("//evil.example/x") == "./evil.example/x"
    assert safe.relative_url("../100% (a%20b)/digest.html#s-1") == "../100%25%20%28a%2520b%29/digest.html#s-1"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_text_shows_a_payload_as_text(payload):
    rendered = _assert_safe_markdown(f"- {safe.markdown_text(payload)}\n")
    assert "<img" not in rendered and "<script" not in rendered and "<svg" not in rendered


def test_markdown_text_leaves_ordinary_text_alone():
    for text in ("The bridge collapsed. 12 died, \u201cofficials\u201d said.", "AT&T paid $5 (about 4%) * 2_000!",
                 "Q&A: a > b? No; #1 is 3 < 4.", "Daily A"):
        rendered, _ = _markdown_html(safe.markdown_text(text))
        assert Tags(rendered).tags == [("p", {})]
        assert html.unescape(re.sub(r"</?p>", "", rendered)).strip() == text
    assert safe.markdown_text("The bridge collapsed on Monday.") == "The bridge collapsed on Monday."


def test_markdown_code_survives_backticks_and_line_breaks():
    assert safe.markdown_code("undated") == "`undated`"
    for text in ("a`b", "`x` <img src=x onerror=alert(1)> `y`", "x\n<script>alert(1)</script>", "``"):
        rendered = _assert_safe_markdown(f"- {safe.markdown_code(text)}: reason\n")
        assert "<code>" in rendered and "<script" not in rendered and "<img" not in rendered


# --- a digest with a payload in every field ---------------------------------------------

def _hostile_digest() -> Digest:
    stories = []
    for i, payload in enumerate(PAYLOADS):
        url = BAD_URLS[i % len(BAD_URLS)]
        sources = (Source(1, payload, payload, payload, url, payload),
                   Source(2, "ok", "Daily B", "Fine", "https://b.example/2"))
        sentence = BriefSentence(f"{payload} said officials.", (1, 2), ())
        brief = Brief(f"s-{i}", payload, (sentence, BriefSentence(payload, (2,), ())), sources,
                      facts=(Fact(payload, (1, 2), 3),),
                      disagreements=(Disagreement(payload, payload, (1,), payload, (2,)),),
                      unique=(Fact(payload, (1,), 1),))
        update = Update(payload, (BriefSentence(payload, (1,), ()),), (Change(payload, payload, payload, (1,)),),
                        (payload,))
        previous = Previous(payload, payload, f"javascript:{MARK}/digest.html#{payload}", payload)
        stories.append(DigestStory(i + 1, payload, 1.0, brief, (payload,), (payload,),
                                   previous=previous, update=update))
    skipped = tuple(Skipped(p, p, kept=bool(i % 2)) for i, p in enumerate(PAYLOADS))
    return Digest("2024-01-01", tuple(stories), skipped, {"read": 1}, model=PAYLOADS[0])


def test_the_html_page_has_only_safe_links_and_no_markup_from_articles():
    d = _hostile_digest()
    page = digest_render.to_html(d)
    tags = _assert_safe_html(page)
    hrefs = tags.hrefs()
    assert "https://b.example/2" in hrefs
    # A hostile story id shows up in its in-page links ("#<id>"), which cannot leave the page.
    assert not any("javascript" in h.lower() and not h.startswith(("./", "#")) for h in hrefs)
    ids = {a["id"] for _, a in tags.tags if "id" in a}
    assert [h for h in hrefs if h.startswith("#") and h[1:] not in ids] == []  # each points at the page


def test_the_html_page_has_a_strict_csp_whose_style_and_script_hashes_match():
    import base64
    import hashlib

    page = digest_render.to_html(_hostile_digest())
    tags = Tags(page)
    metas = [a["content"] for t, a in tags.tags if t == "meta" and a.get("http-equiv", "").lower()
             == "content-security-policy"]
    assert len(metas) == 1
    policy = {d.split()[0]: d.split()[1:] for d in (p.strip() for p in metas[0].split(";")) if d}
    assert policy["default-src"] == ["'none'"]
    assert "'unsafe-inline'" not in metas[0] and "'unsafe-eval'" not in metas[0] and "http" not in metas[0]
    assert policy.get("base-uri") == ["'none'"] and policy.get("form-action") == ["'none'"]
    assert len(tags.styles) == 1
    digest_of_style = base64.b64encode(hashlib.sha256(tags.styles[0].encode("utf-8")).digest()).decode()
    assert policy["style-src"] == [f"'sha256-{digest_of_style}'"]
    # The page's own script runs by its hash, and nothing else can: one inline <script>, no src.
    scripts = [a for t, a in tags.tags if t == "script"]
    assert len(scripts) == 1 and scripts[0] == {} and len(tags.scripts) == 1
    digest_of_script = base64.b64encode(hashlib.sha256(tags.scripts[0].encode("utf-8")).digest()).decode()
    assert policy["script-src"] == [f"'sha256-{digest_of_script}'"]
    assert "</script" not in tags.scripts[0].lower() and "innerHTML" not in tags.scripts[0]
    head = page.split("<head>", 1)[1]
    assert head.index("Content-Security-Policy") < head.index("<style")  # the policy comes first


def test_the_markdown_digest_shows_every_payload_as_text():
    d = _hostile_digest()
    rendered = _assert_safe_markdown(digest_render.to_markdown(d))
    assert "earlier brief" in rendered


def test_an_earlier_brief_link_stays_a_working_relative_link():
    d = _hostile_digest()
    story = d.stories[0]
    ok = DigestStory(1, "s-1", 1.0, story.brief, ("a",), ("Daily A",),
                     previous=Previous("2024-01-01", "s-0", "../o1/digest.html#s-0"))
    page = digest_render.to_html(Digest("2024-01-02", (ok,)))
    assert 'href="../o1/digest.html#s-0"' in page
    md = digest_render.to_markdown(Digest("2024-01-02", (ok,)))
    assert "[earlier brief](../o1/digest.html#s-0)" in md


# --- end to end: hostile articles through the nightly run, the page in a browser --------

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Wire Feed</title>
{items}
</channel></rss>"""
ITEM = """<item><title>{title}</title><link>{link}</link><guid>{guid}</guid>
<pubDate>Mon, 01 Jan 2024 08:00:00 GMT</pubDate><description>{text}</description></item>"""

BODY = ("The old river bridge in Springfield collapsed on Monday morning {p} after days of heavy rain, "
        "officials said. Twelve people were injured when the river bridge fell into the water, "
        "the mayor of Springfield said. Engineers had warned about deep cracks in the bridge {p} in 2019. "
        "Rescue teams searched the river near the collapsed bridge for survivors on Monday. "
        "The state will pay {n} million dollars to rebuild the Springfield bridge {p}, the governor said.")


def _escape_xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _hostile_day(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    lines = []
    for i, payload in enumerate(PAYLOADS):
        record = {"id": f"{payload} #{i}", "title": f"Bridge collapse {payload}", "outlet": f"Outlet {i} {payload}",
                  "url": BAD_URLS[i % len(BAD_URLS)], "text": BODY.format(p=payload, n=10 + i % 3)}
        if i % 3:  # the undated ones are noted, with their ids, in the footer
            record["published"] = "2024-01-01"
        lines.append(json.dumps(record))
    lines.append(json.dumps({"id": "fine", "title": "Bridge collapses", "outlet": "Daily Fine",
                             "url": "https://fine.example/bridge", "published": "2024-01-01",
                             "text": BODY.format(p="", n=10)}))
    (folder / "day.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = [ITEM.format(title=_escape_xml(f"Bridge falls {p}"), link=_escape_xml(u), guid=f"feed-{i}",
                         text=_escape_xml(_escape_xml(BODY.format(p=p, n=11))))
             for i, (p, u) in enumerate(zip(PAYLOADS[:6], BAD_URLS[:6], strict=True))]
    (folder / "wire.rss").write_text(FEED.format(items="\n".join(items)), encoding="utf-8")
    (folder / f"{PAYLOADS[2]}.json").write_text("{not json", encoding="utf-8")  # skipped, its path shown
    return folder


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    result = digest.run([str(_hostile_day(tmp))], date="2024-01-01", out_dir=tmp / "out",
                        store=tmp / "s.sqlite", embedder=HashingEmbedder())
    return tmp, result


def test_hostile_articles_give_a_page_with_only_safe_links_and_no_injected_markup(hostile_run):
    tmp, result = hostile_run
    assert result.stories and result.skipped
    page = (tmp / "out" / "digest.html").read_text(encoding="utf-8")
    tags = _assert_safe_html(page)
    assert "https://fine.example/bridge" in tags.hrefs()
    # the payloads did reach the page, as text
    assert "&lt;img src=x onerror=" in page and "&lt;script&gt;" in page


def test_hostile_articles_give_a_markdown_digest_without_raw_html(hostile_run):
    tmp, _ = hostile_run
    text = (tmp / "out" / "digest.md").read_text(encoding="utf-8")
    outside_code = re.sub(r"(`+).*?\1", "", text)  # ids are shown verbatim in code spans
    assert "<img" not in outside_code and "<script" not in outside_code and "<svg" not in outside_code
    rendered = _assert_safe_markdown(text)
    assert "&lt;img src=x onerror=" in rendered  # shown, as text


HARNESS = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>harness</title></head><body>
<iframe id="page" src="{page}"></iframe>
<script>
const frame = document.getElementById("page");
frame.addEventListener("load", () => {{
  const doc = frame.contentDocument;
  if (!doc) {{ document.body.setAttribute("data-result", "no-access"); return; }}
  const before = doc.body.getAttribute("data-pwned") || "";
  // Click every link; only a javascript: one may go ahead (any other would leave the page).
  doc.addEventListener("click", (e) => {{
    const a = e.target.closest("a");
    if (a && a.protocol !== "javascript:") e.preventDefault();
  }}, true);
  const links = doc.querySelectorAll("a[href]");
  for (const a of links) a.click();
  setTimeout(() => {{
    const now = frame.contentDocument;
    document.body.setAttribute("data-result", JSON.stringify(now === doc ? {{
      before: before, after: doc.body.getAttribute("data-pwned") || "", links: links.length,
      font: getComputedStyle(doc.body).fontFamily, stories: doc.querySelectorAll("section.story").length,
      script: doc.documentElement.classList.contains("js"),
      title: doc.title,
    }} : {{left: String(frame.contentWindow.location)}}));
  }}, 1000);
}}, {{once: true}});
</script></body></html>
"""


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install -y chromium)")
def test_no_payload_runs_in_a_browser_even_when_every_link_is_clicked(hostile_run, tmp_path):
    out = hostile_run[0] / "out"
    harness = out / "harness.html"
    harness.write_text(HARNESS.format(page="digest.html"), encoding="utf-8")
    proc = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--allow-file-access-from-files",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom", harness.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    )
    found = re.search(r'data-result="([^"]*)"', proc.stdout)
    assert found, proc.stdout[-2000:]
    result = json.loads(html.unescape(found.group(1)))
    assert result["before"] == "" and result["after"] == ""  # nothing ran, on load or on a click
    assert result["links"] >= 1 and result["stories"] == len(hostile_run[1].stories)
    assert "Georgia" in result["font"]  # the page's own style applied under its CSP
    assert result["script"] is True  # and its own script ran
    assert result["title"] == "News digest, 2024-01-01"
    # the policy blocked nothing the page itself needs (a wrong style hash would show here)
    blocked = [line for line in proc.stderr.splitlines()
               if "Content Security Policy" in line and "digest.html" in line
               and ("style" in line.lower() or "script" in line.lower())]
    assert blocked == []
