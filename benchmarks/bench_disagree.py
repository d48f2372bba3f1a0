"""How often "outlets differ" is true: the disagreement detector on the labelled pairs and the seeds.

1. ``benchmarks/disagree_pairs.jsonl``: candidate pairs of figures from different documents
   of one cluster of the shared dev data, labelled by hand (``docs/disagreement-labels.md``).
   Prints precision and recall of the verdict "real" overall, on the part the thresholds
   were fitted on (AllSides April-May, MultiLing) and on the held-out part (AllSides
   June-July, Multi-News), the confusion of labels and verdicts, and the fit: how many
   pairs of the fit part each setting of the two thresholds would wrongly call real.
2. The seeds (``seeds/``, four outlets on Blinken's November 2023 trip and one later trip):
   clustered and scored with the real embedder, then every disagreement and update
   sentence a brief would state, to be read.

    python benchmarks/bench_disagree.py            # both
    python benchmarks/bench_disagree.py --no-seeds # the labelled set only (no model load)
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import Counter
from pathlib import Path

from summarize.evidence import disagree
from summarize.records import Conflict, Sentence

ROOT = Path(__file__).resolve().parents[1]
PAIRS = ROOT / "benchmarks" / "disagree_pairs.jsonl"
OVERLAPS = (0.2, 0.3, 0.4, 0.5, 0.6)
RATIOS = (1.25, 1.5, 2.0)


def figure(side: dict, article: str):
    sentence = Sentence(article_id=article, index=0, start=0, end=len(side["excerpt"]), text=side["excerpt"])
    for q in disagree.quantities(sentence, side["published"]):
        if side["start"] <= q.start < side["start"] + len(side["figure"]):
            return q
    return None


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion k/n (small n: recall here rests on few pairs)."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def scores(rows: list[dict], verdicts: list[str]) -> str:
    tp = sum(v == "real" and r["label"] == "real" for r, v in zip(rows, verdicts))
    said = sum(v == "real" for v in verdicts)
    gold = sum(r["label"] == "real" for r in rows)
    p = f"{tp / said:.0%} ({tp}/{said})" if said else "n/a (0 said real)"
    lo, hi = wilson(tp, gold)
    r = f"{tp / gold:.0%} ({tp}/{gold}, 95% CI {lo:.0%}-{hi:.0%})" if gold else "n/a (no real pair)"
    return f"precision {p}, recall {r}"


def labelled() -> None:
    rows = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines()]
    figures = [(figure(r["a"], "a"), figure(r["b"], "b")) for r in rows]
    verdicts = [disagree.classify(a, b) for a, b in figures]
    print(f"## Labelled pairs ({len(rows)}: {dict(Counter(r['label'] for r in rows))})\n")
    print("| part | pairs | real | detector |\n|---|---|---|---|")
    for name, keep in (("all", lambda r: True), ("fit (AllSides Apr-May, MultiLing)", lambda r: r["part"] == "fit"),
                       ("held out (AllSides Jun-Jul, Multi-News)", lambda r: r["part"] == "held_out")):
        sub = [(r, v) for r, v in zip(rows, verdicts) if keep(r)]
        print(f"| {name} | {len(sub)} | {sum(r['label'] == 'real' for r, _ in sub)} | "
              f"{scores([r for r, _ in sub], [v for _, v in sub])} |")
    print("\nlabel -> verdict:", dict(sorted(Counter(zip((r["label"] for r in rows), verdicts)).items())))
    gold = sum(r["label"] == "update" for r in rows)
    said = [(r, a, b) for r, v, (a, b) in zip(rows, verdicts, figures) if v == "update"]
    stated = [(r, a, b) for r, a, b in said if disagree.running_tally(Conflict(topic=a.unit, a=a, b=b, kind="update"))
              or disagree.running_tally(Conflict(topic=a.unit, a=b, b=a, kind="update"))]
    for name, found in (("verdict \"update\"", said), ("stated as changed (running tally)", stated)):
        tp = sum(r["label"] == "update" for r, _, _ in found)
        print(f"{name}: precision {tp}/{len(found)}, recall {tp}/{gold} of the labelled updates")
    wrong = [(r["id"], r["label"], v) for r, v in zip(rows, verdicts) if (v == "real") != (r["label"] == "real")]
    print("missed or wrongly called real:", wrong)

    print(f"\nFit part, pairs wrongly called real at each setting (in use: MAX_RATIO={disagree.MAX_RATIO}, "
          f"MIN_SUBJECT_OVERLAP={disagree.MIN_SUBJECT_OVERLAP}):\n")
    print("| MAX_RATIO \\ MIN_SUBJECT_OVERLAP | " + " | ".join(map(str, OVERLAPS)) + " |")
    print("|---" * (len(OVERLAPS) + 1) + "|")
    saved = disagree.MAX_RATIO, disagree.MIN_SUBJECT_OVERLAP
    try:
        for ratio in RATIOS:
            cells = []
            for overlap in OVERLAPS:
                disagree.MAX_RATIO, disagree.MIN_SUBJECT_OVERLAP = ratio, overlap
                cells.append(str(sum(r["part"] == "fit" and r["label"] != "real" and disagree.classify(a, b) == "real"
                                     for r, (a, b) in zip(rows, figures))))
            print(f"| {ratio} | " + " | ".join(cells) + " |")
    finally:
        disagree.MAX_RATIO, disagree.MIN_SUBJECT_OVERLAP = saved


def seeds() -> None:
    import summarize
    from summarize.briefing.attribute import disagreement_sentences, source_list
    from summarize.evidence.score import score_story
    from summarize.nlp.embed import default_embedder

    embedder = default_embedder()
    t0 = time.perf_counter()
    stories = summarize.stories(ROOT / "seeds", embedder=embedder)
    print(f"\n## Seeds: {len(stories)} stories\n")
    for story in stories:
        evidence = score_story(story, embedder)
        stated = disagreement_sentences(evidence, source_list(evidence), limit=10)
        print(f"- story {[a.id[:3] for a in story.articles]}: {len(evidence.conflicts)} disagreements, "
              f"{len(evidence.updates)} updates")
        for s in stated:
            print(f"  - [{s.status}] {s.cited_text()}")
            for sp in s.support:
                print(f"    - [{sp.n}] {sp.text[:160]}")
    print(f"\n(seeds: {time.perf_counter() - t0:.1f} s including the model load)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-seeds", action="store_true", help="skip the seeds (no embedding model is loaded)")
    args = ap.parse_args()
    labelled()
    if not args.no_seeds:
        seeds()


if __name__ == "__main__":
    main()
