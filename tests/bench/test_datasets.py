"""Loaders of evaluation sets: records, and error messages that name the culprit."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from summarize.bench.datasets import (
    EvalCluster,
    EvalDoc,
    load_dataset,
    load_duc,
    load_jsonl,
    load_seeds,
    sha256_of,
)
from summarize.errors import InputError

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def cluster_line(cluster="C1", docs=None, refs=None) -> str:
    docs = [{"id": "d1", "text": "Rain fell. Roads flooded."}] if docs is None else docs
    refs = ["Rain flooded roads."] if refs is None else refs
    return json.dumps({"cluster": cluster, "docs": docs, "refs": refs})


def write_jsonl(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_loads_typed_records(tmp_path):
    path = write_jsonl(tmp_path, cluster_line("A"), "", cluster_line("B", refs=["r1", "r2"]))
    data = load_jsonl(path)
    assert data.name == "set"
    assert data.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [c.id for c in data.clusters] == ["A", "B"]
    assert data.clusters[0] == EvalCluster(
        "A", (EvalDoc("d1", "Rain fell. Roads flooded."),), ("Rain flooded roads.",))
    assert data.clusters[1].refs == ("r1", "r2")
    assert data.n_docs == 2
    assert data.clusters[0].articles() == [{"id": "d1", "text": "Rain fell. Roads flooded."}]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"set\.jsonl: line 2 is not valid JSON"),
        ("[1, 2]", r":2: expected a JSON object"),
        (json.dumps({"docs": [], "refs": ["r"]}), r":2: missing \"cluster\""),
        (cluster_line("B", refs=[]), r":2 \(cluster 'B'\): no reference summaries"),
        (json.dumps({"cluster": "B", "docs": [{"id": "d", "text": "t"}]}), r"'B'.*no reference"),
        (cluster_line("B", refs=["ok", ""]), r"'B'.*reference #2 is empty"),
        (cluster_line("B", docs=[]), r"'B'\): no documents"),
        (json.dumps({"cluster": "B", "refs": ["r"]}), r"'B'\): no documents"),
        (cluster_line("B", docs=[{"id": "x", "text": "  "}]), r"'B'.*document 'x' is empty"),
        (cluster_line("B", docs=[{"id": "x"}]), r"'B'.*document #1 needs a string \"text\""),
        (cluster_line("B", docs=[{"id": "x", "text": "a"}, {"id": "x", "text": "b"}]),
         r"'B'.*duplicate document id 'x'"),
        (cluster_line("A"), r"duplicate cluster id, first on line 1"),
    ],
)
def test_jsonl_errors_name_line_and_cluster(tmp_path, line, message):
    path = write_jsonl(tmp_path, cluster_line("A"), line)
    with pytest.raises(InputError, match=message):
        load_jsonl(path)


def test_jsonl_empty_or_missing_file(tmp_path):
    with pytest.raises(InputError, match="no clusters"):
        load_jsonl(write_jsonl(tmp_path, ""))
    with pytest.raises(InputError, match="no such file"):
        load_jsonl(tmp_path / "absent.jsonl")


@pytest.fixture
def seeds(tmp_path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "000_aaaa.txt").write_text("Headline one\nThe mayor resigned on Monday.", "utf-8")
    (folder / "001_bbbb.txt").write_text("Headline two\nThe mayor quit after a scandal.", "utf-8")
    (folder / "references.jsonl").write_text(
        json.dumps({"cluster": "mayor", "doc_ids": ["000_aaaa", "001_bbbb"],
                    "refs": ["The mayor resigned after a scandal."]}) + "\n", "utf-8")
    return folder


def test_seeds_load_by_file_stem(seeds):
    data = load_seeds(seeds)
    (cluster,) = data.clusters
    assert cluster.id == "mayor"
    assert [d.id for d in cluster.docs] == ["000_aaaa", "001_bbbb"]
    assert cluster.docs[0].text.startswith("Headline one")
    assert load_dataset(seeds).clusters == data.clusters
    before = data.sha256
    (seeds / "001_bbbb.txt").write_text("Changed.", "utf-8")
    assert load_seeds(seeds).sha256 != before


def test_seeds_errors(seeds):
    refs = seeds / "references.jsonl"
    refs.write_text(json.dumps({"cluster": "mayor", "doc_ids": ["000_aaaa", "999_zzzz"],
                                "refs": ["x"]}) + "\n", "utf-8")
    with pytest.raises(InputError, match=r"'mayor'.*'999_zzzz' has no file"):
        load_seeds(seeds)
    refs.write_text(json.dumps({"cluster": "mayor", "doc_ids": ["000_aaaa"]}) + "\n", "utf-8")
    with pytest.raises(InputError, match=r"'mayor'.*no reference"):
        load_seeds(seeds)
    refs.write_text(json.dumps({"cluster": "mayor", "doc_ids": [], "refs": ["x"]}) + "\n", "utf-8")
    with pytest.raises(InputError, match=r"'mayor'\): no documents"):
        load_seeds(seeds)
    refs.unlink()
    with pytest.raises(InputError, match="references.jsonl: no such file"):
        load_seeds(seeds)


SGML = """<DOC>
<DOCNO> APW19990101.0001 </DOCNO>
<HEADLINE>Not body text</HEADLINE>
<TEXT>
<P>
The storm hit the coast on Friday.
</P>
<P>
Thousands lost power.
</P>
</TEXT>
</DOC>
"""


@pytest.fixture
def duc(tmp_path) -> tuple[Path, Path]:
    docs, models = tmp_path / "docs", tmp_path / "models"
    (docs / "D0601A").mkdir(parents=True)
    (docs / "D0602B").mkdir(parents=True)
    models.mkdir()
    (docs / "D0601A" / "APW19990101.0001").write_text(SGML, "utf-8")
    (docs / "D0602B" / "plain.txt").write_text("A plain text document.", "utf-8")
    (models / "D0601.M.250.A.A").write_text("A storm cut power.", "utf-8")
    (models / "D0601A.M.250.A.B").write_bytes("Caf\xe9 owners lost power.".encode("latin-1"))
    (models / "D0602B.M.250.B.C").write_text("Plain summary.", "utf-8")
    return docs, models


def test_duc_layout(duc):
    data = load_duc(*duc)
    first, second = data.clusters
    assert first.id == "D0601A"
    assert first.docs[0].id == "APW19990101.0001"
    assert first.docs[0].text == "The storm hit the coast on Friday.\nThousands lost power."
    assert first.refs == ("A storm cut power.", "Café owners lost power.")
    assert second.docs == (EvalDoc("plain.txt", "A plain text document."),)
    assert load_dataset(duc[0], models=duc[1]).clusters == data.clusters


def test_duc_mismatched_ids(duc):
    docs, models = duc
    (models / "D0699.M.250.A.A").write_text("Orphan.", "utf-8")
    with pytest.raises(InputError, match=r"cluster 'D0699', which has no documents folder"):
        load_duc(docs, models)
    (models / "D0699.M.250.A.A").unlink()
    (models / "D0602B.M.250.B.C").unlink()
    with pytest.raises(InputError, match=r"'D0602B'.*no model summaries"):
        load_duc(docs, models)
    with pytest.raises(InputError, match="without references.jsonl"):
        load_dataset(docs)


def test_sha256_of_file_and_folder(tmp_path):
    file = tmp_path / "a.txt"
    file.write_bytes(b"abc")
    assert sha256_of(file) == hashlib.sha256(b"abc").hexdigest()
    folder_hash = sha256_of(tmp_path)
    (tmp_path / "b.txt").write_bytes(b"")
    assert sha256_of(tmp_path) != folder_hash
    with pytest.raises(InputError):
        sha256_of(tmp_path / "missing")


@pytest.mark.skipif(not (SHARED / "multiling2011_en.jsonl").is_file(),
                    reason="shared evaluation data not present at ../shared/data")
def test_shared_multiling_file_loads():
    data = load_jsonl(SHARED / "multiling2011_en.jsonl")
    assert len(data.clusters) == 10
    assert data.n_docs == 100
    assert sum(len(c.refs) for c in data.clusters) == 30


REPO_SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.mark.skipif(not (REPO_SEEDS / "references.jsonl").is_file(),
                    reason="seeds/references.jsonl not written yet")
def test_repository_seeds_load():
    data = load_seeds(REPO_SEEDS)
    assert data.clusters
    for cluster in data.clusters:
        assert cluster.docs and all(ref.strip() for ref in cluster.refs)
