"""summarize: cited, verified briefs of multi-outlet news stories.

>>> from summarize import brief
>>> b = brief(["seeds/000_d6128c9dd60b449d.txt", "seeds/001_ed83338f0cb7f41e.txt"])
>>> print(b.text)

Importing this package loads no model: models load on first use, once per process.
"""

from summarize.errors import (
    InputError,
    ModelError,
    OutputError,
    ResourceMissingError,
    StoreBusyError,
    StoreError,
    SummarizeError,
)
from summarize.records import (
    Article,
    Brief,
    BriefSentence,
    Disagreement,
    Fact,
    Sentence,
    Source,
    Story,
    Support,
)

__version__ = "0.1.0"

__all__ = [
    "Article",
    "Brief",
    "BriefSentence",
    "Disagreement",
    "Fact",
    "InputError",
    "ModelError",
    "OutputError",
    "ResourceMissingError",
    "Sentence",
    "Source",
    "StoreBusyError",
    "StoreError",
    "Story",
    "SummarizeError",
    "Support",
    "__version__",
    "brief",
    "briefs",
    "load",
    "stories",
]


def __getattr__(name: str):
    # The pipeline functions live in summarize.pipeline; importing it lazily keeps
    # `import summarize` cheap (no torch, no transformers).
    if name in {"brief", "briefs", "stories", "load"}:
        from summarize import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'summarize' has no attribute {name!r}")
