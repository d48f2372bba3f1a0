"""``summarize digest``: the nightly job's command line (parse, run, print one summary line)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from summarize.digest.engine import ENGINES, Engine, LocalEngine
from summarize.digest.job import run
from summarize.errors import InputError
from summarize.options import Options


def _default_store() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "summarize" / "digest.sqlite"


def _engine(name: str, address: str | None, workers: int | None) -> Engine:
    """The engine ``--engine`` names; Ray is imported only for ``ray`` (``pip install 'summarize[ray]'``)."""
    if name == "ray":
        from summarize.digest.engine_ray import RayEngine

        return RayEngine(address=address or "auto", workers=workers)
    if address is not None or workers is not None:
        raise InputError("--ray-address and --ray-workers need --engine ray")
    return LocalEngine()


@click.command("digest")
@click.option("--input", "inputs", multiple=True, required=True,
              help="File, folder, .jsonl, RSS/Atom feed file or feed URL (repeatable).")
@click.option("--date", "day", required=True, help="Digest day, YYYY-MM-DD.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for digest.md, digest.json, digest.html and digest.log.")
@click.option("--store", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite state file [$XDG_STATE_HOME/summarize/digest.sqlite].")
@click.option("--model", default=None, help="extractive | default | fast | a model id or folder.")
@click.option("--words", type=int, default=None, help="Target length of each brief in words [120].")
@click.option("--config", type=click.Path(exists=True, dir_okay=False),
              help="TOML file with a [summarize] table (and [summarize.limits]).")
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True,
              help="Where cleaning, embedding and briefs run: this process, or a Ray cluster "
                   "(pip install 'summarize[ray]'; docs/scale.md).")
@click.option("--ray-address", default=None,
              help="With --engine ray: 'auto' (the cluster of 'ray start' or $RAY_ADDRESS) or HOST:PORT [auto].")
@click.option("--ray-workers", type=int, default=None,
              help="With --engine ray: worker actors in the pool [the cluster's CPUs].")
@click.option("--quiet", is_flag=True, help="No progress bar or summary (for cron).")
def digest_command(inputs, day, out_dir, store, model, words, config, engine, ray_address, ray_workers,
                   quiet) -> None:
    """Brief the day's stories into OUT/digest.{md,json,html}.

    Exit codes: 0 done, 2 bad input (or a store file of another kind or schema version),
    3 missing model or resource, 4 the model failed, 5 an output cannot be written,
    6 the store cannot be used: its file or folder is read-only or not permitted, disk full,
    or the store is damaged (a person must act), 75 temporary: another run holds the store,
    or SQLite or the system is busy (the only code worth retrying later).
    See docs/digest-schema.md.
    """
    options = Options.build(config, model=model, words=words)
    store = store or _default_store()
    work = _engine(engine, ray_address, ray_workers)
    if quiet:
        result = run(list(inputs), date=day, out_dir=out_dir, store=store, options=options, engine=work)
    else:
        from rich.console import Console
        from rich.progress import Progress as Bar

        with Bar(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("digest", total=None)

            def tell(stage: str, done: int, total: int) -> None:
                bar.update(task, description=stage, completed=done, total=total or None)

            result = run(list(inputs), date=day, out_dir=out_dir, store=store, options=options, progress=tell,
                         engine=work)
    if not quiet:
        c = result.counts
        click.echo(f"{result.date}: {c['stories']} stories ({c['briefs_written']} written, "
                   f"{c['briefs_cached']} cached) from {c['new']} new articles; {c['skipped']} skipped, "
                   f"{c['noted']} noted in {out_dir}/digest.log"
                   + (f"; {c['deferred']} over limits.max_articles_per_night, left for a later run"
                      if c.get("deferred") else ""), err=True)
