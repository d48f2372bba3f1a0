"""When a sentence's event happened: its article's date plus the sentence's own time words.

News states time relative to the day it is published: "on Monday", "yesterday", "last
week", "Nov. 2". A figure belongs to the day its sentence talks about, so two figures can
only disagree when they are about the same day, and a figure that changes from one day to
the next is an update, not a disagreement. The rules follow the usual reading of news
copy (as in TimeML's treatment of deictic expressions, Pustejovsky et al. 2003, resolved
against the document creation time):

* a weekday ("on Monday") is the latest such day on or before the publication date (a
  weekday named on its own day is that day);
* "today", "tonight", "this morning" are the publication date; "yesterday", "last night"
  the day before; "last week" seven days before, at week precision;
* a month and day ("Nov. 2", "2 November", "November 2nd") is that date in the
  publication year, or the year before when it would fall more than a week after
  publication;
* a full date (``2021-05-03``, "May 3, 2021") is itself.

Each resolution carries its precision (``day`` or ``week``), so "last week" and "on
Tuesday" are not read as two different times. Nothing is guessed when the publication date
is unknown: relative words then resolve to nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY_RE = r"(?P<day>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_FULL_ISO = re.compile(r"\b(?P<y>(?:19|20)\d\d)[-/](?P<m>0?[1-9]|1[0-2])[-/](?P<d>[12]\d|3[01]|0?[1-9])\b")
_MONTH_DAY = re.compile(
    rf"\b(?P<month>{_MONTH_RE})\.?\s+{_DAY_RE}\b(?:,?\s+(?P<year>(?:19|20)\d\d))?", re.IGNORECASE)
_DAY_MONTH = re.compile(
    rf"\b{_DAY_RE}\s+(?:of\s+)?(?P<month>{_MONTH_RE})\b\.?(?:,?\s+(?P<year>(?:19|20)\d\d))?", re.IGNORECASE)
_WEEKDAY = re.compile(rf"\b(?P<last>last\s+)?(?P<weekday>{'|'.join(WEEKDAYS)})\b", re.IGNORECASE)
_RELATIVE = {
    "today": 0, "tonight": 0, "this morning": 0, "this afternoon": 0, "this evening": 0,
    "yesterday": -1, "last night": -1, "the day before": None,
    "last week": -7, "a week ago": -7, "two days ago": -2, "three days ago": -3,
}
_RELATIVE_RE = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in _RELATIVE) + r")\b", re.IGNORECASE)
_PUBLISHED = re.compile(r"(?P<y>(?:19|20)\d\d)[-/](?P<m>\d\d?)[-/](?P<d>\d\d?)")


@dataclass(frozen=True)
class When:
    """A resolved time: a date and how precisely it is known (``"day"`` or ``"week"``)."""

    day: date
    precision: str = "day"
    text: str = ""

    def iso(self) -> str:
        return self.day.isoformat()

    def same_time(self, other: When) -> bool:
        """Whether two times can be the same: equal days, or within a week at week precision."""
        if "week" in (self.precision, other.precision):
            return abs((self.day - other.day).days) <= 6
        return self.day == other.day

    def label(self) -> str:
        """``"Nov. 2"``: how a brief names the day (AP style month abbreviations)."""
        month = ("Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.",
                 "Nov.", "Dec.")[self.day.month - 1]
        text = f"{month} {self.day.day}"
        return f"the week of {text}" if self.precision == "week" else text


def parse_published(value: str) -> date | None:
    """``"2021-05-03"``, ``"2021-05-03T10:00:00Z"``, ``"2005/01/08"`` -> a date; else None."""
    if not value:
        return None
    m = _PUBLISHED.match(value.strip())
    if not m:
        try:
            return datetime.fromisoformat(value.strip()).date()
        except ValueError:
            return None
    try:
        return date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    except ValueError:
        return None


def opening_date(text: str, chars: int = 300) -> str:
    """The date a text gives for itself in its opening lines ("Friday, May 21, 2010" under a
    headline, "2005/01/08 ..."), as ISO; ``""`` when it gives none with a year.

    For articles whose publication date is not in their metadata: wire and wiki copy often
    carries it as a dateline.
    """
    for when in mentions(text[:chars], None):
        if re.search(r"(?:19|20)\d\d", when.text):
            return when.iso()
    return ""


def _month_day(month: int, day: int, year: int | None, published: date | None) -> date | None:
    if year is None:
        if published is None:
            return None
        year = published.year
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        # "Dec. 30" in a story of Jan. 2 is last year's.
        if candidate > published + timedelta(days=7):
            year -= 1
    try:
        return date(year, month, day)
    except ValueError:
        return None


def mentions(text: str, published: date | None) -> list[When]:
    """Every time expression of ``text`` resolved against ``published``, in text order."""
    found: list[tuple[int, When]] = []
    taken: list[tuple[int, int]] = []

    def free(m: re.Match) -> bool:
        return all(m.end() <= s or m.start() >= e for s, e in taken)

    for m in _FULL_ISO.finditer(text):
        try:
            found.append((m.start(), When(date(int(m["y"]), int(m["m"]), int(m["d"])), text=m.group())))
            taken.append(m.span())
        except ValueError:
            pass
    for pattern in (_MONTH_DAY, _DAY_MONTH):
        for m in pattern.finditer(text):
            if not free(m):
                continue
            # "May 5" is a date, but "may 5" in running text is a verb and a number.
            if m["month"].lower() == "may" and not m["month"][0].isupper():
                continue
            year = int(m["year"]) if m["year"] else None
            day = _month_day(MONTHS[m["month"].lower()], int(m["day"]), year, published)
            if day is not None:
                found.append((m.start(), When(day, text=m.group())))
                taken.append(m.span())
    if published is not None:
        for m in _WEEKDAY.finditer(text):
            if not free(m):
                continue
            back = (published.weekday() - WEEKDAYS.index(m["weekday"].lower())) % 7
            if m["last"] and back == 0:
                back = 7
            found.append((m.start(), When(published - timedelta(days=back), text=m.group())))
            taken.append(m.span())
        for m in _RELATIVE_RE.finditer(text):
            if not free(m):
                continue
            offset = _RELATIVE[m.group().lower()]
            if offset is None:
                continue
            precision = "week" if abs(offset) == 7 else "day"
            found.append((m.start(), When(published + timedelta(days=offset), precision, m.group())))
            taken.append(m.span())
    return [w for _, w in sorted(found, key=lambda x: x[0])]


def event_time(text: str, published: str | date | None, near: int | None = None) -> When | None:
    """The time a sentence's event happened.

    Args:
        text: The sentence.
        published: Its article's publication date (ISO string or date); may be empty.
        near: A character offset in ``text`` (a figure's position): the time expression
            closest to it wins when the sentence names several.

    Returns:
        The resolved time; the publication date itself when the sentence names no time;
        None when neither is known.
    """
    pub = published if isinstance(published, date) else parse_published(published or "")
    found = mentions(text, pub)
    if found:
        if near is None or len(found) == 1:
            return found[0]
        positions = [text.find(w.text) for w in found]
        return min(zip(positions, found), key=lambda x: abs(x[0] - near))[1]
    return When(pub, text="") if pub is not None else None
