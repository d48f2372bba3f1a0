"""Benchmark the packaged generative models on a realistic brief-writing prompt.

For each model (tiny, fast, default) and each decoding configuration, prints load time,
brief latency, new tokens, tokens/s and peak RSS, then one Markdown table. Each model runs
in its own subprocess so that peak RSS and load time are per model.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_models.py
    .venv/bin/python benchmarks/bench_models.py --models default --configs plain lookup
    .venv/bin/python benchmarks/bench_models.py --cold   # time the GGUF conversion too

``--cold`` converts into a fresh temporary cache (slow: ~2-3 min and ~10 GB for default).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "seeds").glob("00[0-3]_*.txt"))

# name -> (backend, DecodingOptions kwargs). "plain" is what transformers does by default.
CONFIGS = {
    "plain": ("reference", {}),
    "onednn": ("auto", {}),
    "lookup": ("auto", {"prompt_lookup_num_tokens": 10}),
    "assisted": ("auto", {"assistant": "fast"}),
}
SYSTEM = "You write neutral, factual news briefs."
TASK = (
    "Task: summarize the story in ONE paragraph of at most 120 words. Rephrase and "
    "condense; every sentence must end with the numbers of the evidence it uses, e.g. "
    "[1][4]. Use only facts found in the evidence."
)


def evidence_sentences(per_article: int = 6) -> list[str]:
    """~24 evidence sentences: the first body sentences of each seed article."""
    sentences = []
    for path in SEEDS:
        lines = [line.strip() for line in path.read_text().splitlines()[1:]]  # no headline
        body = " ".join(line for line in lines if len(line.split()) > 12)
        body = re.sub(r"^date \d{4}-\d{2}-\d{2} ", "", body)
        # A plain split on sentence-final punctuation, sparing the abbreviations the
        # seeds use; the real pipeline has a proper sentence splitter.
        parts = re.split(r"(?<!U\.S\.)(?<!Oct\.)(?<!Nov\.)(?<!Mr\.)(?<!Dr\.)(?<=[.!?])\s+", body)
        chosen = [p for p in parts if 8 <= len(p.split()) <= 60][:per_article]
        sentences.extend(chosen)
    return sentences


def build_messages(per_article: int = 6) -> list[dict[str, str]]:
    """System + user messages: ~24 numbered evidence sentences (~950 tokens) and the task."""
    numbered = "\n".join(f"[{i}] {s}" for i, s in enumerate(evidence_sentences(per_article), 1))
    user = f"Here are numbered evidence sentences about one news story:\n{numbered}\n\n{TASK}"
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def peak_rss_gib() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**30 if sys.platform == "darwin" else 2**20)


def run_one(model_name: str, config: str, max_new_tokens: int, per_article: int) -> dict:
    """Load one model with one configuration and write one brief (in this process)."""
    from summarize.models import packaged as model_store
    from summarize.models.generative import DecodingOptions, GenerativeModel, get_model

    backend, kwargs = CONFIGS[config]
    packaged = model_store.packaged_model(model_name)
    was_cached = model_store.is_converted(model_store.converted_dir(packaged), packaged.sha256)
    start = time.perf_counter()
    model = GenerativeModel(model_name, backend=backend)
    model.load()
    load_seconds = time.perf_counter() - start
    if kwargs.get("assistant"):
        start = time.perf_counter()
        get_model(kwargs["assistant"], backend=backend).load()
        load_seconds += time.perf_counter() - start
    result = model.generate(build_messages(per_article), max_new_tokens, DecodingOptions(**kwargs))
    return {
        "model": model_name,
        "config": config,
        "backend": backend,
        "load": "cached" if was_cached else "cold",
        "load_s": round(load_seconds, 1),
        "prompt_tokens": result.prompt_tokens,
        "new_tokens": result.new_tokens,
        "latency_s": round(result.seconds, 1),
        "tokens_per_s": round(result.tokens_per_second, 2),
        "peak_rss_gib": round(peak_rss_gib(), 2),
        "text": result.text,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["tiny", "fast", "default"])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--max-new-tokens", type=int, default=200)
    parser.add_argument("--per-article", type=int, default=6, help="evidence sentences per seed")
    parser.add_argument("--cold", action="store_true", help="convert into a fresh cache first")
    parser.add_argument("--show-text", action="store_true", help="print each brief")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        row = run_one(*args.child, args.max_new_tokens, args.per_article)
        print("RESULT " + json.dumps(row), flush=True)
        return

    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    if args.cold:
        env["SUMMARIZE_CACHE_DIR"] = tempfile.mkdtemp(prefix="summarize-bench-")
    rows = []
    for model_name in args.models:
        for config in args.configs:
            if config == "assisted" and model_name != "default":
                continue  # the only draft/target pair that shares a tokenizer
            command = [sys.executable, __file__, "--child", model_name, config,
                       "--max-new-tokens", str(args.max_new_tokens),
                       "--per-article", str(args.per_article)]
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            lines = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
            if done.returncode or not lines:
                print(f"{model_name}/{config} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
                continue
            row = json.loads(lines[-1][len("RESULT "):])
            rows.append(row)
            print(f"{model_name:8} {config:9} load {row['load_s']:6.1f} s ({row['load']}) "
                  f"brief {row['latency_s']:6.1f} s  {row['new_tokens']:4d} tok "
                  f"{row['tokens_per_s']:5.2f} tok/s  peak {row['peak_rss_gib']:5.2f} GiB",
                  flush=True)
            if args.show_text:
                print(row["text"] + "\n", flush=True)
    print()
    print("| model | config | backend | load s | prompt tok | new tok | brief s | tok/s "
          "| peak RSS GiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['config']} | {r['backend']} | {r['load_s']} ({r['load']}) | "
              f"{r['prompt_tokens']} | {r['new_tokens']} | {r['latency_s']} | "
              f"{r['tokens_per_s']} | {r['peak_rss_gib']} |")


if __name__ == "__main__":
    main()
