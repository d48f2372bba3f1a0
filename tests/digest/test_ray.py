"""The nightly digest on a real Ray cluster (``--engine ray``): the same digest as the local
engine, a worker killed mid-task retried with nothing lost or doubled, a killed driver resumed.

The cluster is two ``ray start`` nodes on this machine (a head and a worker node, one CPU
each), loopback only, no dashboard, no usage stats; it is stopped, every process of it, when
the module's tests are done. Ray needs ``pip install -e '.[ray]'`` (``make test`` does);
``-m "not ray"`` leaves these tests out.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import LATER_TRIP, ROOT, TRIP, HashingEmbedder
from digest_nights import BRIDGE, FLOODS_1, FLOODS_2, MONDAY, TUESDAY, _jsonl

from summarize.cli import cli
from summarize.digest import job as digest

pytestmark = pytest.mark.ray
BIN = Path(sys.executable).parent
# Loopback addresses for the two nodes. Not 127.0.0.1: Ray swaps that one for the machine's
# outward address (a node must be reachable from others); other 127.x addresses it keeps.
HEAD, WORKER = "127.0.0.2", "127.0.0.3"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cluster_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "RAY_USAGE_STATS_ENABLED": "0",
        # The workers import this checkout, and the test embedders of tests/ and tests/digest/.
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "digest")]),
    })
    return env


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``HOST:PORT`` of a running two-node cluster; this process is connected to it as the driver."""
    try:
        import ray
    except ImportError:
        pytest.fail("the Ray tests need Ray: pip install -e '.[ray]' (or leave them out: -m 'not ray')")
    env = _cluster_env()
    temp = tmp_path_factory.mktemp("ray")
    port = _free_port()
    address = f"{HEAD}:{port}"
    common = ["--num-cpus", "1", "--disable-usage-stats", "--temp-dir", str(temp), "--block"]
    quiet = dict(env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    nodes = [subprocess.Popen([BIN / "ray", "start", "--head", "--node-ip-address", HEAD, "--port", str(port),
                               "--include-dashboard=false", *common], **quiet)]
    try:
        ray.init(address=address, log_to_driver=False, configure_logging=False, namespace="summarize-tests")
        nodes.append(subprocess.Popen([BIN / "ray", "start", "--address", address, "--node-ip-address", WORKER,
                                       *common], **quiet))
        deadline = time.monotonic() + 120
        while len([n for n in ray.nodes() if n["Alive"]]) < 2:
            assert time.monotonic() < deadline, "the worker node did not join the cluster"
            time.sleep(0.5)
        assert {n["NodeManagerAddress"] for n in ray.nodes() if n["Alive"]} == {HEAD, WORKER}
        yield address
    finally:
        ray.shutdown()
        for node in nodes:  # each node is its own process group: ray start, the raylet, GCS, workers
            os.killpg(node.pid, signal.SIGTERM)
        for node in nodes:
            try:
                node.wait(timeout=5)  # a node drains for up to 30 s; there is nothing left to drain
            except subprocess.TimeoutExpired:
                os.killpg(node.pid, signal.SIGKILL)
                node.wait()
        time.sleep(1)
        groups = {str(node.pid) for node in nodes}
        table = subprocess.run(["ps", "-eo", "pid=,pgid=,stat=,args="], capture_output=True, text=True).stdout
        left = [line for line in table.splitlines()
                if line.split()[1] in groups and not line.split()[2].startswith("Z")]
        left += [line for line in table.splitlines() if str(temp) in line and " Z" not in line]
        assert not left, f"Ray processes left running: {left}"


def _engine(**kw):
    from summarize.digest.engine_ray import RayEngine

    return RayEngine(address="unused: this process is already connected", **{"embedder_factory": HashingEmbedder, **kw})


CLOCKS = {"timings_s", "seconds"}  # wall-clock readings in a brief's metadata: they differ between any two runs


def _steady(data):
    """``data`` without its wall-clock readings."""
    if isinstance(data, dict):
        return {k: _steady(v) for k, v in data.items() if k not in CLOCKS}
    if isinstance(data, list):
        return [_steady(v) for v in data]
    return data


def _nights(base: Path, engine_for) -> list[dict]:
    """Two nights (a continuing flood story, a new bridge collapse) into ``base``; their digest.json.
    The inputs are the same files for every ``base`` (an article's origin is its path)."""
    (base.parent / "in").mkdir(exist_ok=True)
    store = base / "state.sqlite"
    out = []
    for day, rows in ((MONDAY, FLOODS_1), (TUESDAY, FLOODS_2 + BRIDGE)):
        night = _jsonl(base.parent / "in" / f"{day}.jsonl", rows)
        digest.run([night], date=day, out_dir=base / "digests" / day, store=store, embedder=HashingEmbedder(),
                   engine=engine_for())
        out.append(_steady(json.loads((base / "digests" / day / "digest.json").read_text())))
    return out


def _rows(store: Path, table: str) -> list[tuple]:
    with sqlite3.connect(store) as db:
        rows = db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
    if table in ("briefs", "updates"):  # (key, story_id, day, JSON)
        return [(*row[:3], _steady(json.loads(row[3]))) for row in rows]
    return rows


def test_the_ray_digest_equals_the_local_one_night_after_night(cluster, tmp_path):
    local = _nights(tmp_path / "local", lambda: None)
    used = []

    def engine():
        used.append(_engine())
        return used[-1]

    distributed = _nights(tmp_path / "ray", engine)
    assert distributed == local
    assert [s["story_id"] for s in distributed[1]["stories"]] == [s["story_id"] for s in local[1]["stories"]]
    assert any(s["previous"] for s in local[1]["stories"])  # the second night continues a story
    for name in ("digest.md", "digest.feed.json"):
        for day in (MONDAY, TUESDAY):
            assert ((tmp_path / "ray" / "digests" / day / name).read_text()
                    == (tmp_path / "local" / "digests" / day / name).read_text())
    for table in ("articles", "briefs", "updates", "embeddings"):
        assert _rows(tmp_path / "ray" / "state.sqlite", table) == _rows(tmp_path / "local" / "state.sqlite", table)
    assert len(used) == 2
    # The work ran in the workers: cleaning, embedding and briefs each went through the pool.
    assert {m for e in used for m, n in e.calls.items() if n} == {"clean", "encode", "briefs"}


class MarkedEmbedder(HashingEmbedder):
    """The fake embedder, slowed down, that drops a file named after its process while it
    encodes, so a test can kill a worker in the middle of a task."""

    def __init__(self, marks: str) -> None:
        super().__init__()
        self.marks = Path(marks)

    def encode(self, texts):
        mark = self.marks / f"{os.getpid()}.{time.monotonic_ns()}"
        mark.touch()
        time.sleep(0.3)
        vectors = super().encode(texts)
        mark.unlink()
        return vectors


def _seed_night(base: Path) -> Path:
    folder = base / "in"
    folder.mkdir(parents=True)
    for seed in TRIP + LATER_TRIP:
        (folder / Path(seed).name).write_text(Path(seed).read_text())
    return folder


def test_a_worker_killed_mid_task_is_retried_and_nothing_is_lost_or_doubled(cluster, tmp_path):
    import ray

    folder = _seed_night(tmp_path)
    expected = digest.run([folder], date="2023-11-06", out_dir=tmp_path / "local", store=tmp_path / "local.sqlite",
                          embedder=HashingEmbedder())
    marks = tmp_path / "marks"
    marks.mkdir()
    engine = _engine(embedder_factory=functools.partial(MarkedEmbedder, str(marks)), brief_batch=1)
    armed, done, killed, stage = threading.Event(), threading.Event(), [], []

    def killer():  # once armed, SIGKILL the first worker found encoding
        while len(killed) < 2 and not done.is_set():
            if not armed.wait(timeout=0.05):
                continue
            for mark in marks.iterdir():
                pid = int(mark.name.split(".")[0])
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue
                killed.append((pid, stage[-1]))
                armed.clear()
                break
            time.sleep(0.02)

    def checkpoint(name):  # arm the killer for the embedding (after "articles") and the briefs ("stories")
        stage.append(name)
        if name in ("articles", "stories"):
            armed.set()

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    with engine:
        before = {ray.get(w.pid.remote()) for w in engine.workers}
        result = digest.run([folder], date="2023-11-06", out_dir=tmp_path / "ray", store=tmp_path / "ray.sqlite",
                            embedder=HashingEmbedder(), engine=engine, checkpoint=checkpoint)
        after = {ray.get(w.pid.remote()) for w in engine.workers}
    done.set()
    assert [s for _, s in killed] == ["articles", "stories"]  # one worker killed while embedding, one in a brief
    # Each killed process was replaced by Ray (the second kill may hit the first one's replacement).
    assert killed[0][0] in before and not {pid for pid, _ in killed} & after and len(after) == len(before) == 2
    assert _steady(json.loads((tmp_path / "ray" / "digest.json").read_text())) == _steady(json.loads(
        (tmp_path / "local" / "digest.json").read_text()))
    assert [s.story_id for s in result.stories] == [s.story_id for s in expected.stories]
    articles, briefs = _rows(tmp_path / "ray.sqlite", "articles"), _rows(tmp_path / "ray.sqlite", "briefs")
    assert len(articles) == len({a[0] for a in articles}) == len(TRIP + LATER_TRIP)
    assert sorted(b[1] for b in briefs) == sorted(s.story_id for s in expected.stories)  # one brief per story
    assert result.counts["briefs_written"] == len(result.stories)


_DRIVER = textwrap.dedent("""
    import sys
    sys.path[:0] = [{tests!r}, {digest_tests!r}]
    from conftest import HashingEmbedder, kill_at
    from summarize.digest.engine_ray import RayEngine
    from summarize.digest.job import run
    run([{folder!r}], date="2023-11-06", out_dir={out!r}, store={store!r}, embedder=HashingEmbedder(),
        engine=RayEngine(address={address!r}, embedder_factory=HashingEmbedder, brief_batch=1),
        checkpoint=kill_at("brief"))
""")


def test_a_driver_killed_mid_run_resumes_to_the_uninterrupted_digest(cluster, tmp_path):
    folder = _seed_night(tmp_path)
    digest.run([folder], date="2023-11-06", out_dir=tmp_path / "local", store=tmp_path / "local.sqlite",
               embedder=HashingEmbedder())
    store, out = tmp_path / "ray.sqlite", tmp_path / "ray"
    code = _DRIVER.format(tests=str(ROOT / "tests"), digest_tests=str(ROOT / "tests" / "digest"), folder=str(folder),
                          out=str(out), store=str(store), address=cluster)
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240,
                           env=_cluster_env(), check=False)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert len(_rows(store, "briefs")) == 1 and not (out / "digest.json").exists()

    result = digest.run([folder], date="2023-11-06", out_dir=out, store=store, embedder=HashingEmbedder(),
                        engine=_engine())
    resumed, whole = (_steady(json.loads((o / "digest.json").read_text())) for o in (out, tmp_path / "local"))
    for story in resumed["stories"] + whole["stories"]:
        story.pop("cached")  # the resumed run found one brief made before the kill
    assert resumed["stories"] == whole["stories"] and resumed["skipped"] == whole["skipped"]
    assert len(_rows(store, "briefs")) == len(result.stories)
    assert result.counts["briefs_cached"] == 1  # the brief the killed driver stored is not written again


