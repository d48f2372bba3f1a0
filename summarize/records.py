"""Typed, frozen records exchanged between the pipeline stages.

The journey of a story: ``Article`` (load) -> cleaned ``Article`` (clean) -> ``Sentence``
(segment) -> ``Story`` (cluster) -> ``ScoredSentence`` / ``ClaimGroup`` (score) ->
``Brief`` (select, write, attribute) -> Markdown / JSON (render).

Dicts only appear at the edges: :meth:`Brief.to_dict` / :meth:`Brief.from_dict` are the
JSON schema documented in ``docs/brief-schema.md``. Records know their JSON form; they never
import a stage or a renderer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from summarize.errors import OutputError


def citation_marks(citations: Sequence[int]) -> str:
    """``(1, 3)`` -> ``"[1][3]"``: how a brief cites its numbered sources."""
    return "".join(f"[{n}]" for n in citations)


@dataclass(frozen=True)
class Skipped:
    """An input set aside, or (``kept``) let in with a change or a warning, and why.

    The one record of what was not used as given, from every stage: the loaders (a bad
    file), ingest (no text left, an exact duplicate), the clusterer (another language) and
    the digest (a re-dated article, an article already stored).
    """

    id: str
    reason: str
    kept: bool = False

    def to_dict(self) -> dict[str, Any]:
        """``{"id", "reason"}``, plus ``"kept": true`` for an input let in with a note: the
        form ``Brief.metadata["skipped"]`` lists."""
        return {"id": self.id, "reason": self.reason, **({"kept": True} if self.kept else {})}


@dataclass(frozen=True)
class Article:
    """One news article.

    Attributes:
        id: Stable identifier (file stem, JSON ``id``, or a content hash).
        text: Body text. After the clean stage, page furniture is removed and sentence
            offsets point into this string.
        outlet: Publisher, whose page it is ("The Guardian", "ICARO Media Group"); empty
            when unknown (``summarize/ingest/outlets.py`` says where it is read from).
        title: Headline; empty when unknown.
        url: Canonical URL; empty when unknown.
        published: ISO 8601 date or datetime (``2023-11-06``); empty when unknown.
        origin: Where the article was read from (a path, ``<stdin>``, ``<str>``).
        furniture: Lines the clean stage removed, kept so nothing is silently lost.
        language: ISO 639-1 code guessed at load time ("en"); empty when unknown.
        wire: The wire agency its dateline or byline credits ("Reuters"); empty when none.
    """

    id: str
    text: str
    outlet: str = ""
    title: str = ""
    url: str = ""
    published: str = ""
    origin: str = ""
    furniture: tuple[str, ...] = ()
    language: str = ""
    wire: str = ""

    @property
    def display_outlet(self) -> str:
        """The outlet, or a readable stand-in derived from the id when it is unknown."""
        return self.outlet or f"Unknown outlet ({self.id})"


@dataclass(frozen=True)
class Sentence:
    """A sentence of a cleaned article, with character offsets into ``Article.text``."""

    article_id: str
    index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Story:
    """A group of articles that report one real-world event.

    Attributes:
        id: Stable story id (derived from the member article ids).
        articles: Member articles, in a deterministic order (date, then id).
        voices: Groups of article ids that are copies of one another (syndicated wire
            copy, republished text). Each voice counts once for agreement.
        thread_id: The developing storyline this event belongs to (stories of one thread
            are related, not merged); empty when unknown.
    """

    id: str
    articles: tuple[Article, ...]
    voices: tuple[tuple[str, ...], ...] = ()
    thread_id: str = ""

    def voice_of(self, article_id: str) -> str:
        """The id of the voice (first member of its syndication group) of an article."""
        for group in self.voices:
            if article_id in group:
                return group[0]
        return article_id

    @property
    def outlets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.display_outlet for a in self.articles))


@dataclass(frozen=True)
class Source:
    """One entry of a brief's numbered source list: ``[n]`` -> this article.

    Attributes:
        outlet: The publisher's name as a reader sees it: the publisher, or
            ``"Unknown outlet (id)"`` when no input stated one.
        publisher: The publisher as stated by the input ("ICARO Media Group"); empty when
            unknown, never guessed.
        wire: The wire agency the article's dateline or byline credits ("Reuters"); empty
            when none.
    """

    n: int
    article_id: str
    outlet: str
    title: str = ""
    url: str = ""
    published: str = ""
    publisher: str = ""
    wire: str = ""

    @property
    def credit(self) -> str:
        """Publisher and wire source as a reader needs both: "ICARO Media Group (Reuters)";
        the outlet alone when there is no wire credit or the wire is the publisher."""
        if self.wire and self.wire.lower() != self.publisher.lower():
            return f"{self.outlet} ({self.wire})"
        return self.outlet


@dataclass(frozen=True)
class Support:
    """A source sentence that supports a brief sentence.

    ``text == article.text[start:end]`` for the cleaned article ``article_id``.
    """

    n: int
    article_id: str
    start: int
    end: int
    text: str
    similarity: float


@dataclass(frozen=True)
class BriefSentence:
    """One sentence of a brief with the evidence behind it.

    Attributes:
        text: The sentence as written (without citation markers).
        citations: Source numbers ``n`` cited for this sentence, ascending.
        support: The source sentences the citations come from.
        salience: Salience score of the evidence this sentence was built from (0..1).
        parts: The parts of that salience: ``centrality``, ``position``, ``coverage``
            (see :mod:`summarize.evidence.score`); empty for a stated disagreement.
        agreement: Number of independent voices (outlets, syndication counted once) that
            report it.
        status: ``"extracted"`` (copied from a source), ``"kept"`` (generated and
            verified), or ``"repaired"`` (generated, replaced by its best source sentence).
    """

    text: str
    citations: tuple[int, ...]
    support: tuple[Support, ...]
    salience: float = 0.0
    agreement: int = 1
    status: str = "extracted"
    parts: dict[str, float] = field(default_factory=dict, hash=False)

    def cited_text(self) -> str:
        return f"{self.text} {citation_marks(self.citations)}".rstrip()

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "citations": list(self.citations),
            "salience": self.salience,
            "parts": dict(self.parts),
            "agreement": self.agreement,
            "status": self.status,
            "support": [
                {"n": sp.n, "article_id": sp.article_id, "start": sp.start, "end": sp.end,
                 "text": sp.text, "similarity": sp.similarity}
                for sp in self.support
            ],
        }

    @classmethod
    def from_dict(cls, s: dict[str, Any]) -> BriefSentence:
        return cls(
            text=s["text"], citations=tuple(s["citations"]),
            support=tuple(Support(**sp) for sp in s["support"]),
            salience=s["salience"], agreement=s["agreement"], status=s["status"],
            parts=dict(s.get("parts", {})),
        )


@dataclass(frozen=True)
class Fact:
    """A claim with the sources that report it and how many independent voices they are.

    Used for facts three or more voices agree on (``Brief.facts``) and for notable claims
    only one voice makes (``Brief.unique``).
    """

    text: str
    citations: tuple[int, ...]
    support: int

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "citations": list(self.citations), "support": self.support}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Fact:
        return cls(text=d["text"], citations=tuple(d["citations"]), support=int(d["support"]))


@dataclass(frozen=True)
class Disagreement:
    """Two sources reporting the same quantity differently, or one figure changing over time.

    Attributes:
        topic: What is counted (the figure's unit: ``"death"``, ``"percent"``).
        a_text, b_text: The two source sentences; for an update ``a`` is the earlier one.
        a_citations, b_citations: Their source numbers.
        kind: ``"number"`` (outlets differ on the same quantity at the same time) or
            ``"update"`` (the figure changed: ``b`` is the latest).
        subject: Who or what the figure is about (``"death toll in Honduras"``); may be empty.
        when: ISO date the figures are about (for an update, the latest figure's date).
        a_figure, b_figure: The figures as the sources give them (``"about 6,100"``).
    """

    topic: str
    a_text: str
    a_citations: tuple[int, ...]
    b_text: str
    b_citations: tuple[int, ...]
    kind: str = "number"
    subject: str = ""
    when: str = ""
    a_figure: str = ""
    b_figure: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"topic": self.topic, "kind": self.kind, "subject": self.subject, "when": self.when,
                "a": {"text": self.a_text, "citations": list(self.a_citations), "figure": self.a_figure},
                "b": {"text": self.b_text, "citations": list(self.b_citations), "figure": self.b_figure}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Disagreement:
        return cls(
            topic=d["topic"], kind=d["kind"], a_text=d["a"]["text"], a_citations=tuple(d["a"]["citations"]),
            b_text=d["b"]["text"], b_citations=tuple(d["b"]["citations"]), subject=d.get("subject", ""),
            when=d.get("when", ""), a_figure=d["a"].get("figure", ""), b_figure=d["b"].get("figure", ""),
        )


@dataclass(frozen=True)
class Brief:
    """A cited brief of one story. See ``docs/brief-schema.md`` for the JSON form."""

    story_id: str
    title: str
    sentences: tuple[BriefSentence, ...]
    sources: tuple[Source, ...]
    facts: tuple[Fact, ...] = ()
    disagreements: tuple[Disagreement, ...] = ()
    unique: tuple[Fact, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict, hash=False)

    SCHEMA_VERSION = 1

    @property
    def text(self) -> str:
        """The brief as one paragraph with inline ``[n]`` citations."""
        return " ".join(s.cited_text() for s in self.sentences)

    @property
    def plain_text(self) -> str:
        """The brief without citation markers (what ROUGE scores)."""
        return " ".join(s.text for s in self.sentences)

    def source(self, n: int) -> Source:
        for src in self.sources:
            if src.n == n:
                return src
        raise KeyError(n)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form of the brief (see ``docs/brief-schema.md``)."""
        return {
            "schema_version": Brief.SCHEMA_VERSION,
            "story_id": self.story_id,
            "title": self.title,
            "text": self.text,
            "sentences": [s.to_dict() for s in self.sentences],
            "sources": [
                {"n": s.n, "article_id": s.article_id, "outlet": s.outlet, "publisher": s.publisher,
                 "wire": s.wire, "title": s.title, "url": s.url, "published": s.published}
                for s in self.sources
            ],
            "facts": [f.to_dict() for f in self.facts],
            "unique": [f.to_dict() for f in self.unique],
            "disagreements": [d.to_dict() for d in self.disagreements],
            "metadata": self.metadata,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Brief:
        """Rebuild a brief from :meth:`to_dict` output.

        Raises:
            OutputError: ``data`` is not a brief of this schema version.
        """
        try:
            version = data.get("schema_version")
            if version != Brief.SCHEMA_VERSION:
                raise OutputError(f"unsupported brief schema_version {version!r}; expected {Brief.SCHEMA_VERSION}")
            return cls(
                story_id=data["story_id"],
                title=data["title"],
                sentences=tuple(BriefSentence.from_dict(s) for s in data["sentences"]),
                sources=tuple(Source(**s) for s in data["sources"]),
                facts=tuple(Fact.from_dict(f) for f in data.get("facts", [])),
                unique=tuple(Fact.from_dict(f) for f in data.get("unique", [])),
                disagreements=tuple(Disagreement.from_dict(d) for d in data.get("disagreements", [])),
                metadata=data.get("metadata", {}),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise OutputError(f"not a valid brief JSON document: missing or bad field {exc}") from None


@dataclass(frozen=True)
class ScoredSentence:
    """A story sentence with its salience parts (see ``summarize.evidence.score``).

    Attributes:
        sentence: The sentence and its offsets.
        voice: The independent voice it belongs to (outlet, syndication counted once).
        centrality: LexRank centrality in the story's sentence graph, scaled to 0..1.
        position: Position prior: 1.0 for an article's first sentence, decaying after.
        coverage: Share of the story's key terms and entities the sentence mentions, 0..1.
        salience: The documented combination of the three parts, 0..1.
        group: Index of its claim group in ``Evidence.groups``.
        agreement: Number of independent voices that report the same claim.
    """

    sentence: Sentence
    voice: str
    centrality: float
    position: float
    coverage: float
    salience: float
    group: int = -1
    agreement: int = 1

    @property
    def parts(self) -> dict[str, float]:
        return {"centrality": self.centrality, "position": self.position, "coverage": self.coverage}


@dataclass(frozen=True)
class ClaimGroup:
    """Sentences from different articles that report the same thing.

    ``members[0]`` is the group's seed (its most salient sentence); ``support`` counts the
    distinct independent voices among the members.
    """

    id: int
    members: tuple[ScoredSentence, ...]
    support: int
    salience: float

    @property
    def seed(self) -> ScoredSentence:
        return self.members[0]

    @property
    def article_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.sentence.article_id for m in self.members))


@dataclass(frozen=True)
class Quantity:
    """A number in a sentence with the words around it that say what it counts.

    Attributes:
        value: The number (scales applied: "1.5 million" -> 1500000).
        text: The figure as written, hedge included ("nearly 10,000 people").
        unit: What it counts, singular ("death", "percent", "money:$").
        hedge: The hedge word before it ("about"), lower-cased; empty when exact.
        sentence: Where it was found.
        start: Character offset of the number in ``sentence.text``.
        subject: Content-word stems near the figure: who or what it is about.
        names: Capitalised names near the figure ("Honduras").
        when: ISO date of the event the sentence reports (see
            :mod:`summarize.evidence.timeline`); empty when unknown.
        precision: ``"day"`` or ``"week"``: how precisely ``when`` is known.
    """

    value: float
    text: str
    unit: str
    hedge: str
    sentence: Sentence
    start: int = 0
    subject: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    when: str = ""
    precision: str = "day"


@dataclass(frozen=True)
class Conflict:
    """Two voices reporting the same quantity differently (before source numbering).

    ``kind`` is ``"number"`` for a disagreement at one time, ``"update"`` for a figure
    that changed over time (``a`` earlier, ``b`` later).
    """

    topic: str
    a: Quantity
    b: Quantity
    kind: str = "number"


@dataclass(frozen=True)
class Evidence:
    """Everything the evidence stage learned about a story, for selection and writing."""

    story: Story
    sentences: tuple[ScoredSentence, ...]
    groups: tuple[ClaimGroup, ...]
    conflicts: tuple[Conflict, ...] = ()
    unique: tuple[ClaimGroup, ...] = ()
    # Figures that changed between days of the story (``Conflict.kind == "update"``, ``a``
    # the earlier report, ``b`` the later one); see :mod:`summarize.evidence.disagree`.
    updates: tuple[Conflict, ...] = ()
    key_terms: tuple[str, ...] = ()
    # Embedding rows aligned with ``sentences`` (a numpy array); not part of equality.
    vectors: Any = field(default=None, compare=False, repr=False)

    def vector(self, article_id: str, index: int):
        """The embedding of sentence ``index`` of article ``article_id``."""
        if self._positions is None:
            object.__setattr__(self, "_positions", {
                (s.sentence.article_id, s.sentence.index): i for i, s in enumerate(self.sentences)
            })
        return self.vectors[self._positions[(article_id, index)]]

    _positions: Any = field(default=None, compare=False, repr=False, init=False)

    def article(self, article_id: str) -> Article:
        for a in self.story.articles:
            if a.id == article_id:
                return a
        raise KeyError(article_id)
