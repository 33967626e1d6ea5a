"""Training and evaluation data of the fine-tuning transfer experiment (`langgap analyze transfer`).

Evaluation prompts come from the benchmark's test split (the same pair ids in every language, so
languages compare item for item). Training prompts come from its train split where a language has
one, otherwise from test pair ids that no evaluation prompt uses in any language (PolyRefuse has no
English train split). Training and evaluation never share an id, a pair id or a prompt text.

Targets: a harmful prompt gets a refusal in its own language (refusal_templates.yaml, each one
read as `refused` by the evaluation layer's judge); a harmless prompt gets the base model's own
greedy reply, so the model is not taught to refuse everything. DPO pairs put the refusal against
the base model's reply to a harmful prompt, and the base reply against a refusal for a harmless
one. Users may bring their own rows instead (`langgap datagen` SFT or DPO JSONL).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from langgap.analyze.common.activations import Prompt
from langgap.languages import counting_code

TEMPLATES_FILE = Path(__file__).with_name("refusal_templates.yaml")
ALL = "all"
_SENTENCE_END = re.compile(r"[.!?。！？।؟]")


class TransferDataError(ValueError):
    """The data asked for does not exist or a training file is malformed (message says where)."""


@cache
def refusal_templates() -> dict[str, tuple[str, ...]]:
    """Refusal replies by ISO 639-3 code, from refusal_templates.yaml."""
    data: Any = yaml.safe_load(TEMPLATES_FILE.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise TransferDataError(f"{TEMPLATES_FILE}: expected a mapping of language -> replies")
    out: dict[str, tuple[str, ...]] = {}
    for code, replies in data.items():
        if not isinstance(replies, list) or not all(isinstance(r, str) and r for r in replies):
            raise TransferDataError(f"{TEMPLATES_FILE}: {code}: expected a list of replies")
        out[counting_code(str(code))] = tuple(replies)
    return out


def refusal_reply(language: str, key: str) -> str:
    """One refusal in `language`, chosen by `key` (a prompt id): stable across runs."""
    code = counting_code(language)
    replies = refusal_templates().get(code)
    if not replies:
        have = ", ".join(sorted(refusal_templates()))
        raise TransferDataError(
            f"no refusal replies for {language!r} ({code}) in {TEMPLATES_FILE.name}; languages "
            f"with replies: {have}. Fix: add some, or bring a training file (--train-file)"
        )
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return replies[int.from_bytes(digest[:4], "big") % len(replies)]


@dataclass(frozen=True)
class TrainExample:
    """One training row: a user prompt, the preferred reply and (DPO) the dispreferred one."""

    id: str
    language: str
    harmful: bool | None
    prompt: str
    chosen: str
    rejected: str | None = None
    source: str = ""

    def sft_row(self) -> dict[str, Any]:
        """Conversational prompt-completion row (loss on the completion only)."""
        return {
            "prompt": [{"role": "user", "content": self.prompt}],
            "completion": [{"role": "assistant", "content": self.chosen}],
        }

    def dpo_row(self) -> dict[str, Any]:
        """Conversational preference row."""
        if self.rejected is None:
            raise TransferDataError(f"{self.id}: no rejected reply, so no preference pair")
        return {
            "prompt": [{"role": "user", "content": self.prompt}],
            "chosen": [{"role": "assistant", "content": self.chosen}],
            "rejected": [{"role": "assistant", "content": self.rejected}],
        }


@dataclass
class PromptPools:
    """Evaluation prompts and per-language training prompts, provably disjoint."""

    benchmark: str
    available: list[str]  # every language of the benchmark (ISO 639-3)
    eval_languages: list[str]
    eval_prompts: list[Prompt]
    train_prompts: dict[str, list[Prompt]]  # language -> harmful then harmless
    sources: dict[str, dict[str, str]]  # language -> {"harmful"/"harmless": where from}
    dropped_overlap: dict[str, int] = field(default_factory=dict)  # language -> prompts dropped

    def summary(self) -> dict[str, Any]:
        """Counts, sources and the disjointness checks; ids only, never text."""
        counts: dict[str, dict[str, int]] = {}
        for p in self.eval_prompts:
            row = counts.setdefault(str(p.language), {"harmful": 0, "harmless": 0})
            row["harmful" if p.harmful else "harmless"] += 1
        return {
            "benchmark": self.benchmark,
            "available_languages": self.available,
            "eval_languages": self.eval_languages,
            "eval_counts": counts,
            "eval_ids": sorted(p.id for p in self.eval_prompts),
            "train_sources": self.sources,
            "train_counts": {
                lang: {
                    "harmful": sum(bool(p.harmful) for p in ps),
                    "harmless": sum(not p.harmful for p in ps),
                }
                for lang, ps in self.train_prompts.items()
            },
            "dropped_for_overlap": self.dropped_overlap,
            "disjoint": {"ids": True, "pair_ids": True, "texts": True},
        }


def resolve_languages(
    wanted: Sequence[str] | str, available: Sequence[str], what: str, benchmark: str
) -> list[str]:
    """Canonical codes of `wanted` ("all" = every available one); unknown ones raise."""
    if isinstance(wanted, str):
        if wanted.strip().casefold() == ALL:
            return list(available)
        wanted = [w for w in wanted.split(",") if w.strip()]
    out: list[str] = []
    missing: list[str] = []
    for query in wanted:
        if query.strip().casefold() == ALL:
            out += [a for a in available if a not in out]
            continue
        code = counting_code(query.strip())
        if code not in available:
            missing.append(f"{query!r} ({code})" if code != query else repr(query))
        elif code not in out:
            out.append(code)
    if missing:
        raise TransferDataError(
            f"{what}: {benchmark} has no {', '.join(missing)}; available: {', '.join(available)}"
        )
    if not out:
        raise TransferDataError(f"{what}: no languages given; available: {', '.join(available)}")
    return out


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _to_prompt(sample: Any) -> tuple[Prompt, str]:
    meta = sample.metadata or {}
    prompt = Prompt(
        text=str(sample.input),
        id=str(sample.id),
        language=str(meta.get("language")),
        harmful=bool(meta.get("harmful", True)),
    )
    return prompt, str(meta.get("pair_id") or sample.id)


@dataclass(frozen=True)
class _Picker:
    """Samples of one benchmark, drawn per language with one seed."""

    benchmark: str
    seed: int

    def pick(
        self, split: str | None, harmful: bool, langs: list[str], n: int, pool: list[Any]
    ) -> list[Any]:
        """`n` samples per language of `langs` (in `split` when given) from `pool`."""
        from langgap.evaluate.benchmarks import select

        chosen = [s for s in pool if (s.metadata or {}).get("language") in langs]
        if split is not None:
            chosen = [s for s in chosen if (s.metadata or {}).get("split") == split]
        if not chosen or n == 0:
            return []
        return select(
            chosen, benchmark=self.benchmark, harmful=harmful, sample_per_language=n, seed=self.seed
        )


@dataclass(frozen=True)
class _Held:
    """What the evaluation prompts use: training prompts must share none of it."""

    ids: set[str]
    pairs: set[str]
    texts: set[str]

    def keep(self, samples: list[Any], lang: str, dropped: dict[str, int]) -> list[Prompt]:
        """The samples' prompts that overlap no evaluation prompt; the rest counted as dropped."""
        kept: list[Prompt] = []
        for sample in samples:
            prompt, pair = _to_prompt(sample)
            if prompt.id in self.ids or pair in self.pairs or _norm(prompt.text) in self.texts:
                dropped[lang] = dropped.get(lang, 0) + 1
                continue
            kept.append(prompt)
        return kept


