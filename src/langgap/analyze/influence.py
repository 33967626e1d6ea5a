"""Which training examples, in which language, make a model refuse: influence functions (EK-FAC).

Training examples (prompt, response, language) are scored against query prompts with kronfluence:
each score estimates how much training on that example raises the probability of the query's
target reply (for a harmful query, a refusal in the query's language). Scores are aggregated by
training-example language into a training-language × query-language matrix, and the most
influential examples are listed per query.

Loss and measurement are the summed token cross-entropy of the response given the prompt (the
chat-templated conversation), so a positive score marks a *proponent* (training on it lowers the
query reply's loss, i.e. makes the reply more likely) and a negative one an *opponent*.

    >>> result = influence_scores(model, tok, train, queries, out_dir="runs/influence")
    >>> result.by_language().mean  # [n_train_languages, n_query_languages]
"""

from __future__ import annotations

import fnmatch
import importlib.metadata
import json
import logging
import os
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
import yaml
from numpy.typing import NDArray
from torch import nn

from langgap._gc import long_lived_objects_frozen
from langgap.analyze.activations import ActivationError, Prompt, check_layers, find_layers
from langgap.analyze.directions import canonical_language
from langgap.analyze.experiment import digest
from langgap.analyze.models import fingerprint as model_fingerprint

Strategy = Literal["ekfac", "kfac", "diagonal", "identity"]
STRATEGIES: tuple[str, ...] = ("ekfac", "kfac", "diagonal", "identity")
ModuleSelection = Literal["mlp", "all"]

IGNORE = -100  # label of tokens outside the loss: the prompt and the padding
KRONFLUENCE_DIR = "kronfluence"  # under out_dir: fitted factors and raw scores, reused by reruns
ANALYSIS_NAME = "influence"
MEASUREMENT = (
    "summed token cross-entropy of the response given the prompt; "
    "positive score = training on the example lowers it (makes the reply more likely)"
)

# Names of feed-forward sublayers across architectures (Llama/Qwen/Gemma/SmolLM `mlp`, GPT-2
# `mlp.c_fc`, OPT `fc1`/`fc2`, GPT-J `mlp.fc_in`, Falcon/Bloom/NeoX `dense_h_to_4h`, MPT `ffn`,
# Mixtral `block_sparse_moe`).
_MLP = re.compile(
    r"(?:^|\.)(?:mlp|ffn|feed_forward|feedforward|fc1|fc2|fc_in|fc_out|dense_h_to_4h|"
    r"dense_4h_to_h|block_sparse_moe|experts)(?:\.|$)"
)


class InfluenceError(ValueError):
    """Bad input to the influence analysis: data, languages, module selection or settings."""


@dataclass(frozen=True)
class TrainExample:
    """One conversation: a user prompt, the assistant's response, its language and a stable id.

    Queries use the same record: their response is the target reply whose probability is
    measured (a refusal reply in the query's language for harmful prompts, see `refusal_queries`).
    """

    prompt: str
    response: str
    language: str
    id: str


# --------------------------------------------------------------------------------------------
# Data


def load_examples(path: str | Path, *, response_optional: bool = False) -> list[TrainExample]:
    """Examples from a JSONL file: one object a line with prompt, response, language and id.

    `id` is optional (default: file stem and line number). With `response_optional`, a line
    without a response gets the refusal reply of its language (for query files of harmful
    prompts). Languages are normalised to ISO 639-3 codes. Errors name the file, line and field.
    """
    path = Path(path)
    if not path.is_file():
        raise InfluenceError(f"{path}: file not found")
    examples: list[TrainExample] = []
    first_line: dict[str, int] = {}
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            example = _parse_line(line, where, f"{path.stem}:{lineno}", response_optional)
            if example.id in first_line:
                raise InfluenceError(
                    f"{where}: id {example.id!r} repeats line {first_line[example.id]}; "
                    "give every example its own id"
                )
            first_line[example.id] = lineno
            examples.append(example)
    if not examples:
        raise InfluenceError(f"{path}: no examples (the file is empty)")
    return examples


