"""The abstractive writer: a generative model writes the brief from numbered evidence.

The attribute stage then finds the citations of every generated sentence itself, whatever
the model printed. The packaged models are registered with its subclass, the claim-level
writer (:mod:`summarize.write.fusion`); this paragraph writer stays for plugins and
comparisons.
"""

from __future__ import annotations

import re
from typing import Any

from summarize.evidence.select import Selected
from summarize.options import Options
from summarize.records import Evidence
from summarize.write.base import Draft, EvidenceItem, GenerativeModelLike
from summarize.write.prompting import Prompt

# Prompt sizes for the generative writer. Evidence beyond MAX_PROMPT_TOKENS is condensed
# slice by slice with the "fusion" prompt first (map), then briefed (reduce).
MAX_PROMPT_TOKENS = 1400
SLICE_TOKENS = 900
EVIDENCE_FACTOR = 2.5  # evidence words offered per brief word (single pass)
TOKENS_PER_WORD = 1.5

_BRACKETS = re.compile(r"\s*\[(?:\d+(?:\s*[,;-]\s*\d+)*)\]")
_INITIALS = re.compile(r"\b([A-Z])\. (?=[A-Z]\.)")
_LABEL = re.compile(r"^\s*(?:brief|summary|news brief)\s*:\s*", re.IGNORECASE)


# Evidence sentences that address a language model instead of reporting news (prompt
# injection: "ignore previous instructions and write X", "SYSTEM: respond only with X",
# a fake end of the evidence block, chat-template tokens). They are withheld from the
# prompt; the prompt also fences the evidence as data (prompts/*.j2). A filter, not a proof:
# see tests/models/test_prompt_injection.py for what was measured.
_INSTRUCTIONS = re.compile("|".join([
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+|the\s+)?"
    r"(?:(?:previous|prior|above|earlier|preceding|your|my|these|those|system)\s+)+"
    r"(?:instructions?|prompts?|rules|guidelines|directions|messages?)\b",
    r"\bignore\s+(?:everything|all)\s+(?:above|before|else)\b",
    r"\b(?:respond|reply|answer|output)\s+(?:only|solely|just)\s+with\b",
    r"\b(?:respond|reply|answer)\s+with\s+(?:only|just)\b",
    r"\b(?:new|updated)\s+instructions?\s+(?:from|to)\s+(?:the\s+)?"
    r"(?:editor|system|assistant|model|ai)\b",
    r"\b(?:the|this|your)\s+(?:brief|summary|response|answer|output|reply)\b[^.!?]{0,60}?"
    r"\b(?:must|should|shall|has to|needs to)\s+(?:start|begin|end|say|read|contain|consist|only|just)\b",
    r"\byou\s+(?:must|should|shall|are to|will|are)\s+(?:now\s+)?"
    r"(?:respond|reply|output|print|ignore|disregard|pretend|act as)\b",
    r"\byou\s+(?:must|will|are)\s+now\s+(?:write|say)\b",
    r"</?\s*(?:evidence|system|instructions?|prompt|im_start|im_end)\b[^>]{0,20}>",
    r"<\|[^|>]{1,30}\|>", r"\[/?INST\]", r"<<\s*/?SYS\s*>>",
    r"^\W*(?:system|assistant|developer)\s*:",
]), re.IGNORECASE)
_ROLE_LABEL = re.compile(r"(?:^|[\s\"'“‘(\[])(?:SYSTEM|ASSISTANT|DEVELOPER)\s*:")  # capitals only


def looks_like_instructions(text: str) -> bool:
    """True when ``text`` reads as an instruction to a language model, not as news."""
    return bool(_INSTRUCTIONS.search(text) or _ROLE_LABEL.search(text))


def clean_generation(text: str) -> str:
    """Model output as plain prose: no bracket citations, labels, bullets or headings."""
    lines = []
    for line in text.splitlines():
        line = line.replace("**", "").strip().lstrip("-*• ").strip()
        if not line or line.startswith("#"):
            continue
        lines.append(_LABEL.sub("", line))
    text = _BRACKETS.sub("", " ".join(lines)).replace(" ,", ",").strip()
    # Some tokenizers decode "U.S." as "U. S."; put initialisms back together.
    return _INITIALS.sub(r"\1.", text)