def _has_train_split(metas: list[dict[str, Any]], lang: str, harmful: bool) -> bool:
    """Whether the benchmark has train-split prompts of this language and harmfulness."""
    return any(
        m.get("language") == lang and m.get("split") == "train" and
        bool(m.get("harmful", True)) is harmful
        for m in metas
    )  # fmt: skip


def load_pools(
    benchmark: str,
    *,
    train_languages: Iterable[str],
    eval_languages: Sequence[str] | str,
    n_train: int,
    n_train_harmless: int,
    n_eval: int,
    seed: int = 0,
    data_dir: str | Path | None = None,
) -> PromptPools:
    """Evaluation and training prompts from a benchmark (name or table path), disjoint."""
    from langgap.evaluate.benchmarks import BenchmarkError, load_benchmark

    try:
        samples, report = load_benchmark(benchmark, data_dir=data_dir)
    except BenchmarkError as exc:
        raise TransferDataError(str(exc)) from exc
    name = report.benchmark
    metas = [s.metadata or {} for s in samples]
    available = sorted({str(m["language"]) for m in metas if m.get("language")})
    splits = {str(m.get("split")) for m in metas if m.get("split")}
    evals = resolve_languages(eval_languages, available, "eval languages", name)
    wanted_train = list(train_languages)
    # No training prompts asked (a user training file): its languages need not be the benchmark's.
    trains = (
        resolve_languages(wanted_train, available, "train languages", name)
        if n_train or n_train_harmless
        else []
    )
    eval_split = "test" if "test" in splits else None
    picker = _Picker(name, seed)
    eval_prompts: list[Prompt] = []
    eval_pairs: set[str] = set()
    for harmful in (True, False):
        for sample in picker.pick(eval_split, harmful, evals, n_eval, samples):
            prompt, pair = _to_prompt(sample)
            eval_prompts.append(prompt)
            eval_pairs.add(pair)
    if not any(p.harmful for p in eval_prompts):
        raise TransferDataError(f"{name}: no harmful evaluation prompts in {', '.join(evals)}")
    held = _Held({p.id for p in eval_prompts}, eval_pairs, {_norm(p.text) for p in eval_prompts})
    train_prompts, sources, dropped = _train_pools(
        trains, (n_train, n_train_harmless), samples, eval_split, picker, held
    )
    pools = PromptPools(name, available, evals, eval_prompts, train_prompts, sources, dropped)
    check_disjoint(pools.eval_prompts, [p for ps in train_prompts.values() for p in ps])
    return pools


