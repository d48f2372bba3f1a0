"""The claim-level writer: one generated sentence per selected claim group.

For each claim the brief will state, the generative model sees the group's member
sentences (2-4 outlets reporting the same thing) and fuses them into one sentence that
keeps every number, name and date; a claim only one outlet reports is compressed, only by
dropping attributions, asides and repeated context (``prompts/claim.*.j2``); a short one
with none of these (:func:`nothing_to_drop`) is taken as it is, without asking the model.
The claims written are the extractive writer's choice (the ILP at the budget), all of them;
the words their rewriting frees go to a few further claims of a larger selection, best
supported first, never past the extractive brief's length, so the brief states what the
extractive brief states and the model adds content only by making room. Claim after claim
when the model drafts tokens ahead (prompt lookup, the packaged models' default; measured
faster than a batch), else in batches.

A sentence is a promise to a reader, so every generated sentence is checked here before it
reaches the brief: a number, name or date its group's sentences lack (invented), more than
one other content word they lack (reworded), a negation dropped or added, a number, date or
name of the representative sentence it dropped (lost who/where/when), a hedge or
approximation it dropped ("believed to be", "about 5%"), or, for a compression, the source's
words moved out of their order; such a sentence is replaced by the representative source
sentence (the extractive choice). A compression whose freed words no further claim used
goes back to its source sentence too. The group's
outlets are its citations by construction (:attr:`Draft.origins`); the attribute stage
then checks the support of each generated sentence against the group's sentences again
(:func:`summarize.briefing.attribute.attribute_fused`).

Why claims and not a whole paragraph: asked for a paragraph, the 1.5B model returned the
evidence sentences nearly verbatim (1% new bigrams on the seeds), and asked to *shorten*
sentences it wrote headlines without dates (``/work/shared/MODELS.md``). Fusing sentences
that say the same thing keeps the who/what/when/where while saying it once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from summarize.evidence.select import Selected
from summarize.nlp.text import (
    missing_names,
    names_in,
    numbers_in,
    stems,
    strip_dateline,
    words,
)
from summarize.options import Options
from summarize.records import Evidence
from summarize.write.abstractive import (
    AbstractiveWriter,
    clean_generation,
    looks_like_instructions,
)
from summarize.write.base import Draft, EvidenceItem

MAX_MEMBERS = 4  # sentences shown per claim: the representative and up to 3 other outlets
FILL = 1.3  # further claims come from the selection at this many times the budget
EXTRA_WORDS = 6  # a fused sentence may be this much longer than its representative
MAX_NEW_TOKENS = 96
TOKENS_PER_WORD = 1.4  # Qwen2.5 tokens per word of English news, names and numbers included
TOKEN_MARGIN = 12  # the end-of-turn token, punctuation, and a sentence a little over its limit
DIRECT_WORDS = 20  # one-outlet sentences up to this long with nothing to drop skip the model
MIN_ROOM = 8  # words freed by rewriting below which no further claim is asked for
EXPECTED_CUT = 0.35  # a further claim is asked when its source, this much shorter, would fit
MAX_EXTRA_CLAIMS = 3  # further claims asked per brief at most (each costs a call)
MAX_NEW_WORDS = 1  # content words a generated sentence may use that its group's sentences lack
MIN_IN_ORDER = 0.75  # share of a compression's words found in its source in the same order

# What compression may drop from a one-outlet sentence: attributions, asides, quotes.
_DROPPABLE = re.compile(r"\b(?:said|says|told|according to|reported|stated|added|noted|claimed)\b"
                        r"|[()\[\]\u2014\u2013;:\"\u201c\u201d]| - ", re.IGNORECASE)
_FINISHED = re.compile(r"[.!?][\"'\u201d\u2019)]*$")

_DATE_WORDS = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|tomorrow|"
    r"tonight|january|february|march|april|may|june|july|august|september|october|november|"
    r"december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|last\s+(?:week|month|year)|"
    r"next\s+(?:week|month|year)|this\s+(?:week|month|year))\b",
    re.IGNORECASE,
)


def dates_in(text: str) -> set[str]:
    """Weekday, month and relative-date words of ``text``, lower case ("last week")."""
    return {" ".join(m.group(0).lower().split()) for m in _DATE_WORDS.finditer(text)}


def invented(text: str, sources: list[str]) -> list[str]:
    """Numbers, names and date words of ``text`` that none of ``sources`` contains."""
    pool = " ".join(sources)
    missing = sorted(numbers_in(text) - numbers_in(pool))
    # A fused sentence may say "Blinken's" where the sources say "Blinken".
    missing += missing_names(names_in(text), pool, possessive=True)
    missing += sorted(dates_in(text) - dates_in(pool))
    return missing


# A possessive ending ("Biden's", "states'"), dropped before words are compared.
_POSSESSIVE = re.compile(r"(?<=\w)['\u2019]s\b|(?<=s)['\u2019](?!\w)")
_JOINED = re.compile(r"(?<=[A-Za-z])[-'\u2019](?=[A-Za-z])")


def reworded(text: str, sources: list[str]) -> list[str]:
    """Content words of ``text`` that none of ``sources`` has (Porter stems; stop words,
    numbers and possessive endings aside).

    Names, numbers and dates are :func:`invented`'s; this catches the rest of a sentence the
    model wrote in its own words, which is where it changed the meaning on held-out stories:
    "put Ms. Harris in charge of dealing with the migrant surge" became "appointed Ms. Harris
    to lead migrant relief efforts", "the 645th cracker barrel they've visited" became "The
    cracker barrel visited 645 times".
    """
    def content(t: str) -> set[str]:
        # Parts of a hyphenated or glued word count on their own ("al-assad", "states'diplomatic").
        return {s for s in stems(_JOINED.sub(" ", _POSSESSIVE.sub("", t))) if not s[0].isdigit()}

    return sorted(content(text) - content(" ".join(sources)))


# A date heading the sentence as a dateline ("Saturday, March 26, 2005 Up to four times as
# many women ..."): page furniture of a wiki news page the cleaner left, not the sentence's when.
_LEADING_DATE = re.compile(
    r"^(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+(?:january|february|march|april|may|june|july|"
    r"august|september|october|november|december)\s+\d{1,2},?\s+\d{4}\s*[-\u2013\u2014:]?\s+(?=(?-i:[A-Z]))",
    re.IGNORECASE,
)


_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update({w: str(10 * i) for i, w in enumerate("thirty forty fifty sixty seventy eighty ninety".split(),
                                                           start=3)})
_NUMBER_WORD = re.compile(r"\b(?:" + "|".join(w for w in _NUMBER_WORDS if w not in ("zero", "one")) +
                          r"|hundreds?|thousands?|millions?|billions?|dozens?)\b", re.IGNORECASE)
# Who reported it: the part of a sentence compression may drop, names and all ("according to
# the British Ministry of Defence", "Officials in Ankara said").
_ATTRIBUTION = re.compile(r"\baccording to\b[^,;.]*|[^,;.\u2014]*\b(?:said|says|told|reported)\b",
                          re.IGNORECASE)


def _number_words(text: str) -> set[str]:
    """Number words of ``text`` as their value ("fifteen" -> "15"; "million" stays a word)."""
    return {_NUMBER_WORDS.get(m.group(0).lower(), m.group(0).lower().rstrip("s")) for m in _NUMBER_WORD.finditer(text)}


_NEGATION = re.compile(r"\b(?:not|no|never|nor|neither|none|nobody|nothing|without)\b|n['\u2019]t\b", re.IGNORECASE)


def negation_changed(text: str, representative: str, pool: list[str]) -> str | None:
    """Whether ``text`` dropped the representative's negation or added one no group sentence
    has: deleting "not" keeps every word check happy and says the opposite."""
    if _NEGATION.search(_ATTRIBUTION.sub(" ", representative)) and not _NEGATION.search(text):
        return "dropped a negation"
    if _NEGATION.search(text) and not any(_NEGATION.search(s) for s in pool):
        return "added a negation"
    return None


# Words that make a statement less than certain or a figure less than exact: dropping one
# ("Armed men, believed to be Russian servicemen" -> "Armed men, Russian servicemen"; "at
# approximately 14:52" -> "at 14:52") states more than the outlet did.
_HEDGE = re.compile(
    r"\b(?:believed|allegedly|alleged|reportedly|suspected|apparently|possibly|probably|likely|"
    r"may|might|could|estimated)\b"
    # an approximation only before a figure ("about 5%", "more than a dozen"), not "talked about"
    r"|\b(?:about|approximately|around|nearly|almost|roughly|up to|at least|more than|less than|"
    r"fewer than|as many as|as much as)(?=\s+(?:at\s+)?[$\u00a3\u20ac]?\d|\s+(?:a\s+)?(?:dozen|hundred|thousand|"
    r"million|billion|half|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety)\b)", re.IGNORECASE)


def hedges_dropped(text: str, representative: str) -> list[str]:
    """The representative's hedges and approximations (outside its attribution) that ``text`` lacks."""
    own = {" ".join(m.group(0).lower().split()) for m in _HEDGE.finditer(text)}
    return sorted({" ".join(m.group(0).lower().split())
                   for m in _HEDGE.finditer(_ATTRIBUTION.sub(" ", representative))} - own)


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def in_order(text: str, source: str) -> float:
    """Share of the words of ``text`` that appear in ``source`` in the same order (the longest
    common subsequence of the two, over the words of ``text``): 1.0 for a pure deletion."""
    own, theirs = _tokens(text), _tokens(source)
    if not own:
        return 1.0
    previous = [0] * (len(theirs) + 1)
    for word in own:
        row = [0]
        for j, other in enumerate(theirs):
            row.append(previous[j] + 1 if word == other else max(previous[j + 1], row[-1]))
        previous = row
    return previous[-1] / len(own)


