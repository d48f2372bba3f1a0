"""The claim-level writer: one generated sentence per selected claim group.

For each claim the brief will state, the generative model sees the group's member
sentences (2-4 outlets reporting the same thing) and fuses them into one sentence that
keeps every number, name and date; a claim only one outlet reports is compressed, only by
dropping attributions, asides and repeated context (``prompts/claim.*.j2``). All claims of
a brief go to the model in one batched, greedy call, unless the model drafts tokens ahead
(prompt lookup, the packaged models' default): then claim after claim, which measured faster.

A sentence is a promise to a reader, so every generated sentence is checked here before it
reaches the brief: a number, name or date its group's sentences lack (invented), or a
number or date of the representative sentence it dropped (lost who/when), and it is
replaced by the representative source sentence (the extractive choice). The group's
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
from dataclasses import dataclass
from typing import Any

from summarize.evidence.select import Selected
from summarize.nlp.text import (
    missing_names,
    names_in,
    numbers_in,
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
FILL = 1.3  # claims offered per brief word: fused sentences are shorter than their sources
EXTRA_WORDS = 6  # a fused sentence may be this much longer than its representative
MAX_NEW_TOKENS = 96

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


def lost(text: str, representative: str) -> list[str]:
    """Numbers and date words of ``representative`` that ``text`` dropped (the when/how many)."""
    return sorted(numbers_in(representative) - numbers_in(text)) + sorted(
        dates_in(representative) - dates_in(text))


@dataclass(frozen=True)
class Claim:
    """One selected claim and the sentences its prompt shows, representative first."""

    selected: Selected
    sources: tuple[str, ...]

    @property
    def fused(self) -> bool:
        return len(self.sources) > 1

    @property
    def limit(self) -> int:
        """Most words the generated sentence may have."""
        rep = words(self.sources[0])
        return rep + EXTRA_WORDS if self.fused else rep


def claims_of(selected: list[Selected]) -> tuple[list[Claim], list[str]]:
    """The claims to generate and the sentences withheld as instructions to a model.

    Members come one per article, representative first; a claim whose representative reads
    as an instruction is left out of the brief altogether.
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
            texts.append(text)
        out.append(Claim(sel, tuple(texts)))
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
    missing = invented(text, list(claim.sources))
    if missing:
        return "invented " + ", ".join(missing)
    dropped = lost(text, claim.sources[0])
    if dropped:
        return "dropped " + ", ".join(dropped)
    return None


def _keep(claims: list[Claim], texts: list[str], budget: int) -> list[int]:
    """Indexes of the claims that fill ``budget`` words, most salient first, in story order."""
    ranked = sorted(range(len(claims)), key=lambda i: (-claims[i].selected.group.support,
                                                       -claims[i].selected.group.salience, i))
    kept, total = [], 0
    for i in ranked:
        n = words(texts[i])
        if total + n > 1.2 * budget or total >= budget:
            continue
        kept.append(i)
        total += n
    return sorted(kept)


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
        from summarize.evidence.select import select
        from summarize.write import prompting

        words_target = options.words
        offered = select(evidence, int(words_target * FILL), max_sentence_words=options.sentence_words)
        claims, withheld = claims_of(offered or selected)
        # Every story sentence that reads as an instruction is reported as withheld, offered
        # or not: none of them can reach the model, and the reader of the metadata sees what
        # the screen caught in the whole story, not only among the claims offered.
        screened = [strip_dateline(s.sentence.text) for s in evidence.sentences
                    if looks_like_instructions(s.sentence.text)]
        withheld = list(dict.fromkeys([*withheld, *screened]))
        prompts = [
            prompting.render("claim", evidence=[EvidenceItem(n=i + 1, text=t, support=0)
                                                for i, t in enumerate(c.sources)], words=c.limit)
            for c in claims
        ]
        log: list[dict[str, Any]] = []
        answers = self._generate_all(prompts, claims, log, self._decoding(options))
        texts, report = [], []
        for claim, answer in zip(claims, answers):
            reason = check(answer, claim)
            texts.append(claim.selected.text if reason else answer)
            if reason:
                status = "fallback"
            elif _same(answer, claim.selected.text):
                status = "copied"  # nothing to drop: the model returned the sentence as is
            else:
                status = "fused" if claim.fused else "compressed"
            report.append({"group": claim.selected.group.id, "sources": len(claim.sources), "status": status,
                           **({"reason": reason, "generated": answer} if reason else {})})
        kept = _keep(claims, texts, words_target)
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
                "fallbacks": sum(report[i]["status"] == "fallback" for i in kept),
                "withheld_evidence": withheld,  # read as instructions to the model (injection)
                "generations": log,
                "decoding": {"sample": options.sample, "temperature": options.temperature,
                             "top_p": options.top_p, "seed": options.seed} if options.sample
                else {"sample": False},
                "raw": "\n".join(answers),  # every generated sentence, kept or not
            },
        )

    def _generate_all(self, prompts, claims: list[Claim], log: list[dict[str, Any]], decoding: Any) -> list[str]:
        if not prompts:
            return []
        budget = min(MAX_NEW_TOKENS, int(max(c.limit for c in claims) * 1.6) + 16)
        messages = [p.as_messages() for p in prompts]
        batch = getattr(self.model, "generate_batch", None)
        batched = callable(batch) and not _looks_ahead(decoding or getattr(self.model, "default_options", None))
        results = (batch(messages, max_new_tokens=budget, options=decoding) if batched
                   else [self.model.generate(m, max_new_tokens=budget, options=decoding) for m in messages])
        log.append({"task": "claim", "batch": len(prompts) if batched else 1, "calls": len(results),
                    "prompt_tokens": sum(r.prompt_tokens for r in results),
                    "new_tokens": sum(r.new_tokens for r in results),
                    "seconds": round(sum(r.seconds for r in results), 3),
                    **_decoding_costs(results)})
        return [_one_sentence(clean_generation(r.text)) for r in results]


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