def _train_pools(
    trains: list[str],
    counts: tuple[int, int],
    samples: list[Any],
    eval_split: str | None,
    picker: _Picker,
    held: _Held,
) -> tuple[dict[str, list[Prompt]], dict[str, dict[str, str]], dict[str, int]]:
    """Training prompts per language (`counts`: harmful, harmless), their sources, drops."""
    n_train, n_train_harmless = counts
    metas = [s.metadata or {} for s in samples]
    # Held-out test items: no pair id that any evaluation prompt has, in any language.
    heldout = [
        s for s in samples if str((s.metadata or {}).get("pair_id") or s.id) not in held.pairs
    ]
    train_prompts: dict[str, list[Prompt]] = {}
    sources: dict[str, dict[str, str]] = {}
    dropped: dict[str, int] = {}
    for lang in trains:
        chosen_prompts: list[Prompt] = []
        for harmful, n in ((True, n_train), (False, n_train_harmless)):
            if _has_train_split(metas, lang, harmful):
                picked = picker.pick("train", harmful, [lang], n, samples)
                source = "train split"
            else:
                picked = picker.pick(eval_split, harmful, [lang], n, heldout)
                source = (
                    f"{eval_split} split, pair ids held out from evaluation"
                    if eval_split
                    else "pair ids held out from evaluation"
                )
            kept = held.keep(picked, lang, dropped)
            chosen_prompts.extend(kept)
            label = "harmful" if harmful else "harmless"
            sources.setdefault(lang, {})[label] = f"{source} ({len(kept)})" if n else "none asked"
        if not any(p.harmful for p in chosen_prompts) and n_train > 0:
            raise TransferDataError(
                f"{picker.benchmark}: no harmful training prompts left for {lang}"
            )
        train_prompts[lang] = chosen_prompts
    return train_prompts, sources, dropped


def check_disjoint(eval_prompts: Sequence[Prompt], train_prompts: Sequence[Prompt]) -> None:
    """Raise when any training prompt shares an id or a (normalised) text with an eval prompt."""
    ids = {p.id for p in eval_prompts}
    texts = {_norm(p.text): p.id for p in eval_prompts}
    for p in train_prompts:
        if p.id in ids:
            raise TransferDataError(f"training prompt {p.id} is also an evaluation prompt")
        if _norm(p.text) in texts:
            raise TransferDataError(
                f"training prompt {p.id} has the same text as evaluation prompt "
                f"{texts[_norm(p.text)]}; train and eval data must not overlap"
            )


