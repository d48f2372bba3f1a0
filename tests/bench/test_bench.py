"""The benchmark runner: failures count as zeros, outputs and reports, the CLI."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from summarize.bench import runner
from summarize.bench.cli import bench
from summarize.bench.datasets import EvalCluster, EvalDoc, EvalSet
from summarize.bench.report import (
    SystemOutput,
    results_markdown,
    write_result,
    write_results_md,
)
from summarize.bench.rouge import RougeOptions, RougeScorer
from summarize.bench.runner import (
    benchmark,
    check_dataset,
    iter_benchmarks,
    score_outputs,
    systems,
)
from summarize.errors import InputError, ResourceMissingError

FAST = RougeOptions(n_resamples=50)


def cluster(cid: str, text: str, ref: str) -> EvalCluster:
    return EvalCluster(cid, (EvalDoc(f"{cid}-1", text),), (ref,))


DATA = EvalSet("toy", "toy.jsonl", "0" * 64, (
    cluster("A", "The storm hit the coast. Power is out.", "The storm hit the coast."),
    cluster("B", "Rain flooded the roads. Schools closed.", "Rain flooded roads."),
    cluster("C", "Fire destroyed a barn. Nobody was hurt.", "A barn burned down."),
))


def first_doc(docs, words):
    """A fake system: the first document, cut to the budget."""
    return " ".join(docs[0].text.split()[:words])


def fails_on_b(docs, words):
    if docs[0].id == "B-1":
        raise RuntimeError("model exploded\non two lines")
    return first_doc(docs, words)


def empty_on_c(docs, words):
    return "   " if docs[0].id == "C-1" else first_doc(docs, words)


def test_a_failing_cluster_scores_zero_and_is_counted():
    good = benchmark(DATA, "first", system=first_doc, options=FAST)
    bad = benchmark(DATA, "flaky", system=fails_on_b, options=FAST)
    assert [o.cluster_id for o in bad.outputs] == ["A", "B", "C"]  # nothing skipped
    (failure,) = bad.failures
    assert failure.cluster_id == "B"
    assert failure.error == "RuntimeError: model exploded on two lines"
    assert bad.scores[1].get("rouge1") == 0.0
    assert bad.corpus.n_clusters == 3
    # The mean over 3 clusters includes the zero: (A + 0 + C) / 3.
    expected = (good.scores[0].get("rouge1") + good.scores[2].get("rouge1")) / 3
    assert bad.corpus.get("rouge1").mid == pytest.approx(expected)


def test_empty_output_is_a_failure():
    result = benchmark(DATA, "blank", system=empty_on_c, options=FAST)
    assert [(o.cluster_id, o.error) for o in result.failures] == [("C", "empty output")]


def test_missing_resource_stops_the_run():
    def missing(docs, words):
        raise ResourceMissingError("pip install something")

    with pytest.raises(ResourceMissingError):
        benchmark(DATA, "missing", system=missing, options=FAST)


def test_bad_input_names_the_cluster():
    no_docs = EvalSet("bad", "bad", "", (EvalCluster("Z", (), ("ref",)),))
    with pytest.raises(InputError, match="cluster 'Z' .* no documents"):
        check_dataset(no_docs)
    no_refs = EvalSet("bad", "bad", "", (EvalCluster("Y", (EvalDoc("d", "t"),), ()),))
    with pytest.raises(InputError, match="cluster 'Y' .* reference"):
        benchmark(no_refs, "first", system=first_doc)
    with pytest.raises(InputError, match=r"missing \['B', 'C'\], unknown \['Q'\]"):
        score_outputs(RougeScorer(FAST), DATA.clusters,
                      [SystemOutput("A", "x", 0.0), SystemOutput("Q", "x", 0.0)])
    with pytest.raises(InputError, match="unknown system 'nope'"):
        benchmark(DATA, "nope")


def test_registry_has_baselines_and_lazy_own_systems():
    assert {"lead3", "lexrank", "textrank", "lsa", "luhn", "extractive", "fast",
            "default"} <= set(systems())


def test_write_result_files(tmp_path):
    result = benchmark(DATA, "flaky", system=fails_on_b, options=FAST, load_seconds=0.5)
    folder = write_result(result, tmp_path)
    assert folder == tmp_path / "flaky"
    rows = list(csv.DictReader((folder / "scores.csv").open()))
    assert [(r["cluster"], r["status"]) for r in rows] == [("A", "ok"), ("B", "failed"), ("C", "ok")]
    assert float(rows[1]["rouge1_f1_mean"]) == 0.0
    record = json.loads((folder / "run.json").read_text())
    assert record["system"] == "flaky"
    assert record["dataset"]["sha256"] == "0" * 64
    assert record["rouge"]["rouge_score_version"] == "0.1.2"
    assert record["rouge"]["n_resamples"] == 50
    assert record["seed"] == 0 and record["words"] == 250 and record["truncate"] is None
    assert record["n_failed"] == 1 and record["failures"][0]["cluster"] == "B"
    assert record["timings"]["load"] == 0.5
    assert set(record["scores"]) == {"mean", "max", "pooled"}
    summary = (folder / "summary.md").read_text()
    assert "Failed clusters (scored zero, counted): 1 of 3" in summary
    assert not (folder / "summaries.jsonl").exists()  # data-derived text stays out by default


def test_speed_reference_is_lexrank_on_the_same_clusters():
    lexrank, lead = iter_benchmarks(DATA, ["lead3", "lexrank"], options=FAST)  # LexRank first
    assert lexrank.reference_seconds == lexrank.timings.system
    assert lead.reference_seconds == lexrank.timings.system
    assert lead.speed()["speed_vs_lexrank"] == pytest.approx(
        lexrank.timings.system / lead.timings.system)
    (alone,) = iter_benchmarks(DATA, ["lead3"], options=FAST)
    assert alone.reference_seconds is not None  # LexRank timed separately


def test_results_markdown_lists_every_run(tmp_path):
    for system in (first_doc, fails_on_b):
        name = "lead3" if system is first_doc else "flaky"
        write_result(benchmark(DATA, name, system=system, options=FAST), tmp_path / "toy")
    path = write_results_md(tmp_path, tmp_path / "RESULTS.md")
    text = path.read_text()
    assert "## toy" in text
    lines = [line for line in text.splitlines() if line.startswith("| lead3") or
             line.startswith("| flaky")]
    assert [line.split(" | ")[0] for line in lines] == ["| lead3", "| flaky"]  # known first
    assert "| 1/3 |" in lines[1]
    with pytest.raises(InputError, match="no <dataset>/<system>/run.json"):
        results_markdown(tmp_path / "empty")


def test_a_short_budget_run_gets_its_own_section_with_recall_intervals(tmp_path):
    write_result(benchmark(DATA, "lead3", system=first_doc, options=FAST), tmp_path / "toy")
    write_result(benchmark(DATA, "lead3", system=first_doc, words=100, options=FAST),
                 tmp_path / "toy_100w")
    text = results_markdown(tmp_path)
    assert "## toy\n" in text and "## toy, 100 words\n" in text
    assert "Warning" not in text  # the budgets are not mixed in one table
    long_row, short_row = [line for line in text.splitlines() if line.startswith("| lead3")]
    assert long_row.count("(") == 3  # F1 intervals only
    assert short_row.count("(") == 5  # and recall intervals for the 100-word run


def test_extractive_mmr_is_the_extractive_writer_over_mmr_selection():
    mmr = systems()["extractive-mmr"]
    assert mmr.model == "extractive" and mmr.options == {"selection": "mmr"}


def test_cli_rouge_and_results(tmp_path):
    data = tmp_path / "set.jsonl"
    data.write_text("\n".join(json.dumps({
        "cluster": c.id, "docs": [{"id": d.id, "text": d.text} for d in c.docs],
        "refs": list(c.refs)}) for c in DATA.clusters) + "\n")
    runner = CliRunner()
    out = tmp_path / "out"
    result = runner.invoke(bench, ["rouge", "--data", str(data), "--system", "lead3",
                                   "--out", str(out), "--words", "20", "--truncate", "20",
                                   "--seed", "3", "--resamples", "20", "--no-speed-reference"])
    assert result.exit_code == 0, result.output
    assert "lead3: R-1" in result.output and "failed 0/3" in result.output
    record = json.loads((out / "lead3" / "run.json").read_text())
    assert (record["seed"], record["truncate"], record["words"]) == (3, 20, 20)
    assert record["speed_vs_lexrank"] is None
    result = runner.invoke(bench, ["results", "--root", str(tmp_path), "--out",
                                   str(tmp_path / "R.md")])
    assert result.exit_code == 0 and (tmp_path / "R.md").is_file()


def test_cli_errors_are_one_line_and_non_zero(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"cluster": "K", "docs": [{"id": "d", "text": "t"}]}) + "\n")
    result = CliRunner().invoke(bench, ["rouge", "--data", str(bad), "--system", "lead3",
                                        "--out", str(tmp_path / "o")])
    assert result.exit_code == InputError.exit_code
    assert result.output.count("\n") == 1
    assert "cluster 'K'" in result.output and "no reference" in result.output
    result = CliRunner().invoke(bench, ["rouge", "--data", str(bad), "--system", "nope",
                                        "--out", str(tmp_path / "o")])
    assert result.exit_code != 0


def test_unavailable_system_is_reported_and_others_still_run(monkeypatch, tmp_path):
    def missing(docs, words):
        raise ResourceMissingError("system 'extractive' cannot run: pip install it")

    known = runner.systems()
    monkeypatch.setattr(runner, "systems", lambda: {**known, "extractive": missing})
    skipped = []
    results = list(iter_benchmarks(DATA, ["extractive", "lead3"], options=FAST,
                                   speed_reference=False,
                                   on_unavailable=lambda name, exc: skipped.append(name)))
    assert [r.system for r in results] == ["lead3"] and skipped == ["extractive"]
    with pytest.raises(ResourceMissingError):
        list(iter_benchmarks(DATA, ["extractive"], options=FAST, speed_reference=False))

    data = tmp_path / "set.jsonl"
    data.write_text(json.dumps({"cluster": "A", "docs": [{"id": "d", "text": "Rain fell."}],
                                "refs": ["Rain."]}) + "\n")
    result = CliRunner().invoke(bench, ["rouge", "--data", str(data), "--system", "extractive",
                                        "--system", "lead3", "--out", str(tmp_path / "o"),
                                        "--no-speed-reference", "--resamples", "10"])
    assert result.exit_code == ResourceMissingError.exit_code
    assert "extractive: not run: system 'extractive' cannot run" in result.output
    assert (tmp_path / "o" / "lead3" / "run.json").is_file()


def test_brief_system_records_pipeline_stage_timings(monkeypatch):
    """Our own systems report the pipeline's stages (load_clean ... attribute)."""
    from summarize.bench import runner as bench
    from summarize.bench.datasets import EvalDoc

    class FakeBrief:
        plain_text = "A summary."
        metadata = {"timings_s": {"load_clean": 0.5, "embed": 1.0}}

    import summarize

    monkeypatch.setattr(summarize, "brief", lambda articles, words, model: FakeBrief(), raising=False)
    system = bench.BriefSystem("extractive")
    docs = (EvalDoc("d1", "Text one."),)
    assert system(docs, 50) == "A summary."
    system(docs, 50)
    assert system.stage_seconds == {"load_clean": 1.0, "embed": 2.0}


