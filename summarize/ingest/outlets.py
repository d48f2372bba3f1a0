"""Who published an article, and which wire agency wrote it: two facts, never guessed.

A Reuters story republished by ICARO Media Group has a *publisher* (ICARO Media Group,
whose page it is) and a *wire source* (Reuters, credited in the dateline). A reader needs
both: "ICARO Media Group (Reuters)". This module is the one place that reads them, for
every loader path (:func:`credited`).

Publisher, first found wins:

1. metadata the input gives (JSON ``outlet``/``source``/``publisher``, a folder's
   ``metadata.jsonl``, an HTML page's ``og:site_name``, a feed's title);
2. the article's URL: a small table of well-known news domains (:data:`DOMAINS`), else
   the registrable domain itself ("example.com");
3. what the page says of itself: a "– The Guardian" headline suffix, a masthead line
   right under the headline ("ICARO Media Group"), or a site prompt in the page furniture
   ("Create an account on CNN.com").

Wire source: a dateline ("ANKARA, Nov 6 (Reuters) -", "WASHINGTON (AP) —"), or a byline
or credit line ("By Jane Doe, Associated Press", "Source: AFP") in the first lines of the
text. "According to Reuters" in the body is a quote's attribution, not a wire credit, and
is never read. Whatever is not stated stays empty: unknown is not a name.
"""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import urlsplit

from summarize.records import Article

# Wire agencies, by every way a dateline or byline names them.
WIRES = {
    "reuters": "Reuters",
    "thomson reuters": "Reuters",
    "ap": "Associated Press",
    "associated press": "Associated Press",
    "the associated press": "Associated Press",
    "afp": "AFP",
    "agence france-presse": "AFP",
    "agence france presse": "AFP",
    "upi": "UPI",
    "united press international": "UPI",
    "bloomberg": "Bloomberg",
    "dpa": "dpa",
    "xinhua": "Xinhua",
    "ansa": "ANSA",
    "efe": "EFE",
    "kyodo": "Kyodo News",
    "yonhap": "Yonhap",
    "cnn": "CNN",
}

# Well-known news domains -> the name their pages give themselves. A domain not listed
# here is named by its registrable domain ("example.com"), never by a guess.
DOMAINS = {
    "reuters.com": "Reuters", "apnews.com": "Associated Press", "afp.com": "AFP", "upi.com": "UPI",
    "bloomberg.com": "Bloomberg", "cnn.com": "CNN", "bbc.com": "BBC News", "bbc.co.uk": "BBC News",
    "theguardian.com": "The Guardian", "aljazeera.com": "Al Jazeera", "nytimes.com": "The New York Times",
    "washingtonpost.com": "The Washington Post", "wsj.com": "The Wall Street Journal",
    "foxnews.com": "Fox News", "foxbusiness.com": "Fox Business", "nbcnews.com": "NBC News",
    "cbsnews.com": "CBS News", "abcnews.go.com": "ABC News", "npr.org": "NPR", "euronews.com": "Euronews",
    "politico.com": "Politico", "politico.eu": "Politico Europe", "thehill.com": "The Hill",
    "usatoday.com": "USA Today", "latimes.com": "Los Angeles Times", "nypost.com": "New York Post",
    "washingtontimes.com": "The Washington Times", "washingtonexaminer.com": "Washington Examiner",
    "nationalreview.com": "National Review", "cnbc.com": "CNBC", "axios.com": "Axios",
    "msnbc.com": "MSNBC", "huffpost.com": "HuffPost", "vox.com": "Vox", "slate.com": "Slate",
    "theatlantic.com": "The Atlantic", "newsweek.com": "Newsweek", "time.com": "Time",
    "breitbart.com": "Breitbart News", "dailycaller.com": "The Daily Caller",
    "dailywire.com": "The Daily Wire", "newsmax.com": "Newsmax", "theepochtimes.com": "The Epoch Times",
    "reason.com": "Reason", "independent.co.uk": "The Independent", "telegraph.co.uk": "The Telegraph",
    "ft.com": "Financial Times", "economist.com": "The Economist", "france24.com": "France 24",
    "dw.com": "DW", "scotusblog.com": "SCOTUSblog", "businessinsider.com": "Business Insider",
    "wikinews.org": "Wikinews",
}