def trim_reply(text: str) -> str:
    """A generated reply cut at max tokens, trimmed to its last full sentence when one exists."""
    text = text.strip()
    ends = list(_SENTENCE_END.finditer(text))
    if ends and ends[-1].end() >= len(text) // 2:
        return text[: ends[-1].end()]
    return text


def build_examples(
    prompts: Sequence[Prompt],
    replies: Mapping[str, str],
    *,
    method: str,
    source: str = "built",
    judge: bool = True,
) -> tuple[list[TrainExample], dict[str, int]]:
    """SFT or DPO rows for `prompts` from the base model's `replies` (by prompt id).

    SFT: harmful -> refusal in its language, harmless -> base reply. DPO: harmful -> refusal over
    base reply, harmless -> base reply over refusal. Pairs whose base reply to a harmful prompt is
    already a refusal (by the judge) teach nothing and are dropped; a base reply that refuses a
    harmless prompt is dropped too (as a target it would teach over-refusal, and in DPO both sides
    would refuse), and so is one in another language than its prompt (as a target it would teach
    answering in the wrong language); so are empty replies. Returns the rows and the count of
    each kind of drop.
    """
    from langgap.analyze.common.behaviour import off_language
    from langgap.evaluate.judges.refusal import judge_refusal

    examples: list[TrainExample] = []
    dropped = {
        "empty_reply": 0,
        "base_already_refuses": 0,
        "base_refuses_harmless": 0,
        "off_language_reply": 0,
    }
    for p in prompts:
        lang = str(p.language)
        refusal = refusal_reply(lang, p.id)
        reply = trim_reply(replies.get(p.id, ""))
        if p.harmful:
            if method == "sft":
                examples.append(TrainExample(p.id, lang, True, p.text, refusal, None, source))
                continue
            if not reply:
                dropped["empty_reply"] += 1
                continue
            if judge and judge_refusal(reply, lang).outcome == "refused":
                dropped["base_already_refuses"] += 1
                continue
            examples.append(TrainExample(p.id, lang, True, p.text, refusal, reply, source))
        else:
            if not reply:
                dropped["empty_reply"] += 1
                continue
            if judge and judge_refusal(reply, lang).outcome == "refused":
                dropped["base_refuses_harmless"] += 1
                continue
            if judge and off_language(reply, p.text, lang):
                dropped["off_language_reply"] += 1
                continue
            rejected = refusal if method == "dpo" else None
            examples.append(TrainExample(p.id, lang, False, p.text, reply, rejected, source))
    return examples, dropped


def needs_replies(prompts: Sequence[Prompt], method: str) -> list[Prompt]:
    """The prompts whose base-model reply the examples need (harmless always, harmful for DPO)."""
    return [p for p in prompts if not p.harmful or method == "dpo"]


# --- user training files (langgap datagen export formats) -------------------------------------


def _text_field(row: dict[str, Any], key: str, where: str, problems: list[str]) -> str | None:
    value = row.get(key)
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, list):  # conversational: the last message's content
        contents = [m.get("content") for m in value if isinstance(m, dict)]
        if contents and isinstance(contents[-1], str) and contents[-1].strip():
            return contents[-1]
    problems.append(f"{where}: field {key!r}: missing or empty")
    return None


def _messages(row: dict[str, Any], where: str, problems: list[str]) -> tuple[str, str] | None:
    messages = row.get("messages")
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        problems.append(f"{where}: field 'messages': expected a list of {{role, content}} objects")
        return None
    roles = [m.get("role") for m in messages]
    if roles and roles[0] == "system":
        messages, roles = messages[1:], roles[1:]
    if roles != ["user", "assistant"]:
        problems.append(
            f"{where}: field 'messages': expected one user then one assistant message (an "
            f"optional system message first), found roles {roles}"
        )
        return None
    texts = [m.get("content") for m in messages]
    for i, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}: field 'messages[{i}].content': missing or empty")
            return None
    return str(texts[0]), str(texts[1])


