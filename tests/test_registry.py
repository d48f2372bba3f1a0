"""One registry for writers, packaged models and baselines; plugins register like built-ins."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import TRIP, HashingEmbedder

import summarize
from summarize import registry as registry_module
from summarize.registry import BASELINES, MODELS, WRITERS, Registry
from summarize.write.abstractive import AbstractiveWriter
from summarize.write.extractive import ExtractiveWriter
from summarize.write.writers import get_writer

PLUGIN = '''
from summarize.write.base import Draft


class FirstClaimWriter:
    """Writes only the first selected claim (a plugin writer, outside the package)."""

    name = "first-claim"
    generative = False

    def write(self, evidence, selected, options):
        first = selected[:1]
        return Draft(sentences=tuple(s.text for s in first), origins=tuple(first),
                     metadata={"writer": self.name})

    def generate_text(self, prompt, words, log, options):
        raise NotImplementedError


def register(registry):
    registry.register("writers", "first-claim", FirstClaimWriter)
'''


def _install_plugin(folder: Path) -> Path:
    """A plugin as ``pip install`` leaves it: a module plus a dist-info with the entry point."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "first_claim_plugin.py").write_text(textwrap.dedent(PLUGIN))
    info = folder / "first_claim_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: first-claim-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[summarize.plugins]\nfirst-claim = first_claim_plugin\n")
    return folder


def test_built_ins_register_like_plugins():
    fresh = Registry(entry_points=False)
    assert fresh.names(WRITERS) == ["extractive", "default", "fast", "tiny"]
    assert fresh.names(MODELS) == ["default", "fast", "tiny"]
    assert {"lead3", "lexrank", "textrank", "lsa", "luhn"} <= set(fresh.names(BASELINES))
    assert fresh.get(WRITERS, "nope") is None


def test_names_are_unique_unless_replaced():
    fresh = Registry(builtins={}, entry_points=False)
    fresh.register(WRITERS, "mine", ExtractiveWriter)
    with pytest.raises(ValueError, match="already registered"):
        fresh.register(WRITERS, "mine", AbstractiveWriter)
    fresh.register(WRITERS, "mine", AbstractiveWriter, replace=True)
    assert fresh.get(WRITERS, "mine") is AbstractiveWriter
    with pytest.raises(ValueError, match="unknown kind"):
        fresh.register("renderers", "x", object)


def test_generative_is_decided_by_the_writer_alone():
    assert get_writer("extractive").generative is False
    assert get_writer("default").generative is True
    assert isinstance(get_writer("some-org/some-model"), AbstractiveWriter)  # any id or folder


def test_a_broken_plugin_is_reported_and_the_rest_still_works(tmp_path, monkeypatch):
    folder = _install_plugin(tmp_path / "site")
    (folder / "first_claim_plugin.py").write_text("raise RuntimeError('broken on import')\n")
    monkeypatch.syspath_prepend(str(folder))
    fresh = Registry()
    assert "extractive" in fresh.names(WRITERS)
    assert any("broken on import" in error for _, error in fresh.failures)


def test_an_installed_plugin_writer_briefs_through_the_public_api(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(_install_plugin(tmp_path / "site")))
    monkeypatch.setattr(registry_module, "registry", Registry())
    b = summarize.brief(TRIP, model="first-claim", embedder=HashingEmbedder())
    assert b.metadata["writer"] == {"writer": "first-claim"}
    assert len(b.sentences) == 1 and b.sentences[0].status == "extracted" and b.sentences[0].citations
    assert "first-claim" in get_writer.__globals__["current"]().names(WRITERS)


@pytest.mark.slow
def test_an_installed_plugin_writer_is_chosen_on_the_command_line(tmp_path):
    site = _install_plugin(tmp_path / "site")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-m", "summarize.cli", "brief", *TRIP, "--one-story",
                           "--model", "first-claim", "--format", "json"],
                          capture_output=True, text=True, env=env, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    assert '"writer": "first-claim"' in proc.stdout