def lost(text: str, representative: str) -> list[str]:
    """Numbers, date words and names of ``representative`` that ``text`` dropped (the who,
    where, when and how many).

    A number may be kept in words or figures ("Fifteen" or "15"). Names in the attribution
    (:data:`_ATTRIBUTION`) may go with it. A date that heads the representative as a
    dateline (:data:`_LEADING_DATE`) is not required; a date inside the sentence ("died in
    the December 26 tsunami") is.
    """
    body = _LEADING_DATE.sub("", representative, count=1)
    numbers = numbers_in(text) | _number_words(text)
    dropped = sorted((numbers_in(body) | _number_words(body)) - numbers)
    names = {n for n in names_in(_ATTRIBUTION.sub(" ", body)) if " " not in n and not dates_in(n)}
    # Another form of the same name is kept ("Iran" for "Iranian"): a word of the text
    # sharing all but the name's last three letters (at least four).
    names = [n for n in missing_names(names, text, possessive=True)
             if n.lower()[:max(4, len(n) - 3)] not in {w.lower()[:max(4, len(n) - 3)]
                                                        for w in re.findall(r"[A-Za-z]{4,}", text)}]
    return dropped + sorted(dates_in(body) - dates_in(text)) + names


@dataclass(frozen=True)
class Claim:
    """One selected claim and the sentences its prompt shows, representative first."""

    selected: Selected
    sources: tuple[str, ...]
    pool: tuple[str, ...] = ()  # every member sentence of the group: the sentence's citations
    cap: int | None = None  # most words left in the brief for it (a further claim), if fewer

    @property
    def fused(self) -> bool:
        return len(self.sources) > 1

    @property
    def limit(self) -> int:
        """Most words the generated sentence may have."""
        rep = words(self.sources[0])
        own = rep + EXTRA_WORDS if self.fused else rep
        return own if self.cap is None else min(own, self.cap)