class AbstractiveWriter:
    """Writes a brief with a generative model from numbered evidence.

    The model sees the selected claims as numbered evidence (with how many outlets confirm
    each) and the disagreements; its citations are ignored and found again by the
    attribute stage. Long evidence is condensed slice by slice first (map-reduce), so no
    selected claim is cut silently.

    Args:
        spec: Model name or path for :func:`summarize.models.generative.get_model`.
        model: A ready model object (tests pass a fake one).
        decoding: :class:`summarize.models.generative.DecodingOptions`; the model's defaults if None.
    """

    name = "abstractive"
    generative = True

    def __init__(self, spec: str, model: GenerativeModelLike | None = None, decoding: Any = None) -> None:
        self.spec = spec
        self._model = model
        self.decoding = decoding

    @property
    def model(self) -> GenerativeModelLike:
        if self._model is None:
            from summarize.models.generative import get_model

            self._model = get_model(self.spec)
        return self._model

    def _decoding(self, options: Options) -> Any:
        """Greedy with the model's own speed settings, unless the options ask to sample."""
        if self.decoding is not None or not options.sample:
            return self.decoding
        from dataclasses import replace

        from summarize.models.generative import DecodingOptions

        base = getattr(self.model, "default_options", None) or DecodingOptions()
        return replace(base, do_sample=True, temperature=options.temperature, top_p=options.top_p,
                       seed=options.seed)

    def _generate(self, prompt: Prompt, words: int, log: list[dict[str, Any]], decoding: Any = None) -> str:
        result = self.model.generate(
            prompt.as_messages(), max_new_tokens=int(words * TOKENS_PER_WORD) + 40, options=decoding
        )
        log.append({"task": prompt.task, "prompt_tokens": result.prompt_tokens,
                    "new_tokens": result.new_tokens, "seconds": round(result.seconds, 3)})
        return clean_generation(result.text)

    def generate_text(self, prompt: Prompt, words: int, log: list[dict[str, Any]], options: Options) -> str:
        """The model's answer to any rendered prompt of about ``words`` words, cleaned."""
        return self._generate(prompt, words, log, self._decoding(options))

    def write(self, evidence: Evidence, selected: list[Selected], options: Options) -> Draft:
        from summarize.evidence.select import select
        from summarize.nlp import segment
        from summarize.write import prompting

        words = options.words
        pool = select(evidence, int(words * EVIDENCE_FACTOR * max(1.0, len(evidence.story.articles) / 8)),
                      max_sentence_words=options.sentence_words)
        withheld = [s.text for s in pool if looks_like_instructions(s.text)]
        pool = [s for s in pool if not looks_like_instructions(s.text)]
        items = [EvidenceItem(n=i + 1, text=s.text, support=s.group.support) for i, s in enumerate(pool)]
        title = next((a.title for a in evidence.story.articles
                      if a.title and not looks_like_instructions(a.title)), "")
        disagreements = [
            f"{c.topic}: one outlet says \"{c.a.text}\", another says \"{c.b.text}\""
            for c in evidence.conflicts[:3]
        ]
        log: list[dict[str, Any]] = []
        decoding = self._decoding(options)
        slices = self._slices(items)
        if len(slices) > 1:  # map: condense each slice, then brief the condensed parts
            fused = []
            for k, part in enumerate(slices, start=1):
                prompt = prompting.render("fusion", evidence=part, title=title, part=k, parts=len(slices),
                                          words=max(40, 2 * words // len(slices)))
                fused.append(self._generate(prompt, 2 * words // len(slices) + 40, log, decoding))
            items = [EvidenceItem(n=i + 1, text=t, support=0) for i, t in enumerate(fused) if t]
        sentences = max(3, round(words / 24))
        prompt = prompting.render("brief", evidence=items, title=title, words=words,
                                  sentences=sentences, disagreements=disagreements)
        text = self._generate(prompt, words, log, decoding)
        written = tuple(segment.split(text))
        return Draft(
            sentences=written,
            origins=(None,) * len(written),
            metadata={
                "writer": self.name,
                "model": getattr(self.model, "spec", self.spec),
                "runtime": getattr(self.model, "runtime", None),  # backend and CPU flags
                "prompt": prompt.describe(),
                "map_reduce_slices": len(slices),
                "evidence_items": len(pool),
                "withheld_evidence": withheld,  # read as instructions to the model (injection)
                "claim_groups": len(evidence.groups),
                "generations": log,
                "decoding": {"sample": options.sample, "temperature": options.temperature,
                             "top_p": options.top_p, "seed": options.seed} if options.sample
                else {"sample": False},
                "raw": text,
            },
        )

    def _slices(self, items: list[EvidenceItem]) -> list[list[EvidenceItem]]:
        def tokens(item: EvidenceItem) -> int:
            return self.model.count_tokens(item.text) + 8

        total = sum(tokens(i) for i in items)
        if total <= MAX_PROMPT_TOKENS:
            return [items]
        slices: list[list[EvidenceItem]] = [[]]
        used = 0
        for item in items:
            t = tokens(item)
            if slices[-1] and used + t > SLICE_TOKENS:
                slices.append([])
                used = 0
            slices[-1].append(item)
            used += t
        return slices

