"""Quality of generated briefs against the extractive mode, on a fixed sample of clusters.

For each system (``extractive`` and the generative models asked for) on clusters
``--start`` .. ``--start + N - 1`` of each evaluation set (MultiLing 2011, Multi-News val100,
AllSides dev; default the first N = 10, the same clusters for every system; AllSides dev is
in date order, so a later start is a later time slice), with briefs of ``--words`` words
(100) scored truncated to that many words, or with ``--words ref`` each cluster's budget
and truncation its references' mean length:

* ROUGE-1/2/L recall and F1 (rouge-score, stemming, mean over references); for each
  generative system the paired difference to ``extractive`` with a bootstrap 95% interval
  (2,000 resamples of the clusters, seed 0);
* faithfulness: share of brief sentences whose numbers and names all appear in their cited
  source sentences and whose support passes the check (generated sentences need a best
  support of at least ``summarize.briefing.attribute.MIN_SUPPORT``; copied ones are sources);
* abstractiveness: share of the brief's word bigrams not found in the story's sources;
* invented facts: brief sentences with a number, name or date word that their cited source
  sentences lack (:func:`summarize.write.fusion.invented`; must be 0). Disagreement and
  update statements are not counted: they name outlets and publication days by design;
* verifier pass rate (generated sentences kept / generated sentences checked), fallbacks
  (sentences replaced by their source sentence), kept / repaired / dropped / extracted
  counts, seconds per brief, and the backend and CPU flags the model ran with.

    .venv/bin/python benchmarks/bench_quality.py                     # extractive + default
    .venv/bin/python benchmarks/bench_quality.py --systems extractive fast default --per-set 5
    .venv/bin/python benchmarks/bench_quality.py --start 5 --per-set 10 --words ref  # hold-out
    .venv/bin/python benchmarks/bench_quality.py --facts 20 --systems default
        # only the invented-facts count: the seed story (seeds/000-003) and AllSides dev
        # clusters --start .. --start + 19

Prints a Markdown table and writes ``benchmarks/results/quality.json`` (per-cluster
scores included).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from summarize import brief  # noqa: E402
from summarize.bench.datasets import load_jsonl  # noqa: E402
from summarize.bench.rouge import RougeOptions, RougeScorer  # noqa: E402
from summarize.briefing.attribute import MIN_SUPPORT, unsupported  # noqa: E402
from summarize.nlp.text import words as count_words  # noqa: E402
from summarize.write.fusion import invented  # noqa: E402

SETS = ("multiling2011_en.jsonl", "multinews_val100.jsonl", "allsides2021_dev.jsonl")
METRICS = ("rouge1", "rouge2", "rougeL")
_TOKEN = re.compile(r"[a-z0-9]+")


def bigrams(text: str) -> set[tuple[str, str]]:
    tokens = _TOKEN.findall(text.lower())
    return set(zip(tokens, tokens[1:]))


def faithful(sentence) -> bool:
    if unsupported(sentence.text, [sp.text for sp in sentence.support]):
        return False
    if sentence.status == "kept":
        return max((sp.similarity for sp in sentence.support), default=0.0) >= MIN_SUPPORT
    return bool(sentence.support)


STATEMENTS = ("disagreement", "update")  # made from outlet names and publication days


def invented_facts(b) -> list[dict]:
    """The brief's sentences with a number, name or date word their cited sources lack."""
    return [{"text": s.text, "status": s.status, "missing": missing} for s in b.sentences
            if s.status not in STATEMENTS
            and (missing := invented(s.text, [sp.text for sp in s.support]))]


def budget(cluster, words: str) -> int:
    """The brief's word budget for ``cluster``: ``words``, or its references' mean length."""
    if words == "ref":
        return round(sum(count_words(r) for r in cluster.refs) / len(cluster.refs))
    return int(words)


