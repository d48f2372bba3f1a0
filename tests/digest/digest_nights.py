"""Digest nights for the page, feed and browser tests (fake embedder, no model).

:func:`two_nights`: night one (2026-10-05): floods around Valencia (two outlets). Night two
(2026-10-06): the floods continue (a higher death toll, a state of emergency, a newly
reporting outlet, and a wire copy of one report carried by another outlet) and a bridge
collapse is new: four outlets, three of them confirming the same facts, two reporting the
injured differently.

:func:`fifty_story_night`: 50 Multi-News clusters from the shared data, as one night.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from conftest import SHARED_DATA, HashingEmbedder

from summarize.digest import job as digest
from summarize.digest.records import Digest

MONDAY = "2026-10-05"
TUESDAY = "2026-10-06"


def _a(id, outlet, text, day, title=""):
    return {"id": id, "outlet": outlet, "title": title, "url": f"https://{outlet.split()[0].lower()}.example/{id}",
            "published": day, "text": text}


FLOODS_1 = [
    _a("m1", "Daily A", "Floods killed 12 people in the Valencia region on Monday, officials said. "
                        "Rescue teams searched flooded villages along the Turia river through the night. "
                        "Schools in the city of Valencia were closed.", MONDAY, "Floods kill 12 around Valencia"),
    _a("m2", "Daily B", "At least 12 people died in floods around Valencia on Monday. "
                        "Rescue teams searched villages along the Turia river overnight. "
                        "The regional government opened emergency shelters in sports halls.", MONDAY,
       "Twelve dead in Valencia floods"),
]
T1 = ("Floods have killed 20 people in the Valencia region, officials said on Tuesday. "
      "The Spanish government declared a state of emergency for the whole province. "
      "Rescue teams searched flooded villages along the Turia river.")
FLOODS_2 = [
    _a("t1", "Daily A", T1, TUESDAY, "Valencia flood toll rises to 20"),
    _a("t2", "Evening C", "The death toll from the Valencia floods rose to 20 on Tuesday. "
                          "Prime minister Ana Ruiz declared a state of emergency for the province. "
                          "Insurers estimated the damage at 900 million euros.", TUESDAY,
       "State of emergency in Valencia"),
    _a("t3", "Northern Post", T1 + " Reporting by Daily A.", TUESDAY, "Valencia flood toll rises to 20"),
]
BRIDGE = [
    _a("b1", "Harbor Times", "The Morandi rail bridge in Porto collapsed into the Douro on Tuesday morning. "
                             "Engineers had warned about corroded cables on the rail bridge in 2019. "
                             "Officials said 14 people were injured when the bridge deck fell, the fire service said.",
       TUESDAY, "Porto rail bridge collapses into the Douro"),
    _a("b2", "Coast Herald", "A rail bridge collapsed into the Douro river in Porto on Tuesday morning. "
                             "Engineers had warned about corroded cables on the bridge in 2019. "
                             "Officials said 9 people were injured when the bridge deck fell, the mayor said.",
       TUESDAY, "Rail bridge falls in Porto"),
    _a("b3", "Valley News", "The Porto rail bridge collapsed into the Douro on Tuesday. "
                            "Engineers warned about corroded cables on the rail bridge back in 2019. "
                            "Trains between Porto and Lisbon were stopped after the bridge collapse.",
       TUESDAY, "Porto bridge collapse halts trains"),
    _a("b4", "Metro Daily", "Divers searched the Douro below the collapsed Porto rail bridge on Tuesday. "
                            "The rail operator promised a temporary ferry service across the Douro.",
       TUESDAY, "Divers search the Douro after Porto bridge collapse"),
]


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def two_nights(tmp: Path, embedder=None):
    """Run both nights into ``tmp/digests/<day>``; return (night one, night two) as Digests."""
    embedder = embedder or HashingEmbedder()
    store = tmp / "state" / "s.sqlite"
    (tmp / "in").mkdir(parents=True, exist_ok=True)
    one = digest.run([_jsonl(tmp / "in" / "mon.jsonl", FLOODS_1)], date=MONDAY, out_dir=tmp / "digests" / MONDAY,
                     store=store, embedder=embedder)
    two = digest.run([_jsonl(tmp / "in" / "tue.jsonl", FLOODS_2 + BRIDGE)], date=TUESDAY,
                     out_dir=tmp / "digests" / TUESDAY, store=store, embedder=embedder)
    return one, two


MULTINEWS = SHARED_DATA / "multinews_val100.jsonl"
FIFTY_DAY = "2026-11-23"


def fifty_story_night(tmp: Path, stories: int = 50) -> Digest | None:
    """A night of ``stories`` stories: the documents of the first Multi-News clusters (no
    outlet, title or URL: the sources show "Unknown outlet (id)"), written to ``tmp/digests/<day>``.
    ``None`` without the shared data. The fake embedder would merge unrelated clusters, so
    each cluster is dated 8 days before the next (further apart than stories ever merge);
    all are read on the one night. The page is rendered again from the first ``stories``."""
    if not MULTINEWS.is_file():
        return None
    rows = [json.loads(line) for line in MULTINEWS.read_text(encoding="utf-8").splitlines()][:stories]
    day = dt.date.fromisoformat(FIFTY_DAY)
    (tmp / "in").mkdir(parents=True, exist_ok=True)
    _jsonl(tmp / "in" / "fifty.jsonl", [
        {"id": doc["id"], "text": doc["text"], "published": (day - dt.timedelta(days=8 * i)).isoformat()}
        for i, row in enumerate(rows) for doc in row["docs"]])
    out = tmp / "digests" / FIFTY_DAY
    night = digest.run([tmp / "in" / "fifty.jsonl"], date=FIFTY_DAY, out_dir=out, store=tmp / "state" / "s.sqlite",
                       embedder=HashingEmbedder())
    return Digest(night.date, night.stories[:stories], night.skipped, night.counts, night.model)
