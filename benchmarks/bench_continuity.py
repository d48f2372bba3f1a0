"""Benchmark of story continuity across two digest days, and of "what is new".

Run from the repository root::

    .venv/bin/python benchmarks/bench_continuity.py                  # MiniLM, extractive
    .venv/bin/python benchmarks/bench_continuity.py --data multiling # one data set only
    .venv/bin/python benchmarks/bench_continuity.py --data multiling --clusters 3 --model default

Every cluster of ``../shared/data/*.jsonl`` (or ``$SUMMARIZE_DATA``; read at run time, never
copied) is one real story. Day 1 gets the first half of each cluster's documents (in file
order, at least one), day 2 the rest. Both days run through ``summarize.digest.job.run`` with one
store, as the nightly job would. Outlets cycle over seven names so stories have several.

Printed figures:

* **continuity recall**: share of day-2 articles placed in the story that holds most of
  their cluster's day-1 articles (the same story id across days);
* **wrong joins**: share of day-2 articles placed in an earlier story that holds none of
  their cluster's day-1 articles (a join no day-1 mistake explains);
* B-cubed precision / recall / F1 of both days' stories together against the clusters, the
  same measure as ``bench_cluster.py`` for one batch;
* **continuity through threads**: share of day-2 articles in their cluster's day-1 story or
  in a new story on that story's thread (listed as related in the digest), and **wrong
  thread links**: share of day-2 articles in a new story whose thread holds earlier stories,
  none of them with an article of their cluster;
* day-2 stories with a "what is new" block, mean new claims and changed figures per update;
* novelty check: share of "what is new" sentences that are not in the day-1 text of the
  story (no day-1 sentence shares 80% of their words);
* time of each day and of the "what is new" step.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
DATA = Path(os.environ.get("SUMMARIZE_DATA", ROOT.parent / "shared" / "data"))
DAYS = ("2026-11-22", "2026-11-23")


def clusters(which: str) -> list[dict]:
    out = []
    for path in sorted(DATA.glob("*.jsonl")):
        if which != "all" and not path.name.startswith(which):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line))
    if not out:
        raise SystemExit(f"no clusters in {DATA}/*.jsonl; set SUMMARIZE_DATA")
    return out


def split_days(data: list[dict]) -> tuple[list[dict], list[dict], dict[str, str]]:
    day1, day2, truth = [], [], {}
    k = 0
    for c in data:
        docs = c["docs"]
        if len(docs) < 2:
            continue
        half = max(1, len(docs) // 2)
        for i, doc in enumerate(docs):
            article = {"id": doc["id"], "text": doc["text"], "outlet": f"Outlet {k % 7}",
                       "published": DAYS[0] if i < half else DAYS[1]}
            (day1 if i < half else day2).append(article)
            truth[doc["id"]] = c["cluster"]
            k += 1
    return day1, day2, truth


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", choices=["all", "multiling", "multinews"], default="all")
    parser.add_argument("--clusters", type=int, default=0, help="only the first N clusters (0: all)")
    parser.add_argument("--model", default="extractive", help="extractive (default) | default | fast | ...")
    parser.add_argument("--out", type=Path, help="keep both days' digests here (default: a temporary folder)")
    args = parser.parse_args()

    from summarize.digest import job as digest
    from summarize.nlp.embed import default_embedder
    from summarize.options import Options

    data = clusters(args.data)
    day1, day2, truth = split_days(data[: args.clusters] if args.clusters else data)
    embedder = default_embedder()
    with tempfile.TemporaryDirectory(prefix="bench-continuity-") as tmp:
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            tmp = str(args.out)
        store = Path(tmp) / "state.sqlite"
        store.unlink(missing_ok=True)
        runs, seconds = [], []
        for day, articles in zip(DAYS, (day1, day2)):
            source = Path(tmp) / f"{day}.jsonl"
            source.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
            t0 = time.perf_counter()
            runs.append(digest.run([str(source)], date=day, out_dir=Path(tmp) / day, store=store,
                                   options=Options(model=args.model), embedder=embedder))
            seconds.append(time.perf_counter() - t0)
        from summarize.digest.store import Store

        with Store(store) as db:
            index = db.load_index()
    first, second = runs
    story_of = {a: s.story_id for s in first.stories for a in s.article_ids}
    majority: dict[str, str] = {}  # cluster -> story holding most of its day-1 articles
    votes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for a, sid in story_of.items():
        votes[truth[a]][sid] += 1
    for cluster, counter in votes.items():
        majority[cluster] = counter.most_common(1)[0][0]
    placed = {a: s.story_id for s in second.stories for a in s.article_ids}
    recall = sum(placed.get(a) == majority.get(truth[a]) for a in placed) / max(1, len(placed))
    wrong = sum(placed[a] in set(story_of.values()) and placed[a] not in votes[truth[a]]
                for a in placed) / max(1, len(placed))
    thread = {sid: index.thread_of(sid) for sid in set(story_of.values()) | set(placed.values())}
    day1_threads = collections.defaultdict(set)  # thread -> clusters with a day-1 story on it
    for a, sid in story_of.items():
        day1_threads[thread[sid]].add(truth[a])
    fresh = [a for a in placed if placed[a] not in set(story_of.values())]
    through = sum(placed[a] == majority.get(truth[a])
                  or (a in fresh and thread[placed[a]] == thread.get(majority.get(truth[a]), "-"))
                  for a in placed) / max(1, len(placed))
    wrong_thread = sum(bool(day1_threads[thread[placed[a]]]) and truth[a] not in day1_threads[thread[placed[a]]]
                       for a in fresh) / max(1, len(placed))
    from bench_cluster import bcubed

    both = story_of | placed
    b_p, b_r, b_f = bcubed([truth[a] for a in both], [both[a] for a in both])

    updates = [s.update for s in second.stories if s.update is not None]
    new_claims = [len(u.sentences) for u in updates]
    changed = [len(u.changed) for u in updates]
    day1_text = {s.story_id: " ".join(a["text"] for a in day1 if story_of.get(a["id"]) == s.story_id)
                 for s in first.stories}
    novel, total = 0, 0
    for s in second.stories:
        if s.update is None:
            continue
        old_sentences = [_words(x) for x in re.split(r"(?<=[.!?])\s+", day1_text.get(s.story_id, ""))]
        for sentence in s.update.sentences:
            words = _words(sentence.text)
            total += 1
            novel += not any(words and len(words & old) >= 0.8 * len(words) for old in old_sentences)
    update_seconds = sum(u.metadata.get("seconds", 0.0) for u in updates)
    kept = collections.Counter()
    for u in updates:
        kept.update(u.metadata.get("counts", {}))

    print(f"data: {args.data}; model: {args.model}; day 1: {len(day1)} articles, {len(first.stories)} stories "
          f"({seconds[0]:.1f} s); day 2: {len(day2)} articles, {len(second.stories)} stories ({seconds[1]:.1f} s)")
    print("| figure | value |")
    print("|---|---|")
    print(f"| continuity recall (day-2 articles in their cluster's day-1 story) | {recall:.1%} |")
    print(f"| wrong joins (day-2 articles in an earlier story with none of their cluster) | {wrong:.1%} |")
    print(f"| B-cubed P / R / F1, both days | {b_p:.3f} / {b_r:.3f} / {b_f:.3f} |")
    print(f"| continuity through threads (day-2 articles in their cluster's day-1 story or on its thread) "
          f"| {through:.1%} |")
    print(f"| wrong thread links (day-2 articles in a new story on a thread of other clusters only) "
          f"| {wrong_thread:.1%} |")
    print(f"| day-2 stories with a \"what is new\" block | {len(updates)} of {len(second.stories)} |")
    if updates:
        print(f"| new claims per update (mean) | {sum(new_claims) / len(updates):.2f} |")
        print(f"| changed figures per update (mean) | {sum(changed) / len(updates):.2f} |")
        print(f"| updates with nothing new | {sum(u.empty for u in updates)} |")
    print(f"| \"what is new\" sentences not found in day-1 text | {novel}/{total} |")
    print(f"| time of the \"what is new\" step, all stories | {update_seconds:.1f} s |")
    if kept:
        print(f"| written update sentences kept / repaired / dropped / stale | {kept['kept']} / {kept['repaired']} / "
              f"{kept['dropped']} / {kept['stale']} |")


if __name__ == "__main__":
    main()