# Short names a headline suffix or masthead may use for an outlet of the table above.
_NAMES = {name.lower(): name for name in DOMAINS.values()} | {
    "guardian": "The Guardian", "the guardian": "The Guardian", "bbc": "BBC News", "cnn": "CNN",
    "reuters": "Reuters", "ap": "Associated Press", "associated press": "Associated Press", "afp": "AFP",
}

# Second-level labels under which a country's registrable domains sit ("bbc.co.uk").
_SECOND_LEVEL = {"co", "com", "org", "net", "gov", "ac", "edu", "news"}

# A name reads like a news organisation's when it has one of these words.
_ORGANISATION = re.compile(
    r"\b(?:Media|News|Newspapers?|Times|Post|Group|Press|Journal|Herald|Tribune|Daily|Network|"
    r"Broadcasting|Gazette|Telegraph|Review|Agency|Magazine|TV|Radio|Chronicle|Observer|Monitor|"
    r"Standard|Independent|Express|Mail|Star|Sun|Wire|Examiner|Insider|Report|Courier)\b"
)
_WIRE_NAMES = r"Reuters|Thomson Reuters|AP|Associated Press|AFP|Agence France[- ]Presse|UPI|Bloomberg|dpa|Xinhua|ANSA|EFE|Kyodo|Yonhap|CNN"
# "ANKARA, Nov 6 (Reuters) -", "WASHINGTON (AP) —", "(Reuters) -": a dateline opens a line.
# Text lower-cased upstream (Multi-News) writes it "new york ( reuters ) -".
_DATELINE = re.compile(
    rf"^(?:[A-Za-z][A-Za-z .,'/-]{{0,60}}?\s*+(?:\d{{1,2}}\s*+)?)?\(\s*+((?i:{_WIRE_NAMES}))\s*+\)\s*+[-–—:]"
)
# "By Jane Doe, Associated Press", "Source: AFP", "Credit: Reuters", "Reuters" alone on a line.
_BYLINE = re.compile(
    rf"^(?:(?:By\s+[^,|;]{{1,60}}?\s*+(?:[,|;]|\band\b|\bof\b)\s*+)|(?:Source|Credits?|Via)\s*+:\s*+|By\s+)?"
    rf"(?:The\s+)?({_WIRE_NAMES})(?:\s+(?:staff|writers?|reporters?|correspondents?))?\s*[.]?$"
)
_HEADLINE_SUFFIX = re.compile(r"\s+[–—|-]\s+((?:The\s+)?[A-Z][\w.&']*(?:\s+[A-Z][\w.&']*){0,3})\s*$")
# Page furniture that names the site it is on: "Create an account on CNN.com".
_SITE_PROMPT = re.compile(
    r"\b(?:account|newsletters?|subscribe|sign\s+(?:up|in)|log\s+in|download\s+the)\b.{0,60}?"
    r"\b(?:on|at|to|from)\s+([A-Za-z][A-Za-z-]{1,30}\.(?:com|co\.uk|org|net))\b",
    re.IGNORECASE,
)
_BARE_DOMAIN = re.compile(r"(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}", re.IGNORECASE)
_HEAD_LINES = 6  # datelines, bylines and mastheads sit in the first lines of a page
_SUFFIX_WINDOW = 200  # a headline suffix is looked for in the end of the title only


def wire_name(name: str) -> str:
    """The canonical name of a wire agency ("AP" -> "Associated Press"), else ``""``."""
    return WIRES.get(" ".join(name.split()).lower(), "")


def _known(name: str) -> str:
    return _NAMES.get(" ".join(name.split()).lower(), "")