def test_the_command_runs_on_the_cluster(cluster, tmp_path, monkeypatch):
    monkeypatch.setattr(digest, "default_embedder", HashingEmbedder)
    from summarize.digest import engine_ray

    monkeypatch.setattr(engine_ray, "default_embedder", HashingEmbedder)
    args = ["digest", "--input", str(_seed_night(tmp_path)), "--date", "2023-11-06", "--quiet"]
    ran = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "ray"), "--store", str(tmp_path / "r.sqlite"),
                                   "--engine", "ray", "--ray-address", cluster, "--ray-workers", "2"])
    assert ran.exit_code == 0, ran.output
    local = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "local"), "--store", str(tmp_path / "l.sqlite")])
    assert local.exit_code == 0, local.output
    assert (tmp_path / "ray" / "digest.md").read_text() == (tmp_path / "local" / "digest.md").read_text()


@pytest.mark.slow
def test_the_real_embedder_through_ray_gives_the_local_digest(cluster, tmp_path):
    """MiniLM in each worker (the default embedder, loaded once per worker)."""
    from summarize.digest.engine_ray import RayEngine
    from summarize.nlp.embed import default_embedder

    folder = _seed_night(tmp_path)
    local = digest.run([folder], date="2023-11-06", out_dir=tmp_path / "local", store=tmp_path / "l.sqlite")
    engine = RayEngine(address=cluster)
    result = digest.run([folder], date="2023-11-06", out_dir=tmp_path / "ray", store=tmp_path / "r.sqlite",
                        engine=engine)
    assert default_embedder().name.startswith("sentence-transformers/all-MiniLM-L6-v2")  # "#onnx-int8-v2" on VNNI CPUs
    assert engine.calls["encode"] and engine.calls["briefs"]
    assert [(s.story_id, s.article_ids) for s in result.stories] == [(s.story_id, s.article_ids) for s in local.stories]
    assert [_steady(s.brief.to_dict()) for s in result.stories] == [_steady(s.brief.to_dict()) for s in local.stories]


def test_the_local_engine_refuses_ray_options_and_import_summarize_never_imports_ray(tmp_path):
    ran = CliRunner().invoke(cli, ["digest", "--input", TRIP[0], "--date", "2023-11-06", "--out", str(tmp_path),
                                   "--store", str(tmp_path / "s.sqlite"), "--ray-address", "auto", "--quiet"])
    assert ran.exit_code == 2 and "--engine ray" in ran.output
    code = ("import sys, summarize, summarize.digest.job, summarize.digest.cli, summarize.cli\n"
            "assert 'ray' not in sys.modules, 'ray was imported'")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).returncode == 0