def adds_facts(text: str, shown: list[str]) -> bool:
    """Whether ``text`` has a number, date word or single-word name that ``shown`` lacks.

    A member sentence without one gives the fusion nothing to keep that the sentences
    already shown do not; leaving it out of the prompt saves its tokens.
    """
    pool = " ".join(shown)
    return bool(numbers_in(text) - numbers_in(pool) or dates_in(text) - dates_in(pool)
                or missing_names({n for n in names_in(text) if " " not in n}, pool, possessive=True))


def claims_of(selected: list[Selected]) -> tuple[list[Claim], list[str]]:
    """The claims to generate and the sentences withheld as instructions to a model.

    Members come one per article, representative first, and only those that add a number,
    date or name to the sentences before them (:func:`adds_facts`); a claim whose
    representative reads as an instruction is left out of the brief altogether.
    """
    out, withheld = [], []
    for sel in selected:
        if looks_like_instructions(sel.text):
            withheld.append(sel.text)
            continue
        texts, seen = [sel.text], {sel.representative.sentence.article_id}
        for member in sel.group.members:
            article = member.sentence.article_id
            if article in seen or len(texts) >= MAX_MEMBERS:
                continue
            text = strip_dateline(member.sentence.text)
            if looks_like_instructions(text):
                withheld.append(text)
                continue
            seen.add(article)
            if adds_facts(text, texts):
                texts.append(text)
        pool = tuple(dict.fromkeys([*texts, *(m.sentence.text for m in sel.group.members)]))
        out.append(Claim(sel, tuple(texts), pool))
    return out, withheld


