"""Shared fixtures: paths, a fast fake embedder for plumbing tests, article builders."""

from __future__ import annotations

import hashlib
import os
import re
import signal
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from summarize.records import Article

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED_DATA = Path(__import__("os").environ.get("SUMMARIZE_DATA", ROOT.parent / "shared" / "data"))
TRIP = sorted(str(p) for p in SEEDS.glob("00[0-3]_*.txt"))
LATER_TRIP = sorted(str(p) for p in SEEDS.glob("004_*.txt"))
# Page furniture in the seeds that cleaning must remove: markers anywhere, and whole lines.
FURNITURE = [
    "{{", "}}", "ADVERTISEMENT", "Related posts", "Leave a Reply", "About Author",
    "Your email address will not be published", "Photo:", "Create an account on CNN.com",
    "remind you to contribute", "– video", "Bis repetita",
]
FURNITURE_LINES = ["0 91", "Israel-Hamas war", "Source", '" "', "ICARO Media Group"]


class HashingEmbedder:
    """Bag-of-words hashed into 256 dimensions, L2-normalised: fast, deterministic, no model.

    Good enough for plumbing tests (same words -> similar vectors); real behaviour is
    tested with MiniLM in tests marked ``slow``.
    """

    name = "test-hashing"

    def __init__(self, dims: int = 256) -> None:
        self.dims = dims
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                if len(word) < 3:
                    continue
                h = int(hashlib.md5(word.encode()).hexdigest(), 16)
                out[i, h % self.dims] += 1.0
            norm = np.linalg.norm(out[i])
            if norm:
                out[i] /= norm
        return out


@pytest.fixture
def fake_embedder() -> HashingEmbedder:
    return HashingEmbedder()


def make_article(id: str, text: str, outlet: str = "", **kw) -> Article:
    return Article(id=id, text=text, outlet=outlet, **kw)


@dataclass
class FakeGeneration:
    text: str
    prompt_tokens: int = 100
    new_tokens: int = 50
    seconds: float = 0.1


class FakeModel:
    """Answers every prompt from a queue (llm's MockModel idea); records the prompts."""

    spec = "fake"

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.prompts = []

    def generate(self, prompt, max_new_tokens=256, options=None):
        self.prompts.append(prompt)
        return FakeGeneration(self.answers.pop(0) if len(self.answers) > 1 else self.answers[0])

    def count_tokens(self, text):
        return len(text.split())


def kill_at(stage: str | None):
    """A digest ``checkpoint`` that SIGKILLs its own process right after ``stage`` commits
    (``None``: never), for crash-and-resume tests run in a child process."""

    def checkpoint(committed: str) -> None:
        if committed == stage:
            os.kill(os.getpid(), signal.SIGKILL)

    return checkpoint


# Three outlets' reports of one weekly release, with slots for the week's figures: two
# weeks make two events of one storyline (a thread).
JOBLESS_CLAIMS = [
    "New applications for US unemployment benefits fell to {n} last week, the Labor "
    "Department said on Thursday, the lowest since the pandemic began. Economists had "
    "expected {e} claims. Continuing claims dropped to {c} million.",
    "Initial jobless claims dropped to {n} in the week ended {w}, the Labor Department "
    "reported Thursday, beating forecasts of {e}. The number of people still receiving "
    "benefits fell to {c} million.",
    "Weekly jobless claims declined to a pandemic low of {n}, the Labor Department said "
    "Thursday. Forecasters had predicted {e}; continuing claims slid to {c} million as hiring "
    "picked up.",
]

# Two nights of the Senate infrastructure talks: Thursday's Republican counteroffer (two
# reports), a late report of it on Friday (the same event), and two reports of the White
# House's answer on Friday (a new event of the same storyline, so of the same thread).
INFRASTRUCTURE_TALKS = {
    "offer": [
        "Senate Republicans on Thursday unveiled a $568 billion infrastructure plan, a "
        "counteroffer to the White House. Senator Shelley Capito said the plan covers roads, "
        "bridges and broadband. Democrats said the Republican offer in the Senate was far too "
        "small.",
        "The $568 billion Republican infrastructure proposal, presented in the Senate by "
        "Shelley Capito, would pay for roads, bridges, airports and broadband. The White House "
        "called the Senate Republicans' plan a starting point, while Democrats said it was too "
        "small.",
    ],
    "late": [
        "A day after unveiling it, Senate Republicans defended their $568 billion infrastructure "
        "counteroffer on Friday. Senator Shelley Capito said the plan for roads, bridges and "
        "broadband was a serious offer to the White House, while Democrats in the Senate still "
        "called it far too small.",
    ],
    "answer": [
        "President Biden cut his infrastructure proposal to $1.7 trillion on Friday, trimming "
        "$550 billion from his opening bid in a new offer to Republicans. Press secretary Jen "
        "Psaki said the revised plan moves broadband and research money into other bills, and "
        "that the Republican offer of Thursday had been far too small.",
        "The White House lowered its infrastructure bid by $550 billion to $1.7 trillion on "
        "Friday. Jen Psaki said President Biden shifted research and broadband spending into "
        "other legislation to meet Republicans halfway, after rejecting their offer as too small.",
    ],
}


# Three outlets' reports of one bridge collapse (12 dead), for the evidence and attribution tests.
BRIDGE = (
    "The old river bridge in Springfield collapsed on Tuesday morning, killing 12 people. "
    "Rescue teams searched the water through the night. "
    "The mayor ordered an inspection of every bridge in the city.",
    "Twelve people were killed when the Springfield river bridge collapsed on Tuesday morning. "
    "Rescue teams searched the water through the night with divers. "
    "Engineers had warned about cracks in the bridge in 2019, documents show.",
    "Officials said the river bridge in Springfield collapsed on Tuesday morning and killed 12 people. "
    "The state governor declared an emergency for the county.",
)
