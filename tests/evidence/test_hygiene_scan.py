"""No brief, fact list or unique-claims list quotes a broken sentence: a scan of the seeds and
of a sample of the dev sets (``../shared/data``; skipped when absent).

"Broken" is defined here independently of ``summarize.nlp.hygiene``: quotes that do not pair
up, a sentence that opens with a closing quote, a quote closed after a full stop and then
continued in lower case, and a glued word: the literal cases seen in the seeds, or a token
made of a capitalised word and a lower-case word of four letters or more that the story's
own text both uses on their own, while the capitalised part is a name (never in lower case
in the story) and the token itself appears only once.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter

import pytest
from conftest import LATER_TRIP, ROOT, TRIP, HashingEmbedder

import summarize
from summarize.ingest.loaders import read

DATA = ROOT.parent / "shared" / "data"
LITERAL_GLUED = ("Blinkenstressed",)
SAMPLE = {"allsides2021_dev.jsonl": 20, "multinews_val100.jsonl": 20, "multiling2011_en.jsonl": 10}


def _words(text: str) -> Counter[str]:
    return Counter(re.findall(r"[^\W\d_]+", text))


def glued_tokens(sentence: str, source: str) -> list[str]:
    """Glued words of ``sentence`` by the story's own vocabulary (``source``: its text)."""
    words = _words(source)
    lower = {w for w in words if w.islower()}
    found = [t for t in LITERAL_GLUED if t in sentence]
    for token in re.findall(r"\b[A-Z][a-z]{6,}\b", sentence):
        if words[token] > 1 or token.lower() in lower:
            continue
        for cut in range(3, len(token) - 3):
            head, tail = token[:cut], token[cut:]
            if words[head] and head.lower() not in lower and tail in lower:
                found.append(token)
                break
    return found


def defects(sentence: str, source: str) -> list[str]:
    found = []
    if sentence.count("“") != sentence.count("”") or sentence.count('"') % 2:
        found.append("unbalanced quotes")
    if sentence.lstrip()[:1] in ("”", "’"):
        found.append("starts with a closing quote")
    if re.search(r"\.[”\"]\s+[a-z]", sentence):
        found.append("quote cut off")
    found += [f"glued: {t}" for t in glued_tokens(sentence, source)]
    return found


def selected(brief) -> list[tuple[str, str]]:
    return ([("brief", s.text) for s in brief.sentences] + [("fact", f.text) for f in brief.facts]
            + [("unique", f.text) for f in brief.unique])


def scan(inputs, embedder) -> list[str]:
    brief = summarize.brief(inputs, embedder=embedder)
    source = " ".join(a.text for a in read(inputs))
    return [f"{where}: {problem}: {text!r}" for where, text in selected(brief) for problem in defects(text, source)]


def test_the_checker_finds_the_seed_defects_it_is_meant_to_find():
    raw = " ".join(open(p, encoding="utf-8").read() for p in TRIP + LATER_TRIP)
    glued = next(line for line in raw.splitlines() if "Blinkenstressed" in line)
    assert "glued: Blinkenstressed" in defects(glued, raw) and "unbalanced quotes" in defects(glued, raw)
    spliced = "Blinken said: “a concern that we share and share in we work.” every single day."
    assert defects(spliced, raw) == ["quote cut off"]
    assert defects("McDonald said the iPhone and JavaScript were Blinken's idea.", raw) == []


def test_seed_briefs_quote_no_broken_sentence():
    embedder = HashingEmbedder()
    assert scan(TRIP, embedder) + scan(LATER_TRIP, embedder) == []


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is not present")
def test_dev_set_briefs_quote_no_broken_sentence():
    embedder = HashingEmbedder()
    found = []
    for name, n in SAMPLE.items():
        rows = [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]
        random.Random(0).shuffle(rows)
        for row in rows[:n]:
            found += [f"{name} {row.get('cluster', '')} {p}" for p in scan(row["docs"], embedder)]
    assert found == []