def check(text: str, claim: Claim) -> str | None:
    """Why ``text`` cannot stand for ``claim`` (None when it can)."""
    if not text:
        return "empty"
    if words(text) > claim.limit:
        return "too long"
    if words(text) < 4:
        return "too short"
    if looks_like_instructions(text):
        return "reads as instructions"
    # Checked against every sentence of the group, not only those shown: the group's articles
    # are the sentence's citations, so a fact any of them states is in its cited sources.
    pool = list(claim.pool or claim.sources)
    missing = invented(text, pool)
    if missing:
        return "invented " + ", ".join(missing)
    new = reworded(text, pool)
    if len(new) > MAX_NEW_WORDS:
        return "reworded " + ", ".join(new)
    negation = negation_changed(text, claim.sources[0], pool)
    if negation:
        return negation
    hedges = hedges_dropped(text, claim.sources[0])
    if hedges:
        return "dropped " + ", ".join(repr(h) for h in hedges)
    # A compression only deletes (the claim prompt's rule): words moved around are where it
    # swapped who did what ("police have not identified exactly who was driving them" became
    # "Police say cars driving recklessly were not identified").
    if not claim.fused and in_order(text, claim.sources[0]) < MIN_IN_ORDER:
        return "reordered"
    dropped = lost(text, claim.sources[0])
    if dropped:
        return "dropped " + ", ".join(dropped)
    return None


def ranked(claims: list[Claim]) -> list[int]:
    """Claim indexes in the order further claims are taken: support, then salience, then story order."""
    return sorted(range(len(claims)), key=lambda i: (-claims[i].selected.group.support,
                                                     -claims[i].selected.group.salience, i))


def _round(claims: list[Claim], pending: list[int], words_left: int) -> list[int]:
    """The next claims, in ``pending``'s order, whose source sentences fill ``words_left``
    (a batch for models that take the claims of a brief in one call)."""
    batch, total = [], 0
    for i in pending:
        batch.append(i)
        total += words(claims[i].sources[0])
        if total >= words_left:
            break
    return batch