def registrable_domain(url: str) -> str:
    """``"https://www.bbc.co.uk/news/x"`` -> ``"bbc.co.uk"``; ``""`` when there is no host."""
    try:
        host = (urlsplit(url.strip()).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""
    labels = [label for label in host.split(".") if label]
    if len(labels) < 2 or all(label.isdigit() for label in labels):
        return ""
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def publisher_from_url(url: str) -> str:
    """The publisher a URL names: the table's name for a well-known domain, else the
    registrable domain itself; ``""`` without a URL."""
    domain = registrable_domain(url)
    if not domain:
        return ""
    host = (urlsplit(url.strip()).hostname or "").lower()
    for known, name in DOMAINS.items():
        if host == known or host.endswith("." + known):
            return name
    return domain


def _head(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n", _HEAD_LINES + 1)[:_HEAD_LINES] if line.strip()]


def wire_from_text(text: str) -> str:
    """The wire agency a dateline, byline or credit line in the first lines names, else ``""``."""
    for line in _head(text):
        match = _DATELINE.match(line) or _BYLINE.match(line)
        if match:
            return wire_name(match.group(1))
    return ""


def headline_suffix(title: str) -> tuple[int, str] | None:
    """``(where it starts, outlet)`` of a "– The Guardian" suffix that names an outlet: a
    well-known one, or a name that reads like a news organisation's ("– Daily Herald")."""
    offset = max(0, len(title) - _SUFFIX_WINDOW)
    match = _HEADLINE_SUFFIX.search(title, offset)
    if not match:
        return None
    name = _known(match.group(1)) or (match.group(1) if _ORGANISATION.search(match.group(1)) else "")
    return (match.start(), name) if name else None


def _masthead(title: str, text: str) -> str:
    """A masthead line right under the headline ("ICARO Media Group"): the first line of a
    text that has a headline, short, every word capitalised, naming an organisation."""
    lines = _head(text)
    if not title or not lines:
        return ""
    line = lines[0]
    words = line.split()
    if not 1 <= len(words) <= 5 or re.search(r"[.!?:;,\"“”]", line):
        return ""
    if not all(w[0].isupper() or w[0].isdigit() or w in {"of", "and", "the", "&"} for w in words):
        return ""
    return _known(line) or (line if _ORGANISATION.search(line) else "")


def publisher_from_text(title: str, text: str) -> str:
    """The publisher when the page names itself plainly, else ``""``."""
    suffix = headline_suffix(title)
    if suffix:
        return suffix[1]
    masthead = _masthead(title, text)
    if masthead:
        return masthead
    for line in text.splitlines():
        # Furniture is a short line, not a sentence: "Create an account on CNN.com for more
        # CNN news"; "He urged fans to sign up at gettr.com." in the body names no publisher.
        if len(line.split()) > 16 or re.search(r"[.!?][\"'”’)]*\s*$", line):
            continue
        match = _SITE_PROMPT.search(line)
        if match:
            return publisher_from_url("https://" + match.group(1))
    return ""


def strip_suffix(title: str, publisher: str) -> str:
    """The title without a "– The Guardian" suffix that names its publisher."""
    suffix = headline_suffix(title)
    if suffix and publisher and suffix[1].lower() == publisher.lower():
        return title[: suffix[0]].strip()
    return title


def credited(article: Article, given: str = "") -> Article:
    """The article with its publisher (``outlet``) and wire source (``wire``) filled in.

    Args:
        article: A freshly loaded article (text before cleaning, so a masthead or byline
            line is still there).
        given: The publisher the input's metadata names, if any; it wins.
    """
    given = " ".join(given.split())
    if _BARE_DOMAIN.fullmatch(given):  # {"domain": "reuters.com"}
        given = publisher_from_url("https://" + given)
    publisher = given or publisher_from_url(article.url) or publisher_from_text(
        article.title, article.text)
    wire = article.wire or wire_from_text(article.text)
    return replace(article, outlet=publisher, wire=wire, title=strip_suffix(article.title, publisher))
