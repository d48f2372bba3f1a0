"""Pin the eval-gate floors (``benchmarks/floors.json``) from a fresh measurement.

The gate (``tests/test_eval_gate.py``) fails when the extractive system's ROUGE-1 or
ROUGE-2 F1 on MultiLing 2011 drops below a pinned floor by more than ``epsilon``. This
script measures the scores and raises the floors to them. It refuses to lower a floor,
or to re-pin on different data (a changed sha256), unless given ``--allow-lower`` and a
``--reason``; every change is appended to the file's ``history``, which the gate checks::

    .venv/bin/python benchmarks/update_floors.py
    .venv/bin/python benchmarks/update_floors.py --allow-lower --reason "new splitter"
    .venv/bin/python benchmarks/update_floors.py --dry-run      # measure, change nothing
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
FLOORS = REPO / "benchmarks" / "floors.json"


def read_floors(path: Path = FLOORS) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def data_path(config: dict) -> Path:
    """The gate's data file: ``$SUMMARIZE_EVAL_DATA/<dataset>`` or ``../shared/data``."""
    folder = os.environ.get("SUMMARIZE_EVAL_DATA") or REPO.parent / "shared" / "data"
    return Path(folder) / config["dataset"]


def measure(config: dict, path: Path) -> dict:
    """Run the gated system on the gate's data with the gate's settings.

    Returns ``{"sha256", "n_failed", "failures", "<metric>_f1": mean F1 over clusters}``.
    """
    from summarize.bench.datasets import load_jsonl
    from summarize.bench.rouge import RougeOptions
    from summarize.bench.runner import benchmark

    dataset = load_jsonl(path)
    options = RougeOptions(stemming=config["stemming"], word_limit=config["truncate"],
                           seed=config["seed"], n_resamples=config["n_resamples"])
    result = benchmark(dataset, config["system"], words=config["words"], options=options)
    scores = {f"{metric}_f1": result.corpus.get(metric).mid for metric in ("rouge1", "rouge2")}
    return {"sha256": dataset.sha256, "n_failed": len(result.failures),
            "failures": [f"{o.cluster_id}: {o.error}" for o in result.failures], **scores}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Pin the eval-gate floors.")
    parser.add_argument("--allow-lower", action="store_true",
                        help="allow a floor to go down (or the data hash to change)")
    parser.add_argument("--reason", default="", help="why (required with --allow-lower)")
    parser.add_argument("--dry-run", action="store_true", help="measure and print only")
    args = parser.parse_args(argv)
    if args.allow_lower and not args.reason.strip():
        parser.error("--allow-lower needs a --reason")

    config = read_floors()
    measured = measure(config, data_path(config))
    print(json.dumps(measured, indent=2))
    if measured["n_failed"]:
        print("refusing to pin floors while clusters fail", file=sys.stderr)
        return 1
    # Floors are the measured values rounded down to 4 decimals: exact enough, stable text.
    new = {key: math.floor(measured[key] * 1e4) / 1e4 for key in config["floors"]}
    lowered = [k for k, v in new.items()
               if config["floors"][k] is not None and v < config["floors"][k]]
    data_changed = config["sha256"] not in (None, measured["sha256"])
    if (lowered or data_changed) and not args.allow_lower:
        what = (f"floors {', '.join(lowered)} would go down " if lowered else "") + \
               ("the data sha256 changed" if data_changed else "")
        print(f"refusing: {what.strip()}; rerun with --allow-lower --reason '...'",
              file=sys.stderr)
        return 1
    if args.dry_run:
        return 0
    floors = new  # here every floor goes up or stays, unless --allow-lower was given
    config["floors"], config["sha256"] = floors, measured["sha256"]
    config["history"].append({
        "date": dt.date.today().isoformat(), **floors, "sha256": measured["sha256"],
        "allow_lower": bool(args.allow_lower), "reason": args.reason,
    })
    FLOORS.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    print(f"pinned {floors} in {FLOORS}")
    return 0


if __name__ == "__main__":
    from summarize.bench.runner import fix_hash_seed

    fix_hash_seed()
    sys.exit(main())
