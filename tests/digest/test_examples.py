"""The crontab line and the systemd service in examples/ run as written.

Only their paths move: ``/srv/news`` to a temporary folder and the installed ``summarize``
to this environment's. Cron and systemd unescape ``%`` first, as they would.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
INSTALLED = "/opt/summarize/.venv/bin/summarize"
SITE = "/srv/news"


def crontab_command() -> str:
    jobs = [line for line in (EXAMPLES / "crontab").read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#") and not re.match(r"^\w+=", line)]
    (job,) = jobs
    command = job.split(None, 5)[5]
    assert "%" not in command.replace("\\%", ""), "an unescaped % ends a cron command"
    return command.replace("\\%", "%")


def service_command() -> str:
    text = (EXAMPLES / "summarize-digest.service").read_text(encoding="utf-8")
    (command,) = re.findall(r"^ExecStart=(.*)$", text, flags=re.MULTILINE)
    return command.replace("%%", "%")  # systemd's escape for a literal %


def on_this_machine(command: str, site: Path) -> str:
    assert INSTALLED in command and SITE in command
    command = command.replace(INSTALLED, str(Path(sys.executable).with_name("summarize")))
    command = command.replace(SITE, str(site))
    assert "/srv/" not in command and "/opt/" not in command
    return command


def run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["/bin/sh", "-c", command], cwd=cwd, capture_output=True, text=True,
                          timeout=600, check=False)


FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Harbour Gazette</title>
<item><title>Harbour bridge reopens</title><link>https://gazette.example/bridge</link>
<guid>bridge-1</guid><pubDate>{day} 09:00:00 GMT</pubDate>
<description>The harbour bridge reopened to traffic on Tuesday after three months of repairs.
Engineers replaced 40 steel cables. The city said the repairs cost 12 million euros.</description>
</item></channel></rss>"""


@pytest.mark.slow
def test_the_crontab_line_and_the_systemd_service_run_the_digest_as_documented(tmp_path):
    """Real default path (MiniLM, Punkt); the service then finds every brief in the cache."""
    yesterday = dt.date.today() - dt.timedelta(days=1)
    day = yesterday.isoformat()
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "gazette.xml").write_text(
        FEED.format(day=yesterday.strftime("%a, %d %b %Y")), encoding="utf-8")
    articles = tmp_path / "articles" / day
    articles.mkdir(parents=True)
    trip = sorted((ROOT / "seeds").glob("*.txt"))[:4]  # the four outlets on one trip
    for seed in trip:
        shutil.copy(seed, articles)
    sidecar = (ROOT / "seeds" / "metadata.jsonl").read_text(encoding="utf-8").splitlines()
    (articles / "metadata.jsonl").write_text(
        "".join(line + "\n" for line in sidecar if json.loads(line)["file"] in {p.name for p in trip}),
        encoding="utf-8")
    # No state/ or digests/ folder yet: a first night on a new machine.

    cron = run(on_this_machine(crontab_command(), tmp_path), tmp_path)
    assert cron.returncode == 0, cron.stderr
    assert cron.stdout == "" and cron.stderr == ""  # --quiet: cron mails any output
    out = tmp_path / "digests" / day
    first = json.loads((out / "digest.json").read_text(encoding="utf-8"))
    assert first["date"] == day and (out / "digest.md").exists() and (out / "digest.html").exists()
    titles = " ".join(story["title"] for story in first["stories"])
    assert len(first["stories"]) == 2 and "bridge" in titles.lower()
    assert first["counts"]["briefs_written"] == 2 and (tmp_path / "state" / "digest.sqlite").exists()

    service = run(on_this_machine(service_command(), tmp_path), tmp_path)
    assert service.returncode == 0, service.stderr
    again = json.loads((out / "digest.json").read_text(encoding="utf-8"))
    assert again["counts"]["briefs_written"] == 0 and again["counts"]["briefs_cached"] == 2
    assert [s["story_id"] for s in again["stories"]] == [s["story_id"] for s in first["stories"]]
