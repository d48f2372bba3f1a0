"""Prompt templates: Jinja2 files in ``prompts/``, rendered with the selected evidence.

Each task has a system and a user template (``brief``, ``fusion``, ``update``, ``claim``). The folder is
``$SUMMARIZE_PROMPTS_DIR`` when set, else the ``prompts/`` folder of the source checkout,
else the copy installed inside the package (``summarize._prompts``). A rendered prompt
carries the template name and the sha256 of both template texts, which go into the brief's
metadata.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from summarize.errors import ResourceMissingError

TASKS = ("brief", "fusion", "update", "claim")


@dataclass(frozen=True)
class Prompt:
    """A rendered prompt: chat messages plus where they came from."""

    task: str
    messages: tuple[dict[str, str], ...]
    sha256: str
    folder: str

    def as_messages(self) -> list[dict[str, str]]:
        return [dict(m) for m in self.messages]

    def describe(self) -> dict[str, str]:
        return {"template": self.task, "sha256": self.sha256}


def prompts_dir() -> Path:
    """The folder the templates are read from (see the module docstring)."""
    explicit = os.environ.get("SUMMARIZE_PROMPTS_DIR")
    if explicit:
        return Path(explicit)
    checkout = Path(__file__).resolve().parents[2] / "prompts"
    if (checkout / "brief.system.j2").is_file():
        return checkout
    try:
        from importlib import resources

        return Path(str(resources.files("summarize._prompts")))
    except (ModuleNotFoundError, TypeError):
        return checkout


@lru_cache(maxsize=None)
def _environment(folder: str):
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,  # prompts are plain text for a model, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(task: str, **variables: Any) -> Prompt:
    """Render the system and user templates of ``task`` with ``variables``."""
    if task not in TASKS:
        raise ValueError(f"unknown prompt task {task!r}; known: {', '.join(TASKS)}")
    folder = prompts_dir()
    names = (f"{task}.system.j2", f"{task}.user.j2")
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise ResourceMissingError(
            f"prompt template(s) {', '.join(missing)} not found in {folder}; "
            "reinstall summarize or set SUMMARIZE_PROMPTS_DIR to a folder that has them"
        )
    digest = hashlib.sha256()
    for name in names:
        digest.update((folder / name).read_bytes())
    env = _environment(str(folder))
    system = env.get_template(names[0]).render(**variables).strip()
    user = env.get_template(names[1]).render(**variables).strip()
    return Prompt(
        task=task,
        messages=({"role": "system", "content": system}, {"role": "user", "content": user}),
        sha256=digest.hexdigest(),
        folder=str(folder),
    )
