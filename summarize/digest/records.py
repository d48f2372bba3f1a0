"""The digest's records: a night's :class:`Digest` of ranked :class:`DigestStory` items.

Shared by the run (``job``) and the renderers (``render``); nothing here does any work.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from summarize.digest.update import Update
from summarize.records import Brief, Skipped

TITLE_WORDS = 12  # a headline made from the brief when no article has a title


@dataclass(frozen=True)
class Previous:
    """The earlier digest a continuing story last appeared in."""

    date: str
    story_id: str
    href: str
    title: str = ""


@dataclass(frozen=True)
class DigestStory:
    """One ranked story of a digest with its brief."""

    rank: int
    story_id: str
    score: float
    brief: Brief
    article_ids: tuple[str, ...]
    outlets: tuple[str, ...]
    cached: bool = False
    previous: Previous | None = None
    update: Update | None = None  # what is new since ``previous``
    # Other stories of the same thread as (story id, title), shown as "Related:" links (in-page
    # when the story is in the same digest); filled by the run from the story index's threads.
    related: tuple[tuple[str, str], ...] = ()

    @property
    def title(self) -> str:
        """The brief's title, else the earlier brief's, else the opening words of the brief."""
        return self.brief.title or (self.previous.title if self.previous else "") or lead_title(self.brief)


def lead_title(brief: Brief, words: int = TITLE_WORDS) -> str:
    """A headline for a story no article gave one: the brief's first sentence, cut at ``words``."""
    if not brief.sentences:
        return "Untitled story"
    tokens = brief.sentences[0].text.split()
    if len(tokens) <= words:
        return " ".join(tokens).rstrip(".")
    return " ".join(tokens[:words]).rstrip(",;:") + "…"


@dataclass(frozen=True)
class Digest:
    """A day's digest. ``counts``: articles read/new/known/skipped/noted, stories, briefs cached/written."""

    date: str
    stories: tuple[DigestStory, ...]
    skipped: tuple[Skipped, ...] = ()
    counts: dict[str, int] = field(default_factory=dict, hash=False)
    model: str = "extractive"