def nothing_to_drop(claim: Claim) -> bool:
    """A one-outlet sentence the model can only copy: short, no attribution, no aside.

    Longer ones go to the model even without an attribution: on the seed story it usefully
    rewrote a 38-word one ("During his meetings in ..., Blinken's priorities included" to
    "Blinken's meetings in ... focused on").
    """
    text = claim.sources[0]
    return not claim.fused and words(text) <= DIRECT_WORDS and not _DROPPABLE.search(text)


def new_tokens(claim: Claim) -> int:
    """The token cap of a claim's answer: ~1.4 tokens per word of its limit, and a margin."""
    return min(MAX_NEW_TOKENS, int(TOKENS_PER_WORD * claim.limit) + TOKEN_MARGIN)


def _prompt(claim: Claim):
    from summarize.write import prompting

    return prompting.render("claim", evidence=[EvidenceItem(n=i + 1, text=t, support=0)
                                               for i, t in enumerate(claim.sources)], words=claim.limit)


class FusionWriter(AbstractiveWriter):
    """Writes one generated sentence per claim group (see the module docstring).

    Args:
        spec: Model name or path for :func:`summarize.models.generative.get_model`.
        model: A ready model object (tests pass a fake one). Models with
            ``generate_batch`` get every claim of a brief in one call.
        decoding: :class:`summarize.models.generative.DecodingOptions`; the model's
            defaults if None.
    """

    name = "fusion"
    generative = True

    def write(self, evidence: Evidence, selected: list[Selected], options: Options) -> Draft:
        from summarize.evidence.select import order, select

        words_target = options.words
        # The brief starts from the extractive writer's choice (``selected``: the ILP at the
        # budget) and writes every one of those claims; only the words their rewriting frees
        # go to further claims of a larger selection, best ranked first. So the brief states
        # what the extractive brief states, and the model adds content only by making room.
        claims, withheld = claims_of(selected)
        chosen = {c.selected.group.id for c in claims}
        larger = select(evidence, int(words_target * FILL), max_sentence_words=options.sentence_words)
        extra, withheld_extra = claims_of([s for s in larger if s.group.id not in chosen])
        base = list(range(len(claims)))
        claims += extra
        # Every story sentence that reads as an instruction is reported as withheld, offered
        # or not: none of them can reach the model, and the reader of the metadata sees what
        # the screen caught in the whole story, not only among the claims offered.
        screened = [strip_dateline(s.sentence.text) for s in evidence.sentences
                    if looks_like_instructions(s.sentence.text)]
        withheld = list(dict.fromkeys([*withheld, *withheld_extra, *screened]))
        decoding = self._decoding(options)
        one_by_one = _looks_ahead(decoding or getattr(self.model, "default_options", None))
        texts: dict[int, str] = {}
        report: dict[int, dict[str, Any]] = {}
        answers: list[str] = []
        prompts: list[Any] = []
        log: list[tuple[int, list[Any]]] = []  # (batch size, results) per model call

        def write_claims(batch: list[int]) -> None:
            ask = [i for i in batch if not nothing_to_drop(claims[i])]
            for i in batch:
                if i not in ask:  # the model could only copy it: the source sentence as is
                    texts[i] = claims[i].selected.text
                    report[i] = {"group": claims[i].selected.group.id, "sources": 1, "status": "unchanged"}
            round_prompts = [_prompt(claims[i]) for i in ask]
            prompts.extend(round_prompts)
            generated = self._generate(round_prompts, [claims[i] for i in ask], log, decoding,
                                       batched=not one_by_one)
            for i, (answer, cut) in zip(ask, generated):
                answers.append(answer)
                reason = "unfinished" if cut else check(answer, claims[i])
                texts[i] = claims[i].selected.text if reason else answer
                if reason:
                    status = "fallback"
                elif _same(answer, claims[i].selected.text):
                    status = "copied"  # nothing to drop: the model returned the sentence as is
                else:
                    status = "fused" if claims[i].fused else "compressed"
                report[i] = {"group": claims[i].selected.group.id, "sources": len(claims[i].sources),
                             "status": status, **({"reason": reason, "generated": answer} if reason else {})}

        write_claims(base)
        kept = list(base)
        total = sum(words(texts[i]) for i in kept)
        # The room is the extractive brief's own length (at least the budget): what the
        # rewritten claims save is spent on the next claims, never more than that.
        room = max(words_target, sum(words(claims[i].selected.text) for i in base))
        # A fused sentence may be longer than its representative; past 120% of the budget
        # (where the attribute stage cuts whole sentences), the most grown ones give way to
        # their representatives.
        for i in sorted(base, key=lambda i: words(claims[i].selected.text) - words(texts[i])):
            grown = words(texts[i]) - words(claims[i].selected.text)
            if total <= max(room, int(1.2 * words_target)) or grown <= 0:
                break
            total -= grown
            report[i] = {**report[i], "status": "fallback", "reason": "no room", "generated": texts[i]}
            texts[i] = claims[i].selected.text
        pending = [i for i in ranked(claims) if i not in base]
        asked = 0
        while pending and room - total >= MIN_ROOM and asked < MAX_EXTRA_CLAIMS:
            # A claim is tried when its sentence fits as it is, or when the model may shorten it
            # and it would fit shortened by about a third.
            fitting = [i for i in pending if words(claims[i].selected.text) <= room - total
                       or (not nothing_to_drop(claims[i])
                           and words(claims[i].selected.text) * (1 - EXPECTED_CUT) <= room - total)]
            if not fitting:
                break
            batch = [fitting[0]] if one_by_one else _round(claims, fitting, room - total)
            pending = [i for i in pending if i not in batch]
            for i in batch:  # the prompt asks for a sentence that fits the room left
                claims[i] = replace(claims[i], cap=room - total)
            write_claims(batch)
            asked += len(batch)
            for i in batch:
                n = words(texts[i])
                if total + n <= room:
                    kept.append(i)
                    total += n
        # Words freed that no further claim took buy the reader nothing: while at least
        # MIN_ROOM words are left, a compressed sentence (one source shown) goes back to its
        # source sentence (the outlet's own words) when that fits, the most shortened first.
        # Fused sentences stay: they carry the other outlets' facts.
        for i in sorted(kept, key=lambda i: words(texts[i]) - words(claims[i].selected.text)):
            back = words(claims[i].selected.text) - words(texts[i])
            if room - total < MIN_ROOM:
                break
            if report[i]["status"] == "compressed" and 0 < back <= room - total:
                report[i] = {**report[i], "status": "restored", "generated": texts[i]}
                texts[i] = claims[i].selected.text
                total += back
        position = {id(sel): k for k, sel in enumerate(order(evidence, [claims[i].selected for i in kept]))}
        kept.sort(key=lambda i: position[id(claims[i].selected)])
        return Draft(
            sentences=tuple(texts[i] for i in kept),
            origins=tuple(claims[i].selected for i in kept),
            metadata={
                "writer": self.name,
                "model": getattr(self.model, "spec", self.spec),
                "runtime": getattr(self.model, "runtime", None),  # backend and CPU flags
                "prompt": prompts[0].describe() if prompts else None,
                "claims": [report[i] for i in kept],
                "claims_offered": len(claims),
                "claims_selected": len(base),  # the extractive writer's choice, all written
                "claims_added": len(kept) - len(base),  # further claims in the room rewriting freed
                "claims_generated": len(answers),  # sent to the model (the rest were not needed)
                "fallbacks": sum(report[i]["status"] == "fallback" for i in kept),
                "restored": sum(report[i]["status"] == "restored" for i in kept),  # compressed, then put back
                "withheld_evidence": withheld,  # read as instructions to the model (injection)
                "generations": _generations(log),
                "decoding": {"sample": options.sample, "temperature": options.temperature,
                             "top_p": options.top_p, "seed": options.seed} if options.sample
                else {"sample": False},
                "raw": "\n".join(answers),  # every generated sentence, kept or not
            },
        )

    def _generate(self, prompts, claims: list[Claim], log: list[tuple[int, list[Any]]], decoding: Any,
                  batched: bool) -> list[tuple[str, bool]]:
        """Each claim's answer (its first sentence) and whether it was cut off by the token cap."""
        if not prompts:
            return []
        messages = [p.as_messages() for p in prompts]
        batch = getattr(self.model, "generate_batch", None)
        if batched and callable(batch):
            cap = max(new_tokens(c) for c in claims)
            results = batch(messages, max_new_tokens=cap, options=decoding)
            caps = [cap] * len(results)
        else:
            caps = [new_tokens(c) for c in claims]
            results = [self.model.generate(m, max_new_tokens=n, options=decoding) for m, n in zip(messages, caps)]
        log.append((len(prompts) if batched and callable(batch) else 1, results))
        out = []
        for r, cap in zip(results, caps):
            first = _one_sentence(clean_generation(r.text))
            # Cut off by the cap inside its first sentence: what was written is not a sentence
            # to check (a cut in a second, commenting sentence does not matter).
            out.append((first, r.new_tokens >= cap and not _FINISHED.search(first)))
        return out


