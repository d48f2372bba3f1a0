"""Writers by name, from the one registry (:mod:`summarize.registry`).

``"extractive"`` copies source sentences; ``"default"``, ``"fast"`` and ``"tiny"`` are the
packaged generative models; a plugin may register more. Any other name is taken as a
Hugging Face model id or a local folder for the claim-level writer (:mod:`summarize.write.fusion`).
"""

from __future__ import annotations

from summarize.registry import WRITERS, current
from summarize.write.base import Writer


def get_writer(model: str) -> Writer:
    """The writer registered as ``model``, else a claim-level writer over that model id or folder."""
    factory = current().get(WRITERS, model)
    if factory is not None:
        return factory()
    from summarize.write.fusion import FusionWriter

    return FusionWriter(model)


def writer_names() -> list[str]:
    """The registered writer names, built-ins first."""
    return current().names(WRITERS)
