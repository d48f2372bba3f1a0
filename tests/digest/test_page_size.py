"""The digest page stays light (issue 18): at most 200 KB for a 50-story night."""

from __future__ import annotations

import pytest
from digest_nights import MULTINEWS, fifty_story_night

from summarize.digest import render as digest_render

LIMIT = 200_000  # bytes of digest.html for a 50-story night


@pytest.mark.skipif(not MULTINEWS.is_file(), reason=f"shared evaluation data not present at {MULTINEWS}")
def test_a_50_story_night_is_at_most_200_kb(tmp_path):
    night = fifty_story_night(tmp_path)
    assert night is not None and len(night.stories) == 50
    page = digest_render.to_html(night).encode("utf-8")
    print(f"\n50-story page: {len(page)} bytes")
    assert len(page) <= LIMIT
    # every story is on it, with its evidence and sources
    assert page.count(b'<section class="story"') == 50 and page.count(b'<ol class="sources"') == 50
    head = page.split(b"<body>")[0]
    assert page.count(b"<script") == 1 and b"http:" not in head and b"https:" not in head  # nothing remote