def _parse_line(line: str, where: str, default_id: str, response_optional: bool) -> TrainExample:
    fields = "fields prompt, response, language (and optionally id)"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InfluenceError(
            f"{where}: not valid JSON ({exc.msg}, column {exc.colno}); "
            f"write one JSON object per line with {fields}"
        ) from None
    if not isinstance(record, dict):
        raise InfluenceError(f"{where}: expected a JSON object with {fields}")
    prompt = _text_field(record, "prompt", where, fields)
    language = canonical_language(_text_field(record, "language", where, fields))
    if response_optional and record.get("response") is None:
        try:
            response = refusal_reply(language)
        except InfluenceError as exc:
            raise InfluenceError(f"{where}: no response given and {exc}") from None
    else:
        response = _text_field(record, "response", where, fields)
    raw_id = record.get("id")
    if raw_id is None:
        example_id = default_id
    elif isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) and str(raw_id).strip():
        example_id = str(raw_id)
    else:
        raise InfluenceError(f"{where}: field 'id' must be a non-empty string or an integer")
    return TrainExample(prompt=prompt, response=response, language=language, id=example_id)


def _text_field(record: dict[str, Any], name: str, where: str, fields: str) -> str:
    if name not in record or record[name] is None:
        raise InfluenceError(f"{where}: field {name!r} is missing; each line needs {fields}")
    value = record[name]
    if not isinstance(value, str) or not value.strip():
        raise InfluenceError(f"{where}: field {name!r} must be a non-empty string")
    return value


