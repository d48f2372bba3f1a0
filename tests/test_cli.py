import json

import pytest
from click.testing import CliRunner
from conftest import TRIP

from summarize import pipeline
from summarize.briefing import render
from summarize.cli import cli
from summarize.records import Brief


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_bad_input_is_one_line_and_a_non_zero_exit(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('\nnot json\n')
    out = tmp_path / "out.md"
    result = run("brief", str(bad), "--out", str(out))
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "line 2" in result.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]  # no partial or temporary file left behind


def test_missing_file_and_bad_option(tmp_path):
    result = run("brief", str(tmp_path / "nope.txt"))
    assert result.exit_code == 2 and result.output.startswith("error: ") and "no such file" in result.output
    result = run("brief", TRIP[0], "--words", "3")
    assert result.exit_code == 2 and "words" in result.output


def test_out_folder_must_exist(tmp_path):
    result = run("brief", TRIP[0], "--out", str(tmp_path / "missing" / "x.md"))
    assert result.exit_code != 0 and "does not exist" in result.output


@pytest.mark.slow
def test_json_to_file_and_markdown_from_stdin(tmp_path):
    out = tmp_path / "briefs.json"
    result = run("brief", *TRIP, "--format", "json", "--out", str(out), "--words", "80")
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert isinstance(data, list) and len(data) == 1
    [b] = render.from_json(out.read_text())
    assert 64 <= b.metadata["words"] <= 96
    text = open(TRIP[1], encoding="utf-8").read()
    result = run("brief", "-", input=text)
    assert result.exit_code == 0 and result.output.startswith("## ")
    assert "**Sources**" in result.output


@pytest.mark.slow
def test_a_bad_file_among_good_ones_is_skipped_with_a_warning(tmp_path):
    import shutil

    for path in TRIP[:2]:
        shutil.copy(path, tmp_path)
    (tmp_path / "broken.txt").write_bytes(b"\x00\x01binary")
    result = CliRunner().invoke(cli, ["brief", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 0
    assert "skipped" in result.stderr and "broken.txt" in result.stderr and "binary" in result.stderr
    assert result.stdout.startswith("## ")


def test_deep_json_is_one_line_naming_the_file_not_a_traceback(tmp_path):
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    result = run("brief", str(tmp_path))
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "deep.json" in result.output and "nested deeper than 64" in result.output


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    config = tmp_path / "limits.toml"
    config.write_text("[summarize.limits]\nmax_file_bytes = 1000\n")
    big = tmp_path / "big.txt"
    big.write_text("Headline\n" + "The council met on Monday. " * 100)
    result = run("brief", str(big), "--config", str(config))
    assert result.exit_code == 2 and "max_file_bytes" in result.output and "big.txt" in result.output


def test_another_language_says_so_and_exits_non_zero(tmp_path):
    path = tmp_path / "ru.txt"
    path.write_text("Госсекретарь США Энтони Блинкен завершил свою поездку по Ближнему Востоку. "
                    "Он встретился с министром иностранных дел Турции в Анкаре.")
    result = run("brief", str(path))
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert result.output.startswith("error: ") and "not English (looks like Russian" in result.output


def test_a_brief_with_no_sentence_is_never_printed_as_a_success(tmp_path, monkeypatch):
    empty = Brief(story_id="s-1", title="Nothing", sentences=(), sources=())
    monkeypatch.setattr(pipeline, "briefs", lambda inputs, **options: [empty])
    out = tmp_path / "out.md"
    result = run("brief", TRIP[0], "--out", str(out))
    assert result.exit_code == 2 and not out.exists()
    assert "error: " in result.output and "no sentence" in result.output


def test_when_the_clusterer_sets_everything_aside_the_cli_says_why(tmp_path):
    path = tmp_path / "fr.txt"
    path.write_text("Le secrétaire d'État américain termine sa tournée\n"
                    "Le secrétaire d'État américain Antony Blinken a terminé mardi sa tournée au Moyen-Orient "
                    "sans obtenir les pauses humanitaires que les États-Unis demandent pour acheminer davantage "
                    "d'aide à Gaza. Il a rencontré le ministre turc des Affaires étrangères à Ankara.")
    result = run("brief", str(path))
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "no story to brief" in result.output and "does not look English" in result.output


def test_pair_model_flag_reaches_the_clusterer_with_its_chosen_setting(monkeypatch, fake_embedder):
    from summarize.events import cluster

    seen = []
    real = cluster.cluster_report

    def recording(articles, *, embedder, options):
        seen.append(options)
        return real(articles, embedder=embedder, options=options)

    monkeypatch.setattr(cluster, "cluster_report", recording)
    monkeypatch.setattr(pipeline, "default_embedder", lambda: fake_embedder)
    assert run("brief", *TRIP).exit_code == 0
    assert run("brief", *TRIP, "--pair-model").exit_code == 0
    default, paired = seen
    assert default.pair_weight == 0 and default.threshold == cluster.ClusterOptions().threshold
    assert paired.pair_weight == cluster.PAIR_MODEL_SETTING["pair_weight"] > 0
    assert paired.threshold == cluster.PAIR_MODEL_SETTING["threshold"]
    # An explicit threshold still wins over the pair model's.
    pipeline.stories(TRIP, embedder=fake_embedder, pair_model=True, cluster_threshold=0.3)
    assert seen[-1].threshold == 0.3 and seen[-1].pair_weight > 0
