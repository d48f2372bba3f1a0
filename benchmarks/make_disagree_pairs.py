"""Candidate pairs of figures for the disagreement labelled set (``disagree_pairs.jsonl``).

Reads the shared dev data (``../shared/data``: AllSides dev, MultiLing, Multi-News val100),
and within each cluster pairs numbers from sentences of *different* documents that look
comparable: the same loose unit (the word after the number, "%" or a currency sign),
values that differ by more than 2%, and at least ``--min-shared`` content words shared in
the words around the two numbers (``--whole``: in the whole sentences, the deliberate
search for paraphrases that give different figures, where real disagreements are). The extraction here is deliberately loose (years,
dates, ages are kept) so that the labelled set also holds the not-figures the detector
must refuse. Pairs are ranked by shared words and capped per cluster; the labels are
added by hand (``docs/disagreement-labels.md``), so this script only proposes.

    python benchmarks/make_disagree_pairs.py --out /tmp/h_dis/candidates.jsonl
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from summarize.ingest.loaders import from_mapping
from summarize.nlp import segment
from summarize.nlp.text import stems

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
FILES = ("allsides2021_dev.jsonl", "multiling2011_en.jsonl", "multinews_val100.jsonl")
_NUMBER = re.compile(r"(?<![\w.,])[$€£]?\d[\d,]*(?:\.\d+)?(?:\s*(?:%|percent|million|billion|thousand))?")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\d[\d,.]*")


def part(file: str, date: str) -> str:
    """``fit`` (AllSides April-May, MultiLing) or ``held_out`` (AllSides June-July, Multi-News)."""
    if file.startswith("multiling"):
        return "fit"
    if file.startswith("multinews"):
        return "held_out"
    return "fit" if date < "2021-06-01" else "held_out"


def loose_figures(text: str):
    tokens = list(_WORD.finditer(text))
    for m in _NUMBER.finditer(text):
        raw = m.group()
        digits = re.search(r"\d[\d,]*(?:\.\d+)?", raw).group()
        try:
            value = float(digits.replace(",", ""))
        except ValueError:
            continue
        after = text[m.end():].split()[:1]
        if raw[0] in "$€£":
            unit = "money"
        elif "%" in raw or "percent" in raw:
            unit = "percent"
        else:
            unit = re.sub(r"[^a-z]", "", after[0].lower()).rstrip("s") if after else ""
        i = next((k for k, t in enumerate(tokens) if t.start() >= m.start()), len(tokens))
        window = " ".join(t.group() for t in tokens[max(0, i - 6):i + 7])
        yield {"figure": raw.strip(), "start": m.start(), "value": value, "unit": unit,
               "context": {s for s in stems(window) if not s[0].isdigit()}}


def candidates(min_shared: int, per_cluster: int, whole: bool = False):
    for file in FILES:
        for line in open(DATA / file, encoding="utf-8"):
            row = json.loads(line)
            docs = []
            for d in row["docs"]:
                article = from_mapping(d)
                sents = [s for s in segment.sentences(article) if len(s.text) <= 400]
                docs.append((article, [(s, list(loose_figures(s.text)), set(stems(s.text))) for s in sents]))
            found = []
            for x in range(len(docs)):
                for y in range(x + 1, len(docs)):
                    (da, sa), (db, sb) = docs[x], docs[y]
                    for s1, f1, w1 in sa:
                        for s2, f2, w2 in sb:
                            for a in f1:
                                for b in f2:
                                    if a["unit"] != b["unit"] or not a["unit"]:
                                        continue
                                    if abs(a["value"] - b["value"]) <= 0.02 * max(a["value"], b["value"]):
                                        continue
                                    shared = len(w1 & w2) if whole else len(a["context"] & b["context"])
                                    if shared < min_shared:
                                        continue
                                    found.append((shared, da, s1, a, db, s2, b))
            found.sort(key=lambda t: -t[0])
            seen = set()
            kept = 0
            for shared, da, s1, a, db, s2, b in found:
                key = (s1.text, s2.text)
                if key in seen:
                    continue
                seen.add(key)
                yield {
                    "source": file, "part": part(file, row.get("date", "")), "cluster": row["cluster"],
                    "a": {"doc": da.id, "published": da.published, "sentence": s1.text, "figure": a["figure"],
                          "start": a["start"]},
                    "b": {"doc": db.id, "published": db.published, "sentence": s2.text, "figure": b["figure"],
                          "start": b["start"]},
                    "shared": shared,
                }
                kept += 1
                if kept >= per_cluster:
                    break


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--min-shared", type=int, default=2)
    ap.add_argument("--per-cluster", type=int, default=3)
    ap.add_argument("--whole", action="store_true",
                    help="count shared words over the whole sentences (a search for paraphrases, where "
                         "real disagreements are)")
    args = ap.parse_args()
    n = 0
    with open(args.out, "w", encoding="utf-8") as out:
        for c in candidates(args.min_shared, args.per_cluster, args.whole):
            out.write(json.dumps(c, ensure_ascii=False) + "\n")
            n += 1
    print(f"{n} candidate pairs -> {args.out}")


if __name__ == "__main__":
    main()
