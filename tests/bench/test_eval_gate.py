"""Regression gate: the extractive system's ROUGE on MultiLing 2011 must not drop.

Modelled on trafilatura's ``tests/eval_gate.py``: floors pinned in
``benchmarks/floors.json`` with the sha256 of the evaluation file and a small noise margin
(``epsilon``). Floors are raised by ``benchmarks/update_floors.py`` and can only be lowered
with its ``--allow-lower --reason`` flags, which leave a flagged ``history`` entry that the
history test below requires. The gate skips only when the data file is absent.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from summarize.bench.datasets import sha256_of

REPO = Path(__file__).resolve().parents[2]


def _update_floors_module():
    spec = importlib.util.spec_from_file_location(
        "update_floors", REPO / "benchmarks" / "update_floors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


floors_tool = _update_floors_module()
CONFIG = floors_tool.read_floors()


def test_floors_file_history_never_lowers_silently():
    history = CONFIG["history"]
    floors = CONFIG["floors"]
    if history:
        last = history[-1]
        assert {k: last[k] for k in floors} == floors, "floors.json edited by hand: " \
            "floors differ from the last history entry; use benchmarks/update_floors.py"
        assert last["sha256"] == CONFIG["sha256"]
    for before, after in zip(history, history[1:]):
        lowered = [k for k in floors if after[k] < before[k]]
        if lowered or after["sha256"] != before["sha256"]:
            assert after["allow_lower"] and after["reason"].strip(), (
                f"floor(s) {lowered} lowered on {after['date']} without --allow-lower/--reason")
    assert 0 < CONFIG["epsilon"] <= 0.01, "epsilon is a noise margin, not a tolerance"


def test_extractive_rouge_does_not_drop_below_floors():
    path = floors_tool.data_path(CONFIG)
    if not path.is_file():
        pytest.skip(f"evaluation data absent: {path} (set SUMMARIZE_EVAL_DATA to its folder)")
    assert sha256_of(path) == CONFIG["sha256"], (
        f"{path} is not the data the floors were pinned on; re-pin deliberately with "
        "benchmarks/update_floors.py --allow-lower --reason '...'")
    floors = CONFIG["floors"]
    assert None not in floors.values(), (
        "no floors pinned yet: run `.venv/bin/python benchmarks/update_floors.py` once "
        "summarize.brief(model='extractive') works")
    measured = floors_tool.measure(CONFIG, path)
    assert not measured["failures"], f"clusters failed: {measured['failures']}"
    eps = CONFIG["epsilon"]
    drops = {k: f"{measured[k]:.4f} < floor {v:.4f} - {eps}"
             for k, v in floors.items() if measured[k] < v - eps}
    assert not drops, f"ROUGE dropped on {CONFIG['dataset']}: {drops}"


def test_update_floors_refuses_to_lower_without_the_flag(tmp_path, monkeypatch):
    import json

    floors_file = tmp_path / "floors.json"
    config = dict(CONFIG, floors={"rouge1_f1": None, "rouge2_f1": None}, history=[])
    floors_file.write_text(json.dumps(config))
    measured = {"sha256": CONFIG["sha256"], "n_failed": 0, "failures": [],
                "rouge1_f1": 0.41237, "rouge2_f1": 0.12345}
    monkeypatch.setattr(floors_tool, "FLOORS", floors_file)
    monkeypatch.setattr(floors_tool, "read_floors", lambda: json.loads(floors_file.read_text()))
    monkeypatch.setattr(floors_tool, "measure", lambda config, path: dict(measured))

    assert floors_tool.main([]) == 0  # first pin
    pinned = json.loads(floors_file.read_text())
    assert pinned["floors"] == {"rouge1_f1": 0.4123, "rouge2_f1": 0.1234}

    measured["rouge2_f1"] = 0.10
    assert floors_tool.main([]) == 1  # would lower: refused, file untouched
    assert json.loads(floors_file.read_text()) == pinned
    assert floors_tool.main(["--allow-lower", "--reason", "new splitter"]) == 0
    lowered = json.loads(floors_file.read_text())
    assert lowered["floors"]["rouge2_f1"] == 0.1
    assert lowered["history"][-1]["allow_lower"] is True

    measured["sha256"] = "f" * 64
    assert floors_tool.main([]) == 1  # different data: refused
    measured.update(sha256=CONFIG["sha256"], n_failed=1, failures=["M003: boom"])
    assert floors_tool.main([]) == 1  # failing clusters: refused