def _generations(log: list[tuple[int, list[Any]]]) -> list[dict[str, Any]]:
    """The claim calls' costs: one entry per batch, or one for all the one-by-one calls."""
    entries = []
    for size, results in log:
        if size == 1 and entries and entries[-1]["batch"] == 1:
            entries[-1]["results"] += results
        else:
            entries.append({"batch": size, "results": list(results)})
    return [{"task": "claim", "batch": e["batch"], "calls": len(e["results"]),
             "prompt_tokens": sum(r.prompt_tokens for r in e["results"]),
             "new_tokens": sum(r.new_tokens for r in e["results"]),
             "seconds": round(sum(r.seconds for r in e["results"]), 3), **_decoding_costs(e["results"])}
            for e in entries]


def _decoding_costs(results: list[Any]) -> dict[str, Any]:
    """Prefill and decoding split, when the model reports them (its own greedy loop)."""
    if not results or any(getattr(r, "prefill_seconds", None) is None for r in results):
        return {}
    return {"prefilled_tokens": sum(r.prefilled_tokens for r in results),
            "prefill_seconds": round(sum(r.prefill_seconds for r in results), 3),
            "forward_passes": sum(r.forward_passes for r in results)}


def _looks_ahead(decoding: Any) -> bool:
    """Whether ``decoding`` drafts tokens ahead (prompt lookup or an assistant model).

    A batch cannot: it decodes one token per step for every row. A fused sentence copies
    long runs of its sources, which prompt lookup accepts several tokens at a time, so
    one claim after another with lookup beats one batch without it. Seed brief, ``default``,
    model loaded, same text both ways (AMD EPYC, 2 cores, load ~2): 35 s one by one vs 48 s
    batched with bf16 linears; 78 s vs 103 s with fp32 linears on the simulated AVX2-only
    path).
    """
    return bool(decoding is not None and (getattr(decoding, "prompt_lookup_num_tokens", None)
                                          or getattr(decoding, "assistant", None)))


def _same(a: str, b: str) -> bool:
    return re.sub(r"\W+", " ", a).strip().lower() == re.sub(r"\W+", " ", b).strip().lower()


def _one_sentence(text: str) -> str:
    """The answer's first sentence (the model sometimes adds a second, commenting one)."""
    from summarize.nlp import segment

    parts = segment.split(text)
    return parts[0].strip() if parts else ""


def register(registry) -> None:
    """Built-in plugin hook: the claim-level writer for every packaged model."""
    from functools import partial

    from summarize.registry import MODELS, WRITERS

    for name in registry.names(MODELS):
        registry.register(WRITERS, name, partial(FusionWriter, name))
