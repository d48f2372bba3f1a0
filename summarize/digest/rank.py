"""Ranking a night's stories, and the cache keys of briefs and "what is new".

A story ranks by distinct outlets, then recency, then size (:func:`score`). A brief is
cached under :func:`brief_key`, what it is made from; "what is new" under
:func:`update_key`, today's brief and the earlier one.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import date as Date

from summarize.digest.store import PastStory
from summarize.options import Options
from summarize.records import Article, Story

CACHE_VERSION = 1  # bump when a change to the pipeline should invalidate cached briefs
ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def member_key(article: Article) -> tuple[bool, str, str]:
    return (not article.published, article.published, article.id)


def day_of(published: str) -> Date | None:
    match = ISO_DAY.match(published)
    return Date(*map(int, match.groups())) if match else None


def score(story: Story, day: Date) -> float:
    """Rank of a story: distinct outlets count most, then recency, then size.

    ``2 * outlets + 1 / (1 + age in days of the newest article) + 0.5 * log2(1 + articles)``;
    unknown outlets count by article id, so they are never merged into one.
    """
    newest = max((d for a in story.articles if (d := day_of(a.published))), default=day)
    age = max(0, (day - newest).days)
    return round(2 * len(story.outlets) + 1 / (1 + age) + 0.5 * math.log2(1 + len(story.articles)), 4)


def brief_key(story: Story, hashes: dict[str, str], opts: Options, embedder_name: str) -> str:
    """What a brief is made from: member ids and content hashes, options, model, embedder."""
    payload = {
        "cache": CACHE_VERSION, "story": story.id, "options": opts.to_dict(), "model": opts.model,
        "embedder": embedder_name, "articles": sorted((a.id, hashes[a.id]) for a in story.articles),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


def update_key(brief_key_: str, past: PastStory) -> str:
    """What "what is new" is made from: today's brief and the earlier digest's brief."""
    payload = {"cache": CACHE_VERSION, "brief": brief_key_, "previous": [past.day, past.brief_key]}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()