def run(system: str, clusters, words: str) -> dict:
    per_cluster = []
    sentences = faithful_count = 0
    inventions: list[dict] = []
    added = restored = calls = 0
    new_bigrams = all_bigrams = 0
    counts = {"kept": 0, "repaired": 0, "dropped": 0, "extracted": 0, "fallback": 0}
    seconds = 0.0
    runtime = None
    for cluster in clusters:
        docs = [{"id": d.id, "text": d.text} for d in cluster.docs]
        limit = budget(cluster, words)
        scorer = RougeScorer(RougeOptions(metrics=METRICS, word_limit=limit))
        start = time.perf_counter()
        b = brief(docs, model=system, words=limit)
        seconds += time.perf_counter() - start
        score = scorer.score(b.plain_text, cluster.refs, cluster.id)
        per_cluster.append({"cluster": cluster.id, "words": limit, **{
            f"{metric}_{measure}": round(100 * score.get(metric, measure=measure), 3)
            for metric in METRICS for measure in ("recall", "f1")}})
        # The brief and each sentence's status, to read against the sources.
        per_cluster[-1]["brief"] = [[s.status, s.text] for s in b.sentences]
        sentences += len(b.sentences)
        faithful_count += sum(faithful(s) for s in b.sentences)
        inventions += [{"cluster": cluster.id, **x} for x in invented_facts(b)]
        source = set().union(*(bigrams(d.text) for d in cluster.docs))
        own = bigrams(b.plain_text)
        new_bigrams += len(own - source)
        all_bigrams += len(own)
        for key in counts:
            counts[key] += int(b.metadata["counts"].get(key, 0))
        writer = b.metadata["writer"]
        added += int(writer.get("claims_added", 0))  # claims beyond the extractive choice
        restored += int(writer.get("restored", 0))  # compressed, put back: nothing used the room
        calls += int(writer.get("claims_generated", 0))  # claims sent to the model
        per_cluster[-1]["claims"] = writer.get("claims", [])  # each claim's status, reason, generated text
        runtime = runtime or b.metadata["writer"].get("runtime")
        print(f"  {system} {cluster.id}: R-1 {per_cluster[-1]['rouge1_recall']:.1f} "
              f"R-2 {per_cluster[-1]['rouge2_recall']:.1f} ({time.perf_counter() - start:.0f} s)",
              file=sys.stderr, flush=True)
    n = len(clusters)
    checked = counts["kept"] + counts["repaired"] + counts["dropped"]
    return {
        "system": system,
        "clusters": n,
        **{key: round(sum(c[key] for c in per_cluster) / n, 2) for key in per_cluster[0] if key not in ("cluster", "brief", "claims")},
        "faithfulness": round(100 * faithful_count / max(1, sentences), 2),
        "invented": len(inventions),
        "inventions": inventions,
        "abstractiveness": round(100 * new_bigrams / max(1, all_bigrams), 2),
        "verifier_pass": round(100 * counts["kept"] / checked, 1) if checked else None,
        "sentences": sentences,
        "added": added,
        "restored": restored,
        "calls": calls,
        **counts,
        "s_per_brief": round(seconds / n, 1),
        "runtime": runtime,
        "per_cluster": per_cluster,
    }