@cache
def _replies() -> dict[str, str]:
    text = resources.files("langgap.analyze").joinpath("refusal_replies.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return {str(code): str(reply) for code, reply in data.items()}


def refusal_replies() -> dict[str, str]:
    """The refusal reply of every language that has one, by ISO 639-3 code."""
    return dict(_replies())


def refusal_reply(language: str) -> str:
    """A short refusal ("I'm sorry, but I can't help with that.") in a language (any code)."""
    code = canonical_language(language)
    replies = _replies()
    if code not in replies:
        raise InfluenceError(
            f"no refusal reply for language {language!r}; available: {', '.join(sorted(replies))} "
            "(add one to langgap/analyze/refusal_replies.yaml, or give the query a response)"
        )
    return replies[code]


def refusal_queries(prompts: Sequence[Prompt]) -> list[TrainExample]:
    """Queries from (harmful) prompts: the target reply is the refusal in the prompt's language."""
    queries = []
    for prompt in prompts:
        if not prompt.language:
            raise InfluenceError(f"prompt {prompt.id} has no language; a refusal query needs one")
        language = canonical_language(prompt.language)
        queries.append(TrainExample(prompt.text, refusal_reply(language), language, prompt.id))
    return queries


@dataclass(frozen=True)
class Encoded:
    """Token ids of one example and its labels (IGNORE outside the response)."""

    input_ids: list[int]
    labels: list[int]
    truncated: bool


def encode_example(tokenizer: Any, example: TrainExample, max_length: int) -> Encoded:
    """Chat-templated tokens of a conversation with the loss on the response tokens only.

    Without a chat template the prompt and response are joined by a newline and the response
    ends with the eos token. Over `max_length`, the prompt is cut at its start (the tokens right
    before the response, such as the assistant header, survive) down to a quarter of the window;
    only a response longer than the remaining three quarters is cut, at its end.
    """
    if max_length < 2:
        raise InfluenceError(f"max_length must be at least 2, got {max_length}")
    prompt_ids, response_ids = _split_ids(tokenizer, example)
    if not prompt_ids or not response_ids:
        part = "prompt" if not prompt_ids else "response"
        raise InfluenceError(f"example {example.id}: the {part} encodes to no tokens")
    truncated = len(prompt_ids) + len(response_ids) > max_length
    if truncated:
        keep_prompt = min(len(prompt_ids), max(1, max_length // 4))
        response_ids = response_ids[: max_length - keep_prompt]
        prompt_ids = prompt_ids[len(prompt_ids) - (max_length - len(response_ids)) :]
    return Encoded(
        input_ids=prompt_ids + response_ids,
        labels=[IGNORE] * len(prompt_ids) + response_ids,
        truncated=truncated,
    )


def has_chat_template(tokenizer: Any) -> bool:
    """Whether the tokenizer formats conversations with a chat template."""
    return getattr(tokenizer, "chat_template", None) is not None


def _split_ids(tokenizer: Any, example: TrainExample) -> tuple[list[int], list[int]]:
    if not has_chat_template(tokenizer):
        eos = getattr(tokenizer, "eos_token", None) or ""
        prompt = tokenizer(f"{example.prompt}\n", add_special_tokens=True)["input_ids"]
        response = tokenizer(f"{example.response}{eos}", add_special_tokens=False)["input_ids"]
        return list(prompt), list(response)
    user = {"role": "user", "content": example.prompt}
    head = str(tokenizer.apply_chat_template([user], tokenize=False, add_generation_prompt=True))
    full = str(
        tokenizer.apply_chat_template(
            [user, {"role": "assistant", "content": example.response}], tokenize=False
        )
    )
    head_ids = list(tokenizer(head, add_special_tokens=False)["input_ids"])
    full_ids = list(tokenizer(full, add_special_tokens=False)["input_ids"])
    # The whole conversation is tokenized as the model reads it; the response starts at the first
    # token where it stops matching the generation prompt: in most templates exactly the prompt's
    # end, and at a token boundary in templates that render the last assistant turn differently.
    cut = next(
        (i for i, (a, b) in enumerate(zip(head_ids, full_ids, strict=False)) if a != b), None
    )
    cut = min(len(head_ids), len(full_ids)) if cut is None else cut
    if cut == len(full_ids):
        raise InfluenceError(f"example {example.id}: the chat template dropped the response")
    return full_ids[:cut], full_ids[cut:]


class _Dataset(torch.utils.data.Dataset[dict[str, torch.Tensor]]):
    """Encoded examples as the dict items kronfluence's loaders expect."""

    def __init__(self, rows: Sequence[Encoded]) -> None:
        self.rows = list(rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        row = self.rows[index]
        return {
            "input_ids": torch.tensor(row.input_ids, dtype=torch.long),
            "labels": torch.tensor(row.labels, dtype=torch.long),
        }


class _Collate:
    """Right-pads a batch: pad id in input_ids, 0 in attention_mask, IGNORE in labels."""

    def __init__(self, pad_id: int) -> None:
        self.pad_id = pad_id

    def __call__(self, items: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        width = max(len(item["input_ids"]) for item in items)
        ids = torch.full((len(items), width), self.pad_id, dtype=torch.long)
        labels = torch.full((len(items), width), IGNORE, dtype=torch.long)
        mask = torch.zeros((len(items), width), dtype=torch.long)
        for row, item in enumerate(items):
            n = len(item["input_ids"])
            ids[row, :n] = item["input_ids"]
            labels[row, :n] = item["labels"]
            mask[row, :n] = 1
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Influential:
    """One training example in a query's top list."""

    id: str
    language: str
    score: float


@dataclass(frozen=True)
class QueryTop:
    """A query's most helpful (proponents, score > 0) and most harmful (opponents, < 0) examples."""

    query_id: str
    query_language: str
    proponents: list[Influential]
    opponents: list[Influential]


@dataclass
class LanguageInfluence:
    """Influence aggregated by language: rows are training languages, columns query languages."""

    train_languages: list[str]
    query_languages: list[str]
    mean: NDArray[np.float64]  # mean score over (query, training example) pairs of each cell
    top_share: NDArray[np.float64]  # share of each query's k highest scores held by the row
    k: int
    n_train: dict[str, int]
    n_query: dict[str, int]

    def train_share(self) -> NDArray[np.float64]:
        """Each training language's share of the training set: the top-k share under no effect."""
        total = sum(self.n_train.values())
        return np.array([self.n_train[lang] / total for lang in self.train_languages])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: languages, counts and both matrices (rows = training languages)."""
        return {
            "train_languages": self.train_languages,
            "query_languages": self.query_languages,
            "mean": _matrix(self.mean),
            "top_share": _matrix(self.top_share),
            "k": self.k,
            "train_share": [float(v) for v in self.train_share()],
            "n_train": self.n_train,
            "n_query": self.n_query,
        }


@dataclass
class InfluenceResult:
    """Pairwise influence scores [n_queries, n_train] with ids, languages and the run's config."""

    scores: NDArray[np.float64]
    train_ids: list[str]
    train_languages: list[str]
    query_ids: list[str]
    query_languages: list[str]
    config: dict[str, Any] = field(default_factory=dict)
    # The examples themselves, for include_text only: never written unless asked for.
    train: list[TrainExample] = field(default_factory=list, repr=False)
    queries: list[TrainExample] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.scores = np.asarray(self.scores, dtype=np.float64)
        want = (len(self.query_ids), len(self.train_ids))
        if self.scores.shape != want:
            raise InfluenceError(
                f"scores have shape {self.scores.shape}, but there are {want[0]} queries and "
                f"{want[1]} training examples"
            )
        if len(self.train_languages) != want[1] or len(self.query_languages) != want[0]:
            raise InfluenceError("one language per training example and per query is needed")

    def by_language(self, k: int = 10) -> LanguageInfluence:
        """Training-language × query-language mean score and top-k share (languages sorted)."""
        if not self.train_ids or not self.query_ids:
            raise InfluenceError("no scores to aggregate: no training examples or no queries")
        k = _check_k(k, len(self.train_ids))
        rows = sorted(set(self.train_languages))
        cols = sorted(set(self.query_languages))
        train_lang = np.array(self.train_languages)
        query_lang = np.array(self.query_languages)
        top = _top_indices(self.scores, k)  # [n_queries, k]
        mean = np.zeros((len(rows), len(cols)))
        share = np.zeros((len(rows), len(cols)))
        for j, q_lang in enumerate(cols):
            q_rows = np.flatnonzero(query_lang == q_lang)
            top_langs = train_lang[top[q_rows]]  # [n_queries of q_lang, k]
            for i, t_lang in enumerate(rows):
                cols_t = np.flatnonzero(train_lang == t_lang)
                mean[i, j] = self.scores[np.ix_(q_rows, cols_t)].mean()
                share[i, j] = (top_langs == t_lang).mean()
        return LanguageInfluence(
            train_languages=rows,
            query_languages=cols,
            mean=mean,
            top_share=share,
            k=k,
            n_train={lang: int((train_lang == lang).sum()) for lang in rows},
            n_query={lang: int((query_lang == lang).sum()) for lang in cols},
        )

    def top(self, k: int = 10) -> list[QueryTop]:
        """Per query, the k highest positive and k lowest negative scores (ties: input order)."""
        k = _check_k(k, len(self.train_ids))
        order = np.argsort(-self.scores, axis=1, kind="stable")
        out = []
        for q, row in enumerate(self.scores):
            pro = [int(i) for i in order[q, :k] if row[i] > 0]
            low = np.argsort(row, kind="stable")[:k]
            con = [int(i) for i in low if row[i] < 0]
            out.append(
                QueryTop(
                    query_id=self.query_ids[q],
                    query_language=self.query_languages[q],
                    proponents=[self._influential(i, row[i]) for i in pro],
                    opponents=[self._influential(i, row[i]) for i in con],
                )
            )
        return out

    def _influential(self, index: int, score: float) -> Influential:
        return Influential(self.train_ids[index], self.train_languages[index], float(score))

    def to_dict(self, *, k: int = 10, include_text: bool = False) -> dict[str, Any]:
        """JSON-ready: config, ids, languages, scores, language matrices and top lists.

        Prompt and response text stay out unless `include_text` (the harmful prompts are test
        material); ids identify every example.
        """
        data: dict[str, Any] = {
            "config": self.config,
            "shape": list(self.scores.shape),
            "train": {"ids": self.train_ids, "languages": self.train_languages},
            "queries": {"ids": self.query_ids, "languages": self.query_languages},
            "scores": _matrix(self.scores),
            "by_language": self.by_language(k).to_dict(),
            "top": [_top_dict(t) for t in self.top(k)],
        }
        if include_text:
            if not self.train or not self.queries:
                raise InfluenceError("include_text: this result does not hold the examples")
            data["train"]["examples"] = [_text(e) for e in self.train]
            data["queries"]["examples"] = [_text(e) for e in self.queries]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InfluenceResult:
        """Read what `to_dict` wrote (without the examples' text)."""
        return cls(
            scores=np.array(data["scores"], dtype=np.float64).reshape(data["shape"]),
            train_ids=list(data["train"]["ids"]),
            train_languages=list(data["train"]["languages"]),
            query_ids=list(data["queries"]["ids"]),
            query_languages=list(data["queries"]["languages"]),
            config=dict(data.get("config", {})),
        )

    @classmethod
    def load(cls, path: str | Path) -> InfluenceResult:
        """Read an influence.json written by `write_influence_report`."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def _check_k(k: int, n: int) -> int:
    if k < 1:
        raise InfluenceError(f"k must be at least 1, got {k}")
    return min(k, n)


def _top_indices(scores: NDArray[np.float64], k: int) -> NDArray[np.int64]:
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def _matrix(values: NDArray[np.float64]) -> list[list[float | None]]:
    return [[float(v) if np.isfinite(v) else None for v in row] for row in values]


def _top_dict(top: QueryTop) -> dict[str, Any]:
    def items(xs: list[Influential]) -> list[dict[str, Any]]:
        return [{"id": x.id, "language": x.language, "score": x.score} for x in xs]

    return {
        "query_id": top.query_id,
        "query_language": top.query_language,
        "proponents": items(top.proponents),
        "opponents": items(top.opponents),
    }


def _text(example: TrainExample) -> dict[str, str]:
    return {"id": example.id, "prompt": example.prompt, "response": example.response}


# --------------------------------------------------------------------------------------------
# Tracked modules


@dataclass(frozen=True)
class _Candidate:
    name: str  # full module name in the model
    layer: int | None  # decoder block index, None outside the blocks
    conv1d: bool  # a transformers Conv1D (GPT-2), tracked as an equivalent nn.Linear


def tracked_modules(
    model: nn.Module,
    modules: ModuleSelection | Sequence[str] = "mlp",
    layers: Sequence[int] | None = None,
) -> list[str]:
    """Full names of the linear modules whose weights the influence scores cover.

    "mlp": the feed-forward linear layers of each decoder block; "all": every linear layer in the
    blocks; otherwise module names or fnmatch patterns (`model.layers.*.mlp.down_proj`), matched
    against every linear layer of the model. `layers` keeps only those decoder blocks.
    """
    return [c.name for c in _select(model, modules, layers)]


def _candidates(model: nn.Module) -> list[_Candidate]:
    blocks = find_layers(model)
    names = {id(m): name for name, m in model.named_modules()}
    prefix = names[id(blocks)]
    conv1d = _conv1d_type()
    found = []
    for name, module in model.named_modules():
        is_conv = conv1d is not None and isinstance(module, conv1d)
        if not (isinstance(module, nn.Linear) or is_conv):
            continue
        layer = None
        if name.startswith(prefix + "."):
            layer = int(name[len(prefix) + 1 :].split(".", 1)[0])
        found.append(_Candidate(name, layer, is_conv))
    return found


def _select(
    model: nn.Module, modules: ModuleSelection | Sequence[str], layers: Sequence[int] | None
) -> list[_Candidate]:
    candidates = _candidates(model)
    n_blocks = len(find_layers(model))
    wanted = _check_layers(layers, n_blocks)
    in_blocks = [c for c in candidates if c.layer is not None and c.layer in wanted]
    if modules == "mlp":
        chosen = [c for c in in_blocks if _MLP.search(_relative(c.name))]
        if not chosen:
            raise InfluenceError(
                "no feed-forward (MLP) linear layer found in the decoder blocks; the linear "
                f"layers of block {wanted[0]} are {_listing(candidates, wanted[0])}; pass "
                "modules='all' or a list of module names"
            )
        return chosen
    if modules == "all":
        if not in_blocks:
            raise InfluenceError(
                f"the decoder blocks hold no linear layers (nn.Linear or Conv1D); "
                f"linear layers of the model: {_listing(candidates, None)}"
            )
        return in_blocks
    if isinstance(modules, str):
        raise InfluenceError(
            f"modules={modules!r}: use 'mlp', 'all' or a list of module names / patterns"
        )
    pool = [c for c in candidates if c.layer is None or c.layer in wanted]
    chosen_names: set[str] = set()
    for pattern in modules:
        hits = {c.name for c in pool if fnmatch.fnmatchcase(c.name, pattern)}
        if not hits:
            raise InfluenceError(
                f"module pattern {pattern!r} matches no linear layer; those of block "
                f"{wanted[0]} are {_listing(candidates, wanted[0])}; outside the blocks: "
                f"{_listing([c for c in candidates if c.layer is None], None)}"
            )
        chosen_names |= hits
    return [c for c in pool if c.name in chosen_names]


def _relative(name: str) -> str:
    # "model.layers.3.mlp.up_proj" -> "mlp.up_proj": the part inside the block.
    parts = name.split(".")
    for i, part in enumerate(parts):
        if part.isdigit():
            return ".".join(parts[i + 1 :])
    return name


def _listing(candidates: Sequence[_Candidate], layer: int | None) -> str:
    names = [c.name for c in candidates if c.layer == layer]
    return ", ".join(names) or "(none)"


def _check_layers(layers: Sequence[int] | None, n: int) -> list[int]:
    try:
        return sorted(check_layers(sorted(set(layers)) if layers else layers, n))
    except ActivationError as exc:
        raise InfluenceError(str(exc)) from None


def _conv1d_type() -> type[nn.Module] | None:
    try:
        from transformers.pytorch_utils import Conv1D
    except ImportError:  # pragma: no cover - transformers is part of the analyze extra
        return None
    return Conv1D


@contextmanager
def _linearised(model: nn.Module, names: Sequence[str]) -> Iterator[None]:
    """Swap GPT-2 Conv1D modules for nn.Linear views of the same weights, restored afterwards.

    kronfluence tracks nn.Linear and nn.Conv2d only; Conv1D computes x @ W + b, which is a
    Linear layer with weight W.T. The Linear shares the Conv1D's storage (no copy).
    """
    swapped: list[tuple[nn.Module, str, nn.Module]] = []
    try:
        for name in names:
            parent_name, _, attr = name.rpartition(".")
            parent = model.get_submodule(parent_name)
            conv = getattr(parent, attr)
            n_in, n_out = conv.weight.shape
            linear = nn.Linear(n_in, n_out, bias=conv.bias is not None, device="meta")
            linear.weight = nn.Parameter(conv.weight.detach().t(), requires_grad=False)
            if conv.bias is not None:
                linear.bias = conv.bias
            setattr(parent, attr, linear)
            swapped.append((parent, attr, conv))
        yield
    finally:
        for parent, attr, conv in reversed(swapped):
            setattr(parent, attr, conv)


@contextmanager
def _prepared(model: nn.Module, task: Any) -> Iterator[nn.Module]:
    """kronfluence's prepare_model, undone afterwards: wrappers off, grad flags and mode back."""
    from kronfluence.analyzer import prepare_model  # type: ignore[import-untyped]
    from kronfluence.module.tracked_module import TrackedModule  # type: ignore[import-untyped]

    training = model.training
    flags = [(p, p.requires_grad) for p in model.parameters()]
    try:
        yield prepare_model(model, task)
    finally:
        wrapped = [(n, m) for n, m in model.named_modules() if isinstance(m, TrackedModule)]
        for name, module in wrapped:
            parent_name, _, attr = name.rpartition(".")
            setattr(model.get_submodule(parent_name), attr, module.original_module)
        for param, flag in flags:
            param.requires_grad_(flag)
        model.train(training)


# --------------------------------------------------------------------------------------------
# kronfluence task and run


def _response_loss(
    model: nn.Module,
    batch: dict[str, torch.Tensor],
    sample: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> torch.Tensor:
    """Summed cross-entropy of the response tokens; with `sample`, of labels drawn from the model.

    Sampled labels give the true Fisher that kronfluence fits its factors on.
    """
    out = model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], use_cache=False
    )
    labels = batch["labels"][:, 1:]
    keep = labels != IGNORE
    logits = out.logits[:, :-1][keep].float()  # [n response tokens, vocab]
    target = labels[keep]
    if sample is not None:
        with torch.no_grad():
            target = sample(logits.detach())
    loss: torch.Tensor = nn.functional.cross_entropy(logits, target, reduction="sum")
    return loss


def _make_task(modules: list[str], seed: int) -> Any:
    from kronfluence.task import Task  # type: ignore[import-untyped]

    class CausalLMTask(Task):  # type: ignore[misc]  # kronfluence ships no type information
        """Loss and measurement: summed cross-entropy on the response tokens."""

        def __init__(self) -> None:
            self.modules = modules
            self.generators: dict[torch.device, torch.Generator] = {}

        def _sample(self, logits: torch.Tensor) -> torch.Tensor:
            gen = self.generators.get(logits.device)
            if gen is None:
                gen = self.generators[logits.device] = torch.Generator(logits.device)
                gen.manual_seed(seed)
            probs = torch.softmax(logits, dim=-1)
            return torch.multinomial(probs, 1, generator=gen).squeeze(-1)

        def compute_train_loss(
            self, batch: dict[str, torch.Tensor], model: nn.Module, sample: bool = False
        ) -> torch.Tensor:
            return _response_loss(model, batch, self._sample if sample else None)

        def compute_measurement(
            self, batch: dict[str, torch.Tensor], model: nn.Module
        ) -> torch.Tensor:
            return _response_loss(model, batch)

        def get_influence_tracked_modules(self) -> list[str]:
            return self.modules

        def get_attention_mask(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
            return batch["attention_mask"]

    return CausalLMTask()


def influence_scores(
    model: nn.Module,
    tokenizer: Any,
    train: Sequence[TrainExample],
    queries: Sequence[TrainExample],
    *,
    out_dir: str | Path,
    strategy: Strategy = "ekfac",
    modules: ModuleSelection | Sequence[str] = "mlp",
    layers: Sequence[int] | None = None,
    max_length: int = 512,
    train_batch_size: int = 8,
    query_batch_size: int = 8,
    damping: float | None = None,
    seed: int = 0,
) -> InfluenceResult:
    """Influence of each training example on each query's reply, with kronfluence.

    Factors (covariances, eigendecomposition, EK-FAC corrections) are fitted on `train` with the
    true Fisher (labels sampled from the model, seeded by `seed`), then pairwise scores
    g_query · H⁻¹ g_train are computed. Everything kronfluence writes lives under
    `out_dir/kronfluence`, named by a hash of the model, config and data: a rerun with the same
    inputs reuses the fitted factors and scores, and an interrupted run resumes from the last
    finished stage. `damping=None` uses kronfluence's heuristic (0.1 × mean eigenvalue).
    The model runs where it is (CPU or CUDA) and is left as it was found.
    """
    if strategy not in STRATEGIES:
        raise InfluenceError(f"unknown strategy {strategy!r}; available: {', '.join(STRATEGIES)}")
    if not train:
        raise InfluenceError("the training set is empty; give at least one training example")
    if not queries:
        raise InfluenceError("no queries; give at least one query prompt")
    for name, value in [
        ("train_batch_size", train_batch_size),
        ("query_batch_size", query_batch_size),
    ]:
        if value < 1:
            raise InfluenceError(f"{name} must be at least 1, got {value}")
    _check_examples(train, "training")
    _check_examples(queries, "query")
    selected = _select(model, modules, layers)
    names = [c.name for c in selected]
    train_rows = [encode_example(tokenizer, e, max_length) for e in train]
    query_rows = [encode_example(tokenizer, e, max_length) for e in queries]

    from kronfluence import (  # type: ignore[import-untyped]
        Analyzer,
        FactorArguments,
        ScoreArguments,
    )
    from kronfluence.utils.dataset import DataLoaderKwargs  # type: ignore[import-untyped]

    factor_args = FactorArguments(strategy=strategy)
    score_args = ScoreArguments(damping_factor=damping)
    config: dict[str, Any] = {
        "model": _model_name(model),
        "strategy": strategy,
        "modules": modules if isinstance(modules, str) else list(modules),
        "layers": None if layers is None else _check_layers(layers, len(find_layers(model))),
        "tracked_modules": names,
        "max_length": max_length,
        "train_batch_size": train_batch_size,
        "query_batch_size": query_batch_size,
        "damping": damping,
        "seed": seed,
        "chat_template": has_chat_template(tokenizer),
        "fisher": "true (labels sampled from the model)",
        "measurement": MEASUREMENT,
        "kronfluence_version": importlib.metadata.version("kronfluence"),
        "torch_version": str(torch.__version__).split("+")[0],
        "n_train": len(train),
        "n_queries": len(queries),
        "n_truncated_train": sum(r.truncated for r in train_rows),
        "n_truncated_queries": sum(r.truncated for r in query_rows),
    }
    fingerprint = model_fingerprint(model, tokenizer)
    factors_key = digest(
        fingerprint, strategy, names, factor_args.to_dict(), seed, [_row_key(r) for r in train_rows]
    )
    scores_key = digest(factors_key, score_args.to_dict(), [_row_key(r) for r in query_rows])
    config["factors_name"] = f"{strategy}-{factors_key[:16]}"
    config["scores_name"] = f"{strategy}-{scores_key[:16]}"

    device = next(model.parameters()).device
    pad_id = _pad_id(tokenizer)
    loader_kwargs = DataLoaderKwargs(num_workers=0, collate_fn=_Collate(pad_id))
    conv_names = [c.name for c in selected if c.conv1d]
    task = _make_task(names, seed)
    with (
        _quiet(),
        long_lived_objects_frozen(),
        _linearised(model, conv_names),
        _prepared(model, task) as prepared,
    ):
        _reset_kronfluence_state()
        analyzer = Analyzer(
            analysis_name=ANALYSIS_NAME,
            model=prepared,
            task=task,
            cpu=device.type == "cpu",
            log_level=logging.WARNING,
            disable_tqdm=True,
            output_dir=str(Path(out_dir) / KRONFLUENCE_DIR),
        )
        analyzer.set_dataloader_kwargs(loader_kwargs)
        analyzer.fit_all_factors(
            factors_name=config["factors_name"],
            dataset=_Dataset(train_rows),
            per_device_batch_size=train_batch_size,
            factor_args=factor_args,
        )
        analyzer.compute_pairwise_scores(
            scores_name=config["scores_name"],
            factors_name=config["factors_name"],
            query_dataset=_Dataset(query_rows),
            train_dataset=_Dataset(train_rows),
            per_device_query_batch_size=query_batch_size,
            per_device_train_batch_size=train_batch_size,
            score_args=score_args,
        )
        loaded = analyzer.load_pairwise_scores(config["scores_name"])
    if next(model.parameters()).device != device:
        model.to(device)
    scores = loaded["all_modules"].double().cpu().numpy()
    return InfluenceResult(
        scores=scores,
        train_ids=[e.id for e in train],
        train_languages=[canonical_language(e.language) for e in train],
        query_ids=[e.id for e in queries],
        query_languages=[canonical_language(e.language) for e in queries],
        config=config,
        train=list(train),
        queries=list(queries),
    )


@contextmanager
def _quiet() -> Iterator[None]:
    # kronfluence 1.0 builds torch.cuda.amp.GradScaler, deprecated in torch 2.4+: not ours to fix.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*GradScaler", category=FutureWarning)
        yield


def _check_examples(examples: Sequence[TrainExample], what: str) -> None:
    seen: set[str] = set()
    for example in examples:
        if not example.language or not example.language.strip():
            raise InfluenceError(f"{what} example {example.id!r} has no language")
        if example.id in seen:
            raise InfluenceError(f"{what} id {example.id!r} appears twice; ids must be unique")
        seen.add(example.id)


def _pad_id(tokenizer: Any) -> int:
    for attr in ("pad_token_id", "eos_token_id"):
        value = getattr(tokenizer, attr, None)
        if isinstance(value, int):
            return value
    return 0  # padding is masked out of attention and loss, so any id will do


def _reset_kronfluence_state() -> None:
    # kronfluence keeps its device in a process-wide singleton fixed at first use; a run on
    # another device than the previous one must start it afresh (not under torchrun).
    from kronfluence.utils.state import State  # type: ignore[import-untyped]

    if int(os.environ.get("LOCAL_RANK", -1)) == -1:
        State._reset_state()


def _row_key(row: Encoded) -> list[list[int]]:
    return [row.input_ids, row.labels]


def _model_name(model: nn.Module) -> str:
    config = getattr(model, "config", None)
    name = getattr(config, "_name_or_path", "") or ""
    return str(name) or type(model).__name__
