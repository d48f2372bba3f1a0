"""What the digest page and feeds show of each story: the view they are rendered from, and
the Jinja2 environment of the templates (``templates/``).

Every citation mark of a brief points at a footnote quoting the source sentences that
support it (``Support``), or, for a claim without quoted support (a fact no brief sentence
was made from, a single-outlet claim, a disagreement, a changed figure), at the source's
entry in the story's source list. When the source has the sentence word for word (dateline
aside) the mark points at the source entry and names the sentence, so the page holds the
text once. Without script the marks are in-page links; the page's one inline script
(allowed by its hash) turns them into popovers.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from summarize.briefing.safe import link_url, relative_url
from summarize.digest.records import Digest, DigestStory
from summarize.digest.update import Change
from summarize.nlp.text import strip_dateline
from summarize.records import Disagreement, Fact, Source, Support

PAGE, ATOM, JSON_FEED, INDEX = "digest.html", "digest.xml", "digest.feed.json", "index.html"
UNIQUE_SHOWN = 3  # single-outlet claims shown per story on the page and in the feeds (all are in .md and .json)


@dataclass(frozen=True)
class Mark:
    """One citation mark ``[n]``: ``target`` is the id of the element it points at, a
    footnote quoting the supporting sentences (``note``) or the source's entry. ``quote``:
    the id of the sentence on the page that source ``n`` has word for word (dateline aside),
    which the popover then quotes, else ``""``."""

    n: int
    target: str
    note: bool
    quote: str = ""


@dataclass(frozen=True)
class Note:
    """A footnote: the sentences of source ``n`` that support a claim, quoted."""

    id: str
    n: int
    quotes: tuple[str, ...]


@dataclass(frozen=True)
class Voice:
    """One chip of a story's coverage strip: an outlet with its number of articles, and the
    outlets that carried a copy of the same (wire) article."""

    outlet: str
    articles: int
    copies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cited:
    """A sentence with its marks; ``id`` names it on the page when a footnote quotes it."""

    text: str
    marks: tuple[Mark, ...]
    id: str = ""


@dataclass(frozen=True)
class StoryView:
    """What the page shows of one story (see the module doc)."""

    story: DigestStory
    key: str  # prefix of the story's footnote and source ids on this page: "c<rank>-"
    sentences: tuple[Cited, ...]
    new: tuple[Cited, ...]  # the update's new claims
    changed: tuple[tuple[Change, tuple[Mark, ...]], ...]
    facts: tuple[tuple[Fact, tuple[Mark, ...]], ...]
    unique: tuple[tuple[Fact, str, tuple[Mark, ...]], ...]  # claim, its outlet, marks
    disagreements: tuple[tuple[Disagreement, str, tuple[Mark, ...], str, tuple[Mark, ...]], ...]
    notes: tuple[Note, ...]
    quoted: frozenset[str]  # ids of the sentences that marks quote (wrapped in a <span id>)
    unique_more: int  # single-outlet claims not shown (over UNIQUE_SHOWN)
    voices: tuple[Voice, ...]
    related: tuple[tuple[str, str, bool], ...]  # story id, title, shown on this page
    urls: dict[int, str]  # source number -> its http(s) URL (checked), when it has one
    # figures of the brief that changed over the story's days (Disagreement.kind "update"):
    # the figure, marks of the earlier and of the latest report
    updates: tuple[tuple[Disagreement, tuple[Mark, ...], tuple[Mark, ...]], ...] = ()

    @property
    def sources(self) -> tuple[Source, ...]:
        return self.story.brief.sources

    def source_id(self, n: int) -> str:
        return f"{self.key}n{n}"

    def outlets_of(self, numbers: tuple[int, ...]) -> str:
        names = {src.n: src.credit for src in self.sources}
        return ", ".join(dict.fromkeys(names[n] for n in numbers if n in names))


def _same(quote: str, sentence: str) -> bool:
    return " ".join(strip_dateline(quote).split()) == " ".join(sentence.split())


class _Notes:
    """Numbers a story's footnotes; a claim citing the same sentences of a source shares one.

    A source that has the sentence word for word gets no footnote: its mark points at the
    source entry and names the sentence (``Mark.quote``), so the page holds the text once.
    """

    def __init__(self, key: str) -> None:
        self.key = key
        self.notes: dict[tuple[int, tuple[str, ...]], Note] = {}
        self.quoted: set[str] = set()  # ids of the sentences that marks quote

    def marks(self, citations: tuple[int, ...], support: tuple[Support, ...] = (),
              sentence: Cited | None = None) -> tuple[Mark, ...]:
        """The marks of ``citations``; ``sentence``: the sentence on the page they follow."""
        out = []
        for n in citations:
            quotes = tuple(dict.fromkeys(sp.text for sp in support if sp.n == n))
            if sentence is not None and len(quotes) == 1 and _same(quotes[0], sentence.text):
                self.quoted.add(sentence.id)
                out.append(Mark(n, f"{self.key}n{n}", note=False, quote=sentence.id))
            elif quotes:
                note = self.notes.setdefault((n, quotes), Note(f"{self.key}e{len(self.notes) + 1}", n, quotes))
                out.append(Mark(n, note.id, note=True))
            else:
                out.append(Mark(n, f"{self.key}n{n}", note=False))
        return tuple(out)

    def cited(self, text: str, citations: tuple[int, ...], support: tuple[Support, ...], sid: str) -> Cited:
        sentence = Cited(text, (), sid)
        return replace(sentence, marks=self.marks(citations, support, sentence))


def _voices(story: DigestStory) -> tuple[Voice, ...]:
    """The coverage strip: syndicated copies (``metadata["story"]["voices"]``) grouped under
    the first article's outlet, one outlet's other articles counted on its chip."""
    outlet = {src.article_id: src.credit for src in story.brief.sources}
    ids = [a for a in story.article_ids if a in outlet] or list(outlet)
    groups = [[a for a in g if a in outlet] for g in story.brief.metadata.get("story", {}).get("voices", ())
              if isinstance(g, list | tuple)]
    grouped = {a for g in groups for a in g}
    groups = [g for g in groups if g] + [[a] for a in ids if a not in grouped]
    chips: dict[tuple[str, tuple[str, ...]], int] = {}
    for group in groups:
        lead = outlet[group[0]]
        copies = tuple(dict.fromkeys(outlet[a] for a in group[1:] if outlet[a] != lead))
        chips[(lead, copies)] = chips.get((lead, copies), 0) + len(group)
    return tuple(Voice(lead, count, copies) for (lead, copies), count in chips.items())


def story_view(story: DigestStory, on_page: frozenset[str] = frozenset()) -> StoryView:
    """The :class:`StoryView` of ``story``; ``on_page``: the story ids the same page shows."""
    brief = story.brief
    notes = _Notes(f"c{story.rank}-")
    sentences = tuple(notes.cited(s.text, s.citations, s.support, f"{notes.key}s{i}")
                      for i, s in enumerate(brief.sentences, start=1))
    update = story.update
    new = tuple(notes.cited(s.text, s.citations, s.support, f"{notes.key}u{i}")
                for i, s in enumerate(update.sentences if update else (), start=1))
    changed = tuple((c, notes.marks(c.citations)) for c in update.changed) if update else ()
    # A fact is the seed sentence of a claim group; when a brief sentence was made from the
    # same group its support quotes what each source said.
    support_of: dict[str, tuple[Support, ...]] = {}
    for s in (*brief.sentences, *(update.sentences if update else ())):
        for sp in s.support:
            support_of.setdefault(strip_dateline(sp.text), s.support)
    facts = tuple((f, notes.marks(f.citations, support_of.get(f.text, ()))) for f in brief.facts)
    shown = {s.text for s in brief.sentences}
    view = StoryView(
        story=story, key=notes.key, sentences=sentences, new=new, changed=changed, facts=facts,
        unique=(), disagreements=(), notes=(), quoted=frozenset(), unique_more=0, voices=_voices(story),
        related=tuple((sid, title, sid in on_page) for sid, title in story.related),
        urls={src.n: url for src in brief.sources if (url := link_url(src.url))},
    )
    single = [f for f in brief.unique if f.text not in shown]
    unique = tuple((f, view.outlets_of(f.citations), notes.marks(f.citations)) for f in single[:UNIQUE_SHOWN])
    disagreements = tuple((d, view.outlets_of(d.a_citations), notes.marks(d.a_citations),
                           view.outlets_of(d.b_citations), notes.marks(d.b_citations))
                          for d in brief.disagreements if d.kind != "update")
    updates = tuple((d, notes.marks(d.a_citations), notes.marks(d.b_citations))
                    for d in brief.disagreements if d.kind == "update")
    return replace(view, unique=unique, disagreements=disagreements, notes=tuple(notes.notes.values()),
                   quoted=frozenset(notes.quoted), unique_more=len(single) - len(unique), updates=updates)


def story_views(digest: Digest) -> tuple[StoryView, ...]:
    on_page = frozenset(s.story_id for s in digest.stories)
    return tuple(story_view(s, on_page) for s in digest.stories)


@functools.lru_cache(maxsize=1)
def environment():
    """The Jinja2 environment of the page, the nights' index and the feed entries: autoescaped
    (built once per process, so each template is compiled once)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    )
    env.filters["relative_url"] = relative_url
    env.filters["sha256_base64"] = sha256_base64
    return env


def sha256_base64(text: str) -> str:
    """Base64 of the SHA-256 of ``text`` (UTF-8): ``'sha256-...'`` in a CSP allows the inline
    ``<style>`` or ``<script>`` whose content is exactly ``text``."""
    return base64.b64encode(hashlib.sha256(str(text).encode("utf-8")).digest()).decode("ascii")
