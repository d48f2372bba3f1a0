"""Evaluation sets: story clusters with human reference summaries.

Three layouts load into the same typed records (:class:`EvalSet` of :class:`EvalCluster`):

* the JSON Lines files of ``../shared/data`` (:func:`load_jsonl`), one cluster a line::

      {"cluster": "M000", "docs": [{"id": "...", "text": "..."}], "refs": ["..."]}

* the repository seeds (:func:`load_seeds`): ``seeds/*.txt`` articles (id = file stem)
  grouped by ``seeds/references.jsonl`` lines
  ``{"cluster": "...", "doc_ids": ["000_d6128c9dd60b449d", ...], "refs": ["..."]}``;

* a DUC/TAC-style folder pair (:func:`load_duc`): a documents folder with one subfolder
  per cluster (``D0601A/``) and a model-summaries folder whose file names start with the
  cluster id (``D0601A.M.250.A.A``, or NIST's ``D0601.M.250.A.A`` without the assessor
  letter). DUC data is licensed by NIST; point at your own copy.

Every loader validates as it reads and raises :class:`~summarize.errors.InputError`
naming the file, line and cluster at fault. Data is read where it lives, never copied.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from summarize.errors import InputError


@dataclass(frozen=True)
class EvalDoc:
    """One source document of a cluster."""

    id: str
    text: str


@dataclass(frozen=True)
class EvalCluster:
    """A story cluster: its source documents and its human reference summaries."""

    id: str
    docs: tuple[EvalDoc, ...]
    refs: tuple[str, ...]

    def articles(self) -> list[dict[str, str]]:
        """The documents as ``{"id", "text"}`` dicts, the input of ``summarize.brief``."""
        return [{"id": d.id, "text": d.text} for d in self.docs]


@dataclass(frozen=True)
class EvalSet:
    """A loaded evaluation set.

    Attributes:
        name: Short name (file stem or folder name), used for result folders.
        source: The path the set was read from.
        sha256: Hash of the data as read (:func:`sha256_of`), recorded with results.
        clusters: The clusters, in file order.
    """

    name: str
    source: str
    sha256: str
    clusters: tuple[EvalCluster, ...]

    @property
    def n_docs(self) -> int:
        return sum(len(c.docs) for c in self.clusters)


def sha256_of(path: str | Path) -> str:
    """SHA-256 of a file, or of a folder (sorted relative paths and file contents)."""
    path = Path(path)
    digest = hashlib.sha256()
    if path.is_file():
        files = [(None, path)]
    elif path.is_dir():
        files = sorted((p.relative_to(path).as_posix(), p) for p in path.rglob("*") if p.is_file())
    else:
        raise InputError(f"{path}: no such file or folder")
    for rel, file in files:
        if rel is not None:
            digest.update(rel.encode() + b"\0")
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def load_dataset(path: str | Path, models: str | Path | None = None) -> EvalSet:
    """Load any supported layout: a ``.jsonl`` file, a seeds folder, or DUC folders.

    Args:
        path: A JSON Lines file; a folder holding ``references.jsonl`` (seeds); or a DUC
            documents folder (then ``models`` is required).
        models: The DUC model-summaries folder.
    """
    path = Path(path)
    if models is not None:
        return load_duc(path, models)
    if path.is_file():
        return load_jsonl(path)
    if path.is_dir() and (path / "references.jsonl").is_file():
        return load_seeds(path)
    if path.is_dir():
        raise InputError(
            f"{path} is a folder without references.jsonl; for DUC data also pass the "
            "model-summaries folder (--models)"
        )
    raise InputError(f"{path}: no such file; expected a .jsonl cluster file or a folder")


def _read_lines(path: Path) -> Iterable[tuple[int, dict]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    from summarize.ingest.loaders import iter_jsonl

    for number, row in iter_jsonl(text, str(path)):
        if not isinstance(row, dict):
            raise InputError(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
        yield number, row


def _cluster_id(row: dict, where: str) -> str:
    cluster = row.get("cluster")
    if not isinstance(cluster, str) or not cluster.strip():
        raise InputError(f"{where}: missing \"cluster\" id (a non-empty string)")
    return cluster


def _refs(row: dict, where: str) -> tuple[str, ...]:
    refs = row.get("refs")
    if not isinstance(refs, list) or not refs:
        raise InputError(f"{where}: no reference summaries (\"refs\" must be a non-empty list)")
    for i, ref in enumerate(refs, start=1):
        if not isinstance(ref, str) or not ref.strip():
            raise InputError(f"{where}: reference #{i} is empty or not a string")
    return tuple(refs)


def _check_docs(docs: list[EvalDoc], where: str) -> tuple[EvalDoc, ...]:
    if not docs:
        raise InputError(f"{where}: no documents")
    seen: set[str] = set()
    for doc in docs:
        if doc.id in seen:
            raise InputError(f"{where}: duplicate document id {doc.id!r}")
        seen.add(doc.id)
        if not doc.text.strip():
            raise InputError(f"{where}: document {doc.id!r} is empty")
    return tuple(docs)


def _finish(name: str, source: Path, clusters: list[EvalCluster]) -> EvalSet:
    if not clusters:
        raise InputError(f"{source}: no clusters found")
    return EvalSet(name, str(source), sha256_of(source), tuple(clusters))


def load_jsonl(path: str | Path) -> EvalSet:
    """Load the ``{"cluster", "docs": [{"id", "text"}], "refs"}`` JSON Lines format."""
    path = Path(path)
    clusters: list[EvalCluster] = []
    seen: dict[str, int] = {}
    for number, row in _read_lines(path):
        cluster = _cluster_id(row, f"{path}:{number}")
        where = f"{path}:{number} (cluster {cluster!r})"
        if cluster in seen:
            raise InputError(f"{where}: duplicate cluster id, first on line {seen[cluster]}")
        seen[cluster] = number
        raw_docs = row.get("docs")
        if not isinstance(raw_docs, list):
            raise InputError(f"{where}: no documents (\"docs\" must be a list of {{id, text}})")
        docs = []
        for i, doc in enumerate(raw_docs, start=1):
            if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
                raise InputError(f"{where}: document #{i} needs a string \"text\"")
            docs.append(EvalDoc(str(doc.get("id") or f"{cluster}-{i}"), doc["text"]))
        clusters.append(EvalCluster(cluster, _check_docs(docs, where), _refs(row, where)))
    return _finish(path.stem, path, clusters)


def load_seeds(seeds_dir: str | Path, references: str | Path | None = None) -> EvalSet:
    """Load the repository seeds: ``*.txt`` articles grouped by ``references.jsonl``.

    Args:
        seeds_dir: Folder of ``<doc id>.txt`` articles.
        references: The references file; defaults to ``seeds_dir/references.jsonl``.
    """
    seeds_dir = Path(seeds_dir)
    references = Path(references) if references else seeds_dir / "references.jsonl"
    if not references.is_file():
        raise InputError(
            f"{references}: no such file; write one line per cluster: "
            '{"cluster": "<name>", "doc_ids": ["<file stem>", ...], "refs": ["<reference>"]}'
        )
    clusters: list[EvalCluster] = []
    for number, row in _read_lines(references):
        cluster = _cluster_id(row, f"{references}:{number}")
        where = f"{references}:{number} (cluster {cluster!r})"
        doc_ids = row.get("doc_ids")
        if not isinstance(doc_ids, list):
            raise InputError(f"{where}: no documents (\"doc_ids\" must be a list of file stems)")
        docs = []
        for doc_id in doc_ids:
            file = seeds_dir / f"{doc_id}.txt"
            if not file.is_file():
                raise InputError(f"{where}: document id {doc_id!r} has no file {file}")
            docs.append(EvalDoc(str(doc_id), file.read_text(encoding="utf-8")))
        clusters.append(EvalCluster(cluster, _check_docs(docs, where), _refs(row, where)))
    if not clusters:
        raise InputError(f"{references}: no clusters found")
    return EvalSet(seeds_dir.name, str(references), _seeds_hash(references, clusters),
                   tuple(clusters))


def _seeds_hash(references: Path, clusters: list[EvalCluster]) -> str:
    # The references file and every article it uses, in a stable order.
    digest = hashlib.sha256(references.read_bytes())
    for cluster in clusters:
        for doc in cluster.docs:
            digest.update(doc.id.encode() + b"\0" + doc.text.encode())
    return digest.hexdigest()


_TEXT_BLOCK = re.compile(r"<TEXT>(.*?)</TEXT>", re.DOTALL | re.IGNORECASE)
_DOCNO = re.compile(r"<DOCNO>\s*(.*?)\s*</DOCNO>", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def _read_text(file: Path) -> str:
    data = file.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # older NIST files are Latin-1


def _duc_document(file: Path) -> EvalDoc:
    raw = _read_text(file)
    docno = _DOCNO.search(raw)
    blocks = _TEXT_BLOCK.findall(raw)
    body = "\n".join(blocks) if blocks else raw
    # <P> tags mark paragraphs; keep them as line breaks, drop every other tag.
    body = re.sub(r"</?P>", "\n", body, flags=re.IGNORECASE)
    lines = (" ".join(line.split()) for line in _TAG.sub(" ", body).splitlines())
    return EvalDoc(docno.group(1) if docno else file.name, "\n".join(x for x in lines if x))


def _duc_keys(folder_name: str) -> set[str]:
    key = folder_name.upper().replace("-", "")
    keys = {key}
    if re.fullmatch(r"D\d+[A-Z]", key):
        keys.add(key[:-1])  # NIST names models D0601.* for documents folder D0601A
    return keys


def load_duc(docs_dir: str | Path, models_dir: str | Path) -> EvalSet:
    """Load a DUC/TAC-style layout: ``docs_dir/<cluster>/<doc files>`` + model summaries.

    Document files may be DUC SGML (``<DOC><DOCNO>..</DOCNO><TEXT>..</TEXT></DOC>``) or
    plain text. Model summary file names start with the cluster id followed by a dot
    (``D0601A.M.250.A.A``); the id is matched ignoring case and ``-``, and with or
    without the trailing assessor letter. Nested TAC update sets (``D0801A/D0801A-A``)
    are read as one cluster.
    """
    docs_dir, models_dir = Path(docs_dir), Path(models_dir)
    for folder in (docs_dir, models_dir):
        if not folder.is_dir():
            raise InputError(f"{folder}: no such folder")
    folders = sorted(p for p in docs_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise InputError(f"{docs_dir}: no cluster subfolders (expected one folder per cluster)")
    by_key = {key: f.name for f in folders for key in _duc_keys(f.name)}
    refs: dict[str, list[str]] = {f.name: [] for f in folders}
    for model in sorted(p for p in models_dir.iterdir() if p.is_file()):
        if model.name.startswith("."):
            continue
        prefix = model.name.split(".", 1)[0].upper().replace("-", "")
        if prefix not in by_key:
            raise InputError(
                f"{model}: model summary for cluster {model.name.split('.', 1)[0]!r}, "
                f"which has no documents folder in {docs_dir}"
            )
        text = _read_text(model)
        if not text.strip():
            raise InputError(f"{model}: empty model summary")
        refs[by_key[prefix]].append(text)
    clusters = []
    for folder in folders:
        where = f"{folder} (cluster {folder.name!r})"
        files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
        docs = _check_docs([_duc_document(f) for f in files], where)
        if not refs[folder.name]:
            raise InputError(f"{where}: no model summaries in {models_dir} start with this id")
        clusters.append(EvalCluster(folder.name, docs, tuple(refs[folder.name])))
    name = docs_dir.name
    digest = hashlib.sha256((sha256_of(docs_dir) + sha256_of(models_dir)).encode()).hexdigest()
    return EvalSet(name, str(docs_dir), digest, tuple(clusters))
