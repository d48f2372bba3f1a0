"""Command line: ``summarize brief PATH...``, ``summarize digest ...``, ``summarize bench ...``.

``brief`` lives here; ``digest`` and ``bench`` are registered from their own rooms
(:mod:`summarize.digest.cli`, :mod:`summarize.bench.cli`) and imported only when invoked, so
neither product loads the other.

The CLI only parses arguments, builds library objects and prints. Library errors become one
line on stderr and a non-zero exit code; output files are written atomically, so a failed
run never leaves a partial file behind. ``brief`` says on stderr what was skipped (left out)
or noted (kept, but cut by a limit), and never prints a brief without sentences as a
success: with nothing briefable it fails with an InputError (exit 2).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from summarize.errors import InputError, SummarizeError
from summarize.files import write_atomic

# Commands that live in another room: name -> "module:attribute", imported on first use.
LAZY_COMMANDS = {
    "bench": "summarize.bench.cli:bench",
    "digest": "summarize.digest.cli:digest_command",
}


class _Group(click.Group):
    """Turns library errors into one line and a non-zero exit; loads lazy commands on demand."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS and name not in self.commands:
            import importlib

            module, attribute = LAZY_COMMANDS[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SummarizeError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("error: interrupted", err=True)
            ctx.exit(130)


@click.group(cls=_Group)
@click.version_option(package_name="summarize")
@click.option("-v", "--verbose", is_flag=True, help="Log what is skipped and timings.")
def cli(verbose: bool) -> None:
    """Cited, verified briefs of multi-outlet news stories."""
    logging.basicConfig(level=logging.INFO if verbose else logging.ERROR, format="%(levelname)s %(message)s")


@cli.command("brief")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@click.option("--words", type=int, default=None, help="Target length of each brief in words [120].")
@click.option("--model", default=None, help="extractive | default | fast | a model id or folder.")
@click.option("--config", type=click.Path(exists=True, dir_okay=False), help="TOML file with a [summarize] table.")
@click.option("--one-story", is_flag=True, help="Treat all input as one story (no clustering).")
@click.option("--pair-model", is_flag=True, default=None,
              help="Tell same-beat events apart with the learned pair model (undated one-beat streams; splits long-running topics).")
@click.option("--sample", is_flag=True, default=None, help="Sample instead of greedy decoding (generative models).")
@click.option("--temperature", type=float, default=None, help="Sampling temperature [0.7].")
@click.option("--seed", type=int, default=None, help="Sampling seed [0]: same seed, same brief.")
def brief_command(paths, fmt, out, words, model, config, one_story, pair_model, sample, temperature, seed) -> None:
    """Brief every story found in PATHS (files, folders, .jsonl, or - for stdin)."""
    from summarize import pipeline
    from summarize.briefing import render
    from summarize.options import Options

    options = Options.build(config, words=words, model=model, pair_model=pair_model, sample=sample,
                            temperature=temperature, seed=seed)
    if one_story:
        results = [pipeline.brief(list(paths), **options.to_dict())]
    else:
        results = pipeline.briefs(list(paths), **options.to_dict())
    # What was set aside (bad files, duplicates, other languages) or kept but cut by a limit
    # ("kept") is said, one line each.
    skipped = {(item["id"], item["reason"], bool(item.get("kept")))
               for b in results for item in b.metadata.get("skipped", [])}
    for article_id, reason, kept in sorted(skipped):
        click.echo(f"{'noted' if kept else 'skipped'} {article_id}: {reason}", err=True)
    empty = [b for b in results if not b.sentences]
    results = [b for b in results if b.sentences]
    if not results:
        stories = ", ".join(b.story_id for b in empty) or "none"
        raise InputError(f"nothing to brief: no sentence could be selected (stories: {stories})")
    for b in empty:
        click.echo(f"skipped story {b.story_id}: no sentence could be selected for its brief", err=True)
    text = render.to_json(results) + "\n" if fmt == "json" else render.briefs_to_markdown(results)
    if out:
        write_atomic(out, text)
        click.echo(f"wrote {len(results)} brief(s) to {out}", err=True)
    else:
        click.echo(text, nl=False)


def main() -> None:
    cli(prog_name="summarize")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
