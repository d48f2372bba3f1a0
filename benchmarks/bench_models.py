"""Benchmark the packaged generative models on a realistic brief-writing prompt.

For each model (tiny, fast, default) and each decoding configuration, prints load time,
brief latency, new tokens, tokens/s and peak RSS, then one Markdown table. Each model runs
in its own subprocess so that peak RSS and load time are per model.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_models.py
    .venv/bin/python benchmarks/bench_models.py --models default --configs plain lookup
    .venv/bin/python benchmarks/bench_models.py --cold   # time the GGUF conversion too

Teacher-forced top-1 agreement of other backends with the fp32 reference, on the claim
prompts the writer sends for the seed brief and one story of each evaluation set (the
prompts and answers are recorded with ``--reference``, then each backend predicts every
answer token given the ones before)::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_models.py --agreement --models default \
        --backends int8-mixed fbgemm-fp16 int8

``--cold`` converts into a fresh temporary cache (slow: ~2-3 min and ~10 GB for default).
``--convert`` times only the first-use conversion (join the packaged GGUF parts, dequantize
into safetensors) of each model into its own empty temporary cache, in a fresh process, and
prints seconds, CPU seconds, peak RSS and the folder's size (the temporary folder goes
under ``$TMPDIR`` and is removed)::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_models.py --convert --models default fast

The seed brief (the claim-level writer end to end on the four seed articles, 120 words),
in one process with the model loaded first, and as the CLI in a fresh process::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_models.py --seed-brief --models default fast
    .venv/bin/python benchmarks/bench_models.py --seed-brief --backends int8 onednn-fp32 --cli

Every row records the backend that ran and the CPU flags it was chosen from; run under
``SUMMARIZE_CPU_FLAGS=... ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2
FBGEMM_ENABLE_INSTRUCTIONS=AVX2`` for the simulated AVX2-only path (the last one caps
fbgemm's int8 and fp16 kernels, which otherwise use this CPU's AVX-512 and VNNI; see
``docs/models.md``).
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


def seed_brief(model_name: str, backend: str, words: int) -> dict:
    """Load ``model_name`` with ``backend``, then time the seed brief (in this process)."""
    import summarize
    from summarize.models.generative import get_model

    # The writer asks get_model() for the model with the backend of the setting: set it, so
    # the model loaded here is the one the brief uses.
    os.environ["SUMMARIZE_BACKEND"] = backend
    start = time.perf_counter()
    model = get_model(model_name)
    model.load()
    load_seconds = time.perf_counter() - start
    load_before = os.getloadavg()[0]
    start, cpu_start = time.perf_counter(), time.process_time()
    brief = summarize.brief([str(p) for p in SEEDS], model=model_name, words=words)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    writer = brief.metadata["writer"]
    gens = writer["generations"]
    prefilled = sum(g.get("prefilled_tokens", 0) for g in gens)
    prefill_s = sum(g.get("prefill_seconds", 0.0) for g in gens)
    new_tokens = sum(g["new_tokens"] for g in gens)
    decode_s = sum(g["seconds"] for g in gens) - prefill_s
    source = set().union(*(_bigrams(p.read_text()) for p in SEEDS))
    own = _bigrams(brief.plain_text)
    return {
        "model": model_name, "requested": backend, "backend": writer["runtime"]["backend"],
        "cpu_flags": writer["runtime"]["cpu_flags"], "load_s": round(load_seconds, 1),
        "brief_s": round(seconds, 1), "brief_cpu_s": round(cpu_seconds, 1),
        "write_s": brief.metadata["timings_s"]["write"],
        "threads": __import__("torch").get_num_threads(),
        "load_avg": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "calls": sum(g.get("calls", g.get("batch", 1)) for g in gens),
        "prompt_tokens": sum(g["prompt_tokens"] for g in gens), "prefilled_tokens": prefilled,
        "new_tokens": new_tokens, "forward_passes": sum(g.get("forward_passes", 0) for g in gens),
        "prefill_tok_s": round(prefilled / prefill_s, 1) if prefill_s else None,
        "decode_tok_s": round(new_tokens / decode_s, 2) if prefill_s and decode_s > 0 else None,
        "generations": writer["generations"], "counts": brief.metadata["counts"],
        "new_bigrams_pct": round(100 * len(own - source) / max(1, len(own)), 1),
        "words": brief.metadata["words"], "peak_rss_gib": round(peak_rss_gib(), 2),
        "text": brief.plain_text,
    }


def _bigrams(text: str) -> set[tuple[str, str]]:
    tokens = re.findall(r"[a-z0-9]+", text.lower())
    return set(zip(tokens, tokens[1:]))


def cli_brief(model_name: str, env: dict, words: int) -> dict:
    """The seed brief as a user runs it: a fresh ``summarize brief`` process (model cached).

    Wall time and the child's own peak RSS (``wait4``) are measured.
    """
    with tempfile.TemporaryDirectory(prefix="summarize-bench-") as folder:
        out = Path(folder) / "brief.json"
        command = [sys.executable, "-m", "summarize.cli", "brief", *map(str, SEEDS), "--model", model_name,
                   "--words", str(words), "--format", "json", "--out", str(out)]
        start = time.perf_counter()
        with open(Path(folder) / "stderr", "w+") as err:
            child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=err)
            _, status, usage = os.wait4(child.pid, 0)
            seconds = time.perf_counter() - start
            child.returncode = os.waitstatus_to_exitcode(status)
            if child.returncode:
                err.seek(0)
                raise SystemExit(f"CLI failed: {err.read()[-2000:]}")
        runtime = json.loads(out.read_text())[0]["metadata"]["writer"]["runtime"]
    return {"model": model_name, "backend": runtime["backend"], "cpu_flags": runtime["cpu_flags"],
            "cli_s": round(seconds, 1), "cli_cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_rss_gib": round(usage.ru_maxrss / 2**20, 2)}


def convert_once(model_name: str) -> dict:
    """Convert ``model_name`` into the (empty) cache ``$SUMMARIZE_CACHE_DIR`` names, in this process."""
    from summarize.models import packaged as model_store

    packaged = model_store.packaged_model(model_name)
    if model_store.is_converted(model_store.converted_dir(packaged), packaged.sha256):
        raise SystemExit(f"{model_store.converted_dir(packaged)} is already converted: not a first use")
    load_before = os.getloadavg()[0]
    start, cpu_start = time.perf_counter(), time.process_time()
    folder = model_store.ensure_converted(packaged)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    return {"model": model_name, "convert_s": round(seconds, 1), "convert_cpu_s": round(cpu_seconds, 1),
            "peak_rss_gib": round(peak_rss_gib(), 2), "folder_gib": round(size / 2**30, 2),
            "load_avg": [round(load_before, 1), round(os.getloadavg()[0], 1)]}


def main_convert(args, env: dict) -> None:
    print(f"CPU: {_cpu_name()}; every model into its own empty cache under {tempfile.gettempdir()}")
    print("| model | conversion s | CPU s | peak RSS GiB | converted folder GiB | load avg |")
    print("|---|---|---|---|---|---|")
    for model_name in args.models:
        with tempfile.TemporaryDirectory(prefix="summarize-convert-") as cache:
            row = child_result([sys.executable, __file__, "--convert-child", model_name],
                               dict(env, SUMMARIZE_CACHE_DIR=cache), f"{model_name}/convert")
        if row is not None:
            print(f"| {row['model']} | {row['convert_s']} | {row['convert_cpu_s']} | {row['peak_rss_gib']} "
                  f"| {row['folder_gib']} | {row['load_avg'][0]}-{row['load_avg'][1]} |", flush=True)


def child_result(command: list[str], env: dict, label: str) -> dict | None:
    """Run one measurement in a fresh process (its own peak RSS, its own model load) and
    return the JSON of its last ``RESULT`` line; ``None``, with its stderr shown, if it failed."""
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    lines = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    if done.returncode or not lines:
        print(f"{label} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(lines[-1][len("RESULT "):])


def main_seed(args, env: dict) -> None:
    rows = []
    for model_name in args.models:
        for backend in args.backends:
            row = child_result([sys.executable, __file__, "--seed-child", model_name, backend,
                                "--words", str(args.words)], env, f"{model_name}/{backend}")
            if row is None:
                continue
            rows.append(row)
            print(json.dumps({k: v for k, v in row.items() if k != "text"}), flush=True)
            if args.show_text:
                print(row["text"] + "\n", flush=True)
            if args.cli:
                cli_env = dict(env, SUMMARIZE_BACKEND=backend)
                row.update({f"cli_{k}" if k == "peak_rss_gib" else k: v
                            for k, v in cli_brief(model_name, cli_env, args.words).items()
                            if k in ("cli_s", "cli_cpu_s", "peak_rss_gib")})
                print(f"CLI {model_name}/{backend}: {row['cli_s']} s ({row['cli_cpu_s']} CPU s), peak "
                      f"{row['cli_peak_rss_gib']} GiB, load average {os.getloadavg()[0]:.1f}", flush=True)
    print()
    print(f"CPU: {_cpu_name()}; ATEN_CPU_CAPABILITY={os.environ.get('ATEN_CPU_CAPABILITY', '-')} "
          f"ONEDNN_MAX_CPU_ISA={os.environ.get('ONEDNN_MAX_CPU_ISA', '-')} "
          f"FBGEMM_ENABLE_INSTRUCTIONS={os.environ.get('FBGEMM_ENABLE_INSTRUCTIONS', '-')}; load average now "
          f"{os.getloadavg()[0]:.1f} (timings on a shared machine: compare CPU s, read wall s with the load)")
    print("| model | backend | CPU flags (bf16/avx512) | threads | load avg | load s | seed brief s | CPU s "
          "| write s | calls | prompt tok (prefilled) | prefill tok/s | new tok (passes) | decode tok/s "
          "| kept | fallback | new bigrams % | peak RSS GiB | CLI s | CLI peak GiB |")
    print("|" + "---|" * 20)
    for r in rows:
        flags = ",".join(f for f in r["cpu_flags"] if "512" in f or "bf16" in f) or "avx2 only"
        print(f"| {r['model']} | {r['backend']} | {flags} | {r['threads']} | {r['load_avg'][0]}-{r['load_avg'][1]} "
              f"| {r['load_s']} | {r['brief_s']} | {r['brief_cpu_s']} | {r['write_s']} | {r['calls']} "
              f"| {r['prompt_tokens']} ({r['prefilled_tokens']}) | {r['prefill_tok_s']} "
              f"| {r['new_tokens']} ({r['forward_passes']}) | {r['decode_tok_s']} "
              f"| {r['counts'].get('kept', 0)} | {r['counts'].get('fallback', 0)} | "
              f"{r['new_bigrams_pct']} | {r['peak_rss_gib']} | {r.get('cli_s', '')} | "
              f"{r.get('cli_peak_rss_gib', '')} |")


# The quality stories whose claim prompts the agreement check uses beside the seed brief
# (set file, cluster id): the first cluster of each evaluation set.
AGREEMENT_STORIES = (("multiling2011_en.jsonl", "M000"), ("multinews_val100.jsonl", "MNV47486"),
                     ("allsides2021_dev.jsonl", "AS6109"))


def record_claims(model_name: str, backend: str, data: Path, out: Path) -> None:
    """Write the seed brief and the agreement stories with ``backend`` and save every claim
    prompt the writer sent, as token ids, with the greedy continuation that came back."""
    import summarize
    from summarize.bench.datasets import load_jsonl
    from summarize.models import generative

    os.environ["SUMMARIZE_BACKEND"] = backend
    records, story = [], ["seed"]
    greedy = generative.GenerativeModel._greedy

    def spy(self, prompt, ids, max_new_tokens, options):
        new, stats = greedy(self, prompt, ids, max_new_tokens, options)
        records.append({"story": story[0], "ids": ids, "new": new})
        return new, stats

    generative.GenerativeModel._greedy = spy
    texts = {"seed": summarize.brief([str(p) for p in SEEDS], model=model_name, words=120).plain_text}
    for name, cluster_id in AGREEMENT_STORIES:
        cluster = next(c for c in load_jsonl(data / name).clusters if c.id == cluster_id)
        story[0] = cluster_id
        docs = [{"id": d.id, "text": d.text} for d in cluster.docs]
        texts[cluster_id] = summarize.brief(docs, model=model_name, words=100).plain_text
    out.write_text(json.dumps({"backend": backend, "records": records, "texts": texts}))


def forced_agreement(model_name: str, backend: str, recorded: Path) -> dict:
    """Teacher-forced top-1 agreement of ``backend`` with recorded continuations: each
    prompt plus its recorded answer in one forward pass, the argmax at every answer position
    compared with the recorded token."""
    import torch

    from summarize.models.generative import GenerativeModel, set_threads

    data = json.loads(recorded.read_text())
    model = GenerativeModel(model_name, backend=backend)
    model.load()
    set_threads(torch)
    per_story: dict[str, list[int]] = {}
    mismatched = []
    with torch.inference_mode():
        for record in data["records"]:
            ids, new = record["ids"], record["new"]
            logits = model._model(input_ids=torch.tensor([ids + new[:-1]])).logits[0, len(ids) - 1:]
            predicted = logits.argmax(-1).tolist()
            same = [a == b for a, b in zip(predicted, new)]
            counts = per_story.setdefault(record["story"], [0, 0])
            counts[0] += sum(same)
            counts[1] += len(new)
            if not all(same):
                mismatched.append([record["story"], same.index(False), len(new)])
    agree, total = (sum(c[i] for c in per_story.values()) for i in (0, 1))
    return {"model": model_name, "backend": model.runtime["backend"], "reference": data["backend"],
            "prompts": len(data["records"]), "tokens": total, "agreement_pct": round(100 * agree / total, 2),
            "per_story_pct": {k: round(100 * a / n, 1) for k, (a, n) in per_story.items()},
            "mismatches (story, first position, answer tokens)": mismatched}


def main_agreement(args, env: dict) -> None:
    with tempfile.TemporaryDirectory(prefix="summarize-agree-") as folder:
        recorded = Path(folder) / "claims.json"
        done = subprocess.run([sys.executable, __file__, "--record-child", args.models[0], args.reference,
                               str(recorded), "--data", args.data], env=env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"recording with {args.reference} failed:\n{done.stderr[-2000:]}")
        print(f"recorded with {args.reference}: " + json.dumps(json.loads(recorded.read_text())["texts"]), flush=True)
        for backend in args.backends:
            row = child_result([sys.executable, __file__, "--agree-child", args.models[0], backend,
                                str(recorded)], env, f"{args.models[0]}/{backend}")
            if row is not None:
                print(json.dumps(row), flush=True)
    print(f"CPU: {_cpu_name()}")


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            return next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["tiny", "fast", "default"])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--max-new-tokens", type=int, default=200)
    parser.add_argument("--per-article", type=int, default=6, help="evidence sentences per seed")
    parser.add_argument("--cold", action="store_true", help="convert into a fresh cache first")
    parser.add_argument("--show-text", action="store_true", help="print each brief")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--seed-brief", action="store_true",
                        help="time the claim-level seed brief instead of one long prompt")
    parser.add_argument("--backends", nargs="+", default=["auto"], help="with --seed-brief")
    parser.add_argument("--words", type=int, default=120, help="with --seed-brief")
    parser.add_argument("--cli", action="store_true", help="with --seed-brief: also time the CLI")
    parser.add_argument("--seed-child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--agreement", action="store_true",
                        help="teacher-forced top-1 agreement of --backends with --reference on the claim "
                             "prompts of the seed brief and one story per evaluation set (first --models)")
    parser.add_argument("--reference", default="onednn-fp32", help="with --agreement")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"), help="with --agreement")
    parser.add_argument("--convert", action="store_true",
                        help="time only the first-use conversion of each model, each into an empty cache")
    parser.add_argument("--convert-child", help=argparse.SUPPRESS)
    parser.add_argument("--record-child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--agree-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.record_child:
        model_name, backend, out = args.record_child
        record_claims(model_name, backend, Path(args.data), Path(out))
        return
    if args.agree_child:
        model_name, backend, recorded = args.agree_child
        print("RESULT " + json.dumps(forced_agreement(model_name, backend, Path(recorded))), flush=True)
        return

    if args.convert_child:
        print("RESULT " + json.dumps(convert_once(args.convert_child)), flush=True)
        return

    if args.seed_child:
        print("RESULT " + json.dumps(seed_brief(*args.seed_child, args.words)), flush=True)
        return

    if args.child:
        row = run_one(*args.child, args.max_new_tokens, args.per_article)
        print("RESULT " + json.dumps(row), flush=True)
        return

    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    if args.cold:
        env["SUMMARIZE_CACHE_DIR"] = tempfile.mkdtemp(prefix="summarize-bench-")
    if args.convert:
        main_convert(args, env)
        return
    if args.seed_brief:
        main_seed(args, env)
        return
    if args.agreement:
        main_agreement(args, env)
        return
    rows = []
    for model_name in args.models:
        for config in args.configs:
            if config == "assisted" and model_name != "default":
                continue  # the only draft/target pair that shares a tokenizer
            row = child_result([sys.executable, __file__, "--child", model_name, config,
                                "--max-new-tokens", str(args.max_new_tokens),
                                "--per-article", str(args.per_article)], env, f"{model_name}/{config}")
            if row is None:
                continue
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