def read_train_file(path: str | Path) -> tuple[list[TrainExample], str]:
    """Rows of a JSONL training file and its kind ("sft" or "dpo").

    Accepted per line: `langgap datagen` SFT rows (`messages`: user, assistant), DPO rows
    (`prompt`, `chosen`, `rejected`), or plain `prompt` + `completion`; each needs `language`
    (any code or name); `id` and `harmful` are optional. All problems are reported at once as
    file:line: field: problem.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise TransferDataError(f"{path}: training file not found")
    examples: list[TrainExample] = []
    problems: list[str] = []
    kinds: set[str] = set()
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parsed = _train_row(line, path, number, problems)
        if parsed is not None:
            examples.append(parsed[0])
            kinds.add(parsed[1])
    _check_train_file(path, examples, problems, kinds)
    return examples, kinds.pop()


def _train_row(
    line: str, path: Path, number: int, problems: list[str]
) -> tuple[TrainExample, str] | None:
    """One line's example and kind, or None after noting its problems."""
    where = f"{path}:{number}"
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        problems.append(f"{where}: not valid JSON ({exc.msg})")
        return None
    if not isinstance(row, dict):
        problems.append(f"{where}: expected a JSON object, found {type(row).__name__}")
        return None
    language = row.get("language")
    if not isinstance(language, str) or not language.strip():
        problems.append(f"{where}: field 'language': missing or empty")
        return None
    harmful = row.get("harmful")
    if harmful is not None and not isinstance(harmful, bool):
        problems.append(f"{where}: field 'harmful': expected true or false, got {harmful!r}")
        return None
    source = f"{path.name}:{number}"
    head = (str(row.get("id") or source), counting_code(language.strip()), harmful)
    reply = _row_reply(row, where, problems)
    if reply is None:
        return None
    prompt, chosen, rejected = reply
    kind = "sft" if rejected is None else "dpo"
    return TrainExample(*head, prompt, chosen, rejected, source), kind


def _row_reply(
    row: dict[str, Any], where: str, problems: list[str]
) -> tuple[str, str, str | None] | None:
    """Prompt, reply and (DPO) rejected reply of a row in any accepted layout."""
    if "messages" in row:
        pair = _messages(row, where, problems)
        return None if pair is None else (pair[0], pair[1], None)
    prompt = _text_field(row, "prompt", where, problems)
    if "rejected" in row or "chosen" in row:
        chosen = _text_field(row, "chosen", where, problems)
        rejected = _text_field(row, "rejected", where, problems)
        if prompt and chosen and rejected:
            return prompt, chosen, rejected
    elif "completion" in row:
        completion = _text_field(row, "completion", where, problems)
        if prompt and completion:
            return prompt, completion, None
    elif prompt is not None:
        problems.append(
            f"{where}: no reply: expected 'messages', 'chosen' + 'rejected', or 'completion'"
        )
    return None


def _check_train_file(
    path: Path, examples: list[TrainExample], problems: list[str], kinds: set[str]
) -> None:
    """Every problem at once (the first 20), or no rows, or SFT and DPO rows mixed."""
    if problems:
        shown = problems[:20]
        more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise TransferDataError(
            f"{len(problems)} problem(s) in {path}:\n" + "\n".join(shown) + more
        )
    if not examples:
        raise TransferDataError(f"{path}: no training rows")
    if len(kinds) > 1:
        raise TransferDataError(
            f"{path}: mixes SFT rows and DPO pairs; use one kind per file (datagen writes "
            "sft.jsonl and dpo.jsonl separately)"
        )


def select_user_examples(
    examples: Sequence[TrainExample],
    languages: Sequence[str],
    per_language: int | None,
    seed: int,
    label: str,
) -> list[TrainExample]:
    """The user rows in `languages`, at most `per_language` each (seeded); missing ones raise."""
    have = sorted({e.language for e in examples})
    missing = [lang for lang in languages if lang not in have]
    if missing:
        raise TransferDataError(
            f"{label} has no rows in {', '.join(missing)}; its languages: {', '.join(have)}"
        )
    out: list[TrainExample] = []
    for lang in languages:
        rows = [e for e in examples if e.language == lang]
        if per_language is not None and len(rows) > per_language:
            rows = random.Random(f"{seed}-{lang}").sample(rows, per_language)
        out += rows
    return out
