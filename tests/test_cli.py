import json

import pytest
from click.testing import CliRunner
from conftest import TRIP

from summarize.briefing import render
from summarize.cli import cli


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_bad_input_is_one_line_and_a_non_zero_exit(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine text here."}\nnot json\n')
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