def paired_interval(a: list[float], b: list[float], sets: list[str] | None = None, resamples: int = 2000,
                    seed: int = 0) -> tuple:
    """Mean of ``b - a`` over the evaluation sets (each set's mean counts once, whatever its
    number of clusters) and its bootstrap 95% interval: clusters resampled within each set,
    paired."""
    import numpy as np

    diff = np.asarray(b) - np.asarray(a)
    labels = np.asarray(sets if sets is not None else [""] * len(diff))
    rng = np.random.default_rng(seed)
    groups = [diff[labels == name] for name in dict.fromkeys(labels.tolist())]
    means = np.mean([g[rng.integers(0, len(g), size=(resamples, len(g)))].mean(axis=1) for g in groups], axis=0)
    mean = float(np.mean([g.mean() for g in groups]))
    return round(mean, 2), round(float(np.percentile(means, 2.5)), 2), round(float(np.percentile(means, 97.5)), 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", nargs="+", default=["extractive", "default"])
    parser.add_argument("--per-set", type=int, default=10, help="N clusters of each set")
    parser.add_argument("--start", type=int, default=0, help="first cluster of each set (0: the first)")
    parser.add_argument("--words", default="100",
                        help="brief budget and ROUGE truncation in words, or 'ref': each cluster's "
                             "references' mean length")
    parser.add_argument("--facts", type=int, default=0, metavar="N",
                        help="only count invented facts: the seed story and N AllSides dev clusters")
    parser.add_argument("--data-dir", default=os.environ.get("SUMMARIZE_EVAL_DATA",
                                                             str(REPO.parent / "shared" / "data")))
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "quality.json"))
    args = parser.parse_args(argv)
    if args.words != "ref" and not args.words.isdigit():
        parser.error("--words takes a number of words or 'ref'")
    if args.facts:
        return facts(args)
    clusters, set_of = [], []
    for name in SETS:
        clusters += list(load_jsonl(Path(args.data_dir) / name).clusters[args.start:args.start + args.per_set])
        set_of += [name] * (len(clusters) - len(set_of))
    meta = {"words": args.words, "start": args.start, "per_set": args.per_set, "sets": SETS}
    rows = []
    for system in args.systems:
        rows.append(run(system, clusters, args.words))
        print(json.dumps({k: v for k, v in rows[-1].items() if k != "per_cluster"}), file=sys.stderr, flush=True)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({**meta, "rows": rows}, indent=2) + "\n")
    header = ["system", "clusters", "rouge1_recall", "rouge2_recall", "rougeL_recall", "rouge1_f1", "rouge2_f1",
              "faithfulness", "invented", "abstractiveness", "verifier_pass", "kept", "repaired", "fallback", "extracted", "added",
              "restored", "calls", "s_per_brief"]
    print("| " + " | ".join(header) + " | backend |")
    print("|" + "---|" * (len(header) + 1))
    for row in rows:
        backend = (row["runtime"] or {}).get("backend", "")
        print("| " + " | ".join(str(row[h]) for h in header) + f" | {backend} |")
    base = next((r for r in rows if r["system"] == "extractive"), None)
    if base:
        print("\nPaired difference to extractive (mean over the sets, bootstrap 95% interval, clusters "
              "resampled within each set):")
        for row in rows:
            if row is base:
                continue
            parts = []
            for key in ("rouge1_recall", "rouge2_recall", "rouge1_f1", "rouge2_f1"):
                mean, low, high = paired_interval([c[key] for c in base["per_cluster"]],
                                                  [c[key] for c in row["per_cluster"]], set_of)
                row[f"delta_{key}"] = [mean, low, high]
                parts.append(f"{key} {mean:+.2f} [{low:+.2f}, {high:+.2f}]")
            print(f"- {row['system']}: " + "; ".join(parts))
            for name in SETS:  # each set's mean difference, to see where a change wins or loses
                pairs = [(a, b) for a, b, n in zip(base["per_cluster"], row["per_cluster"], set_of) if n == name]
                if pairs:
                    row.setdefault("delta_by_set", {})[name] = [
                        round(sum(b[k] - a[k] for a, b in pairs) / len(pairs), 2)
                        for k in ("rouge1_recall", "rouge2_recall")]
                    print(f"    {name} ({len(pairs)}): R-1 recall {row['delta_by_set'][name][0]:+.2f}, "
                          f"R-2 recall {row['delta_by_set'][name][1]:+.2f}")
        Path(args.out).write_text(json.dumps({**meta, "rows": rows}, indent=2) + "\n")
    return 0


def facts(args) -> int:
    """Invented facts of each system on the seed story (seeds/000-003, one story) and on
    ``args.facts`` AllSides dev clusters from ``args.start``; prints each one found."""
    stories = [("seeds/000-003", [{"id": p.name, "text": p.read_text()}
                                  for p in sorted((REPO / "seeds").glob("00[0-3]_*.txt"))])]
    for cluster in load_jsonl(Path(args.data_dir) / SETS[2]).clusters[args.start:args.start + args.facts]:
        stories.append((cluster.id, [{"id": d.id, "text": d.text} for d in cluster.docs]))
    rows = []
    for system in args.systems:
        found, sentences, kept = [], 0, 0
        for name, docs in stories:
            b = brief(docs, model=system, words=int(args.words) if args.words != "ref" else 100)
            sentences += len(b.sentences)
            kept += sum(s.status == "kept" for s in b.sentences)
            found += [{"story": name, **x} for x in invented_facts(b)]
            print(f"  {system} {name}: {len(b.sentences)} sentences, invented {len(invented_facts(b))}",
                  file=sys.stderr, flush=True)
        rows.append({"system": system, "stories": len(stories), "sentences": sentences, "generated_kept": kept,
                     "invented": len(found), "inventions": found})
        print(f"- {system}: {len(stories)} stories, {sentences} sentences ({kept} generated and kept), "
              f"sentences with an invented number, name or date: {len(found)}")
        for x in found:
            print(f"    {x['story']} [{x['status']}] {x['missing']}: {x['text']}")
    out = Path(args.out).with_name("quality_facts.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"start": args.start, "allsides": args.facts, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