def test_run_record_names_the_embedder_writer_backend_and_cpu(monkeypatch, tmp_path):
    """int8 and fp32 embedders select slightly different sentences: a result says which ran."""
    from summarize.bench import runner as bench

    class FakeBrief:
        plain_text = "The storm hit the coast."
        metadata = {"embedder": "minilm#onnx-int8-v2", "timings_s": {},
                    "writer": {"runtime": {"backend": "onednn-bf16"}}}

    import summarize

    monkeypatch.setattr(summarize, "brief", lambda articles, words, model: FakeBrief(), raising=False)
    monkeypatch.setenv("SUMMARIZE_CPU_FLAGS", "sse2 avx2 fma f16c")
    result = benchmark(DATA, "extractive", system=bench.BriefSystem("extractive"), options=FAST)
    folder = write_result(result, tmp_path)
    record = json.loads((folder / "run.json").read_text())
    assert record["components"] == {"embedder": ["minilm#onnx-int8-v2"], "writer_backend": ["onednn-bf16"]}
    assert record["cpu"] == {"flags": ["avx2", "fma", "f16c"], "from": "SUMMARIZE_CPU_FLAGS"}
    assert "embedder: minilm#onnx-int8-v2; writer_backend: onednn-bf16 (CPU flags: avx2, fma, f16c)" in (
        folder / "summary.md").read_text()


def test_a_baseline_run_records_no_components(tmp_path):
    record = json.loads((write_result(benchmark(DATA, "first", system=first_doc, options=FAST),
                                      tmp_path) / "run.json").read_text())
    assert record["components"] == {}
    assert "Made with" not in (tmp_path / "first" / "summary.md").read_text()


def test_our_extractive_system_records_the_embedder_it_ran_with():
    """The real default path, not a fake: the brief metadata's key is the one the runner reads."""
    from summarize.nlp.embed import default_embedder

    result = benchmark(DATA, "extractive", options=FAST)
    assert result.components["embedder"] == [default_embedder().name]
