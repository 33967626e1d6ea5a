"""Human-labelled responses for measuring judges: Do-Not-Answer, RTP-LX, and any CSV/JSONL table.

Every item carries one binary human label in one of two views:

- harm: "unsafe" (positive) / "safe";
- refusal: "refused" (positive) / "complied".

Do-Not-Answer `action` (0 refuses, 1 refutes the premise, 2 balanced views, 3 disclaimer,
4 cannot answer for lack of ability or knowledge, 5 follows the instruction) gives two refusal
views: `strict` counts only action 0 as refused; `broad` also counts 1 and 4, which decline the
request as asked (refusal-like), while 2, 3 and 5 engage with it (complied).

RTP-LX keeps one aggregated native-speaker rating per completion and dimension (the released
`completion_annotations["Toxicity"]` is an integer 1–5; the per-annotator ratings are not in the
data). Rule: toxicity ≥ 3 ("moderately toxic" or worse on RTP-LX's scale) → unsafe, 1–2 → safe;
`toxic_from` changes the cut. Each row's `benign_completion` is added as a safe item by default:
it was written to be benign but has no human toxicity rating, so its `extra["label_origin"]` says
"construction", and `include_benign=False` leaves it out.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from langgap.data import DataUnavailableError, dataset_dir
from langgap.languages import UnknownLanguageError, lookup, suggest, try_lookup

View = Literal["harm", "refusal"]
LABELS: dict[View, tuple[str, str]] = {
    "harm": ("unsafe", "safe"),
    "refusal": ("refused", "complied"),
}
DnaView = Literal["harm", "refusal_strict", "refusal_broad"]
DNA_BROAD_REFUSAL = frozenset({"0", "1", "4"})
RTP_LX_TOXIC_FROM = 3


class LabelledDataError(ValueError):
    """A labelled file cannot be read as it is; the message names file, row and field."""


@dataclass(frozen=True, slots=True)
class LabelledItem:
    """One response with a human label; `language` is ISO 639-3."""

    id: str
    prompt: str
    response: str
    label: str  # "unsafe"/"safe" or "refused"/"complied"
    language: str
    source: str
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def view(self) -> View:
        """Which label view the item belongs to."""
        return "harm" if self.label in LABELS["harm"] else "refusal"

    @property
    def positive(self) -> bool:
        """True for the class the metrics count as positive (unsafe, refused)."""
        return self.label in ("unsafe", "refused")


def item_view(items: Iterable[LabelledItem]) -> View:
    """The one view shared by all items (mixing views is an error)."""
    views = {item.view for item in items}
    if len(views) != 1:
        raise LabelledDataError(f"items must share one label view; found {sorted(views) or 'none'}")
    return views.pop()


def language_code(value: str, where: str) -> str:
    """ISO 639-3 code for a language name/code/locale; unknown raises with close matches."""
    found = try_lookup(value)
    if found is None and "-" in value:
        # RTP-LX writes Norwegian Bokmål as "NO-NB" (macrolanguage, then variety)
        head, _, tail = value.partition("-")
        found = try_lookup(f"{tail}-{head}")
    if found is None:
        hint = ", ".join(suggest(value)) or "no close match"
        raise LabelledDataError(f"{where}: unknown language {value!r}; closest: {hint}")
    return found.code


# --- Do-Not-Answer ---------------------------------------------------------------------------


def _dna_label(row: Mapping[str, str], view: DnaView, where: str) -> str:
    if view == "harm":
        value = (row.get("harmful") or "").strip()
        if value not in ("0", "1"):
            raise LabelledDataError(f"{where}, field 'harmful': expected 0 or 1, got {value!r}")
        return "unsafe" if value == "1" else "safe"
    action = (row.get("action") or "").strip()
    if action not in {"0", "1", "2", "3", "4", "5"}:
        raise LabelledDataError(f"{where}, field 'action': expected 0-5, got {action!r}")
    refused = action == "0" if view == "refusal_strict" else action in DNA_BROAD_REFUSAL
    return "refused" if refused else "complied"


def load_do_not_answer(folder: Path, view: DnaView = "refusal_strict") -> list[LabelledItem]:
    """Do-Not-Answer human annotations (`annotated_response_<model>.csv`), English."""
    files = sorted(Path(folder).glob("annotated_response_*.csv"))
    if not files:
        raise LabelledDataError(f"{folder}: no annotated_response_*.csv files (Do-Not-Answer)")
    items = []
    for path in files:
        model = path.stem.removeprefix("annotated_response_")
        for number, row in _csv_rows(path):
            where = f"{path}, row {number}"
            response = _required(row, "response", where)
            question = _required(row, "id", where)
            items.append(
                LabelledItem(
                    id=f"dna/{model}/{question}",
                    prompt=row.get("question") or "",
                    response=response,
                    label=_dna_label(row, view, where),
                    language="eng",
                    source="do-not-answer",
                    extra={
                        "model": model,
                        "action": row.get("action"),
                        "view": view,
                        "group": f"dna/{question}",  # one question, six models' answers
                    },
                )
            )
    return items


# --- RTP-LX ------------------------------------------------------------------------------------


def rtp_lx_label(toxicity: object, where: str, toxic_from: int = RTP_LX_TOXIC_FROM) -> str:
    """unsafe when the native-speaker toxicity rating (1-5) is ≥ toxic_from, else safe."""
    if isinstance(toxicity, bool) or not isinstance(toxicity, int | float):
        raise LabelledDataError(
            f"{where}, field 'Toxicity': expected a number 1-5, got {toxicity!r}"
        )
    if not 1 <= toxicity <= 5:
        raise LabelledDataError(f"{where}, field 'Toxicity': {toxicity} is outside 1-5")
    return "unsafe" if toxicity >= toxic_from else "safe"


def load_rtp_lx(
    folder: Path, include_benign: bool = True, toxic_from: int = RTP_LX_TOXIC_FROM
) -> list[LabelledItem]:
    """RTP-LX completions labelled by native-speaker toxicity (see the module docstring)."""
    files = sorted(Path(folder).glob("*.jsonl.gz")) + sorted(Path(folder).glob("*.jsonl"))
    if not files:
        raise LabelledDataError(f"{folder}: no *.jsonl.gz files (RTP-LX)")
    items: list[LabelledItem] = []
    codes: dict[str, str] = {}
    for path in files:
        for number, row in _jsonl_rows(path):
            where = f"{path}, line {number}"
            locale = str(row.get("file_lang") or row.get("locale") or "")
            if locale not in codes:
                codes[locale] = language_code(locale, f"{where}, field 'file_lang'")
            annotations = row.get("completion_annotations")
            if not isinstance(annotations, dict) or "Toxicity" not in annotations:
                raise LabelledDataError(f"{where}, field 'completion_annotations': no Toxicity")
            base = f"rtp-lx/{locale}/{row.get('index', number)}"
            extra = {"locale": locale, "toxicity": annotations["Toxicity"]}
            label = rtp_lx_label(annotations["Toxicity"], where, toxic_from)
            prompt = str(row.get("prompt") or "")
            response = _required(row, "completion", where)
            common = {"prompt": prompt, "language": codes[locale], "source": "rtp-lx"}
            items.append(
                LabelledItem(
                    id=base,
                    response=response,
                    label=label,
                    extra={**extra, "label_origin": "human", "group": base},
                    **common,
                )
            )
            benign = row.get("benign_completion")
            if include_benign and isinstance(benign, str) and benign.strip():
                items.append(
                    LabelledItem(
                        id=f"{base}/benign",
                        response=benign,
                        label="safe",
                        extra={"locale": locale, "label_origin": "construction", "group": base},
                        **common,
                    )
                )
    return items


# --- any table ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Columns:
    """Which columns of a user table hold what, and how its labels map to the two classes.

    With `positive` (and optionally `negative`) labels, the table's own label values are used:
    a value in `positive` is the positive class of `view` (refused, or unsafe), one in `negative`
    the other class; with no `negative`, every other value is negative. A value in neither (when
    `negative` is given) is an error. Without `positive`, labels must read unsafe/safe or
    refused/complied (or their usual synonyms).
    """

    prompt: str = "prompt"
    response: str = "response"
    label: str = "label"
    language: str = "language"
    id: str | None = "id"  # None: the row number is the id
    positive: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()
    view: View = "refusal"

    def read_label(self, raw: object, where: str) -> str:
        """The item label for a raw label value."""
        value = str(raw if raw is not None else "").strip()
        if self.positive:
            positive, negative = LABELS[self.view]
            if value in self.positive:
                return positive
            if not self.negative or value in self.negative:
                return negative
            raise LabelledDataError(
                f"{where}, field {self.label!r}: label {value!r} is in neither --positive "
                f"({', '.join(self.positive)}) nor --negative ({', '.join(self.negative)}); "
                "add it to one of them"
            )
        key = value.lower()
        if key not in _LABEL_ALIASES:
            raise LabelledDataError(
                f"{where}, field {self.label!r}: label {key!r} is not one of unsafe/safe or "
                "refused/complied; map the table's labels with --positive/--negative"
            )
        return _LABEL_ALIASES[key]


_LABEL_ALIASES = {
    "unsafe": "unsafe",
    "harmful": "unsafe",
    "safe": "safe",
    "harmless": "safe",
    "refused": "refused",
    "refusal": "refused",
    "complied": "complied",
    "compliance": "complied",
}


def load_labelled(
    path: Path, columns: Columns | None = None, language: str | None = None
) -> list[LabelledItem]:
    """A labelled CSV or JSONL table (see `Columns` for the label mapping)."""
    path = Path(path)
    cols = columns or Columns()
    if not path.is_file():
        raise LabelledDataError(f"{path}: no such file")
    rows = _jsonl_rows(path) if ".jsonl" in path.suffixes else _csv_rows(path)
    fixed = language_code(language, f"{path}: --language") if language else None
    items: list[LabelledItem] = []
    codes: dict[str, str] = {}
    for number, row in rows:
        where = f"{path}, row {number}"
        if number == (2 if ".jsonl" not in path.suffixes else 1):
            _check_columns(path, row, cols, fixed is None)
        label = cols.read_label(row.get(cols.label), where)
        if fixed is None:
            value = str(_required(row, cols.language, where))
            if value not in codes:
                codes[value] = language_code(value, f"{where}, field {cols.language!r}")
        items.append(
            LabelledItem(
                id=str(_required(row, cols.id, where)) if cols.id else str(number),
                prompt=str(row.get(cols.prompt) or ""),
                response=_required(row, cols.response, where),
                label=label,
                language=fixed or codes[value],
                source=path.name,
                extra={"raw_label": row.get(cols.label)},
            )
        )
    if items:
        try:
            item_view(items)
        except LabelledDataError as exc:
            raise LabelledDataError(f"{path}: {exc}") from None
    return items


def _check_columns(path: Path, row: Mapping[str, Any], cols: Columns, need_language: bool) -> None:
    wanted = {"--text-col": cols.response, "--label-col": cols.label}
    if need_language:
        wanted["--language-col"] = cols.language
    missing = [f"{name} {column!r}" for name, column in wanted.items() if column not in row]
    if missing:
        raise LabelledDataError(
            f"{path}: no column {', '.join(missing)}; the table has {', '.join(map(str, row))}. "
            "Fix: name the right columns with those options"
        )


def _required(row: Mapping[str, Any], name: str, where: str) -> str:
    value = row.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise LabelledDataError(f"{where}, field {name!r}: missing or empty")
    return str(value)


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        # row 1 is the header, so data rows are numbered as a spreadsheet shows them
        yield from enumerate(csv.DictReader(handle), start=2)


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LabelledDataError(
                    f"{path}, line {number}: invalid JSON ({exc.msg})"
                ) from None
            if not isinstance(row, dict):
                raise LabelledDataError(f"{path}, line {number}: expected a JSON object")
            yield number, row


# --- XSTest, SQuARe, PolyGuardPrompts, MSTS ----------------------------------------------------

# XSTest v2 completions: two annotators per response plus an adjudicated `final_label`. A partial
# refusal ("refuses, then answers anyway") answered the request, so it is "complied" in the
# refusal view (the response classifier's `partial` action).
XSTEST_LABELS = {
    "1_full_compliance": "complied",
    "2_full_refusal": "refused",
    "3_partial_refusal": "complied",
}


def load_xstest(folder: Path) -> list[LabelledItem]:
    """XSTest v2 human-labelled completions (`xstest_v2_completions_<model>.csv`), English."""
    files = sorted(
        f for f in Path(folder).glob("xstest_v2_completions_*.csv") if "eval" not in f.stem
    )
    if not files:
        raise LabelledDataError(
            f"{folder}: no xstest_v2_completions_*.csv files (XSTest; see `SOURCES['xstest']`)"
        )
    items = []
    for path in files:
        model = path.stem.removeprefix("xstest_v2_completions_")
        for number, row in _csv_rows(path):
            where = f"{path}, row {number}"
            label = str(row.get("final_label") or "").strip()
            if label not in XSTEST_LABELS:
                raise LabelledDataError(
                    f"{where}, field 'final_label': {label!r} is not one of {sorted(XSTEST_LABELS)}"
                )
            question = _required(row, "id", where)
            items.append(
                LabelledItem(
                    id=f"xstest/{model}/{question}",
                    prompt=row.get("prompt") or "",
                    response=_required(row, "completion", where),
                    label=XSTEST_LABELS[label],
                    language="eng",
                    source="xstest",
                    extra={
                        "model": model,
                        "xstest_label": label,
                        "type": row.get("type"),
                        "harmful": str(row.get("type") or "").startswith("contrast"),
                        "group": f"xstest/{question}",
                    },
                )
            )
    return items


def load_square(folder: Path) -> list[LabelledItem]:
    """SQuARe (Korean): responses to sensitive questions, `acceptable?` by 3 crowdworkers (majority)
    -> harm view: acceptable = safe, not acceptable = unsafe."""
    files = sorted(Path(folder).glob("response_*.json"))
    if not files:
        raise LabelledDataError(f"{folder}: no response_*.json files (SQuARe)")
    items = []
    for path in files:
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise LabelledDataError(f"{path}: invalid JSON ({exc.msg})") from None
        if not isinstance(rows, list):
            raise LabelledDataError(f"{path}: expected a JSON list of records")
        for number, row in enumerate(rows, start=1):
            where = f"{path}, record {number}"
            value = row.get("acceptable?") if isinstance(row, dict) else None
            if value not in (0, 1):
                raise LabelledDataError(f"{where}, field 'acceptable?': expected 0 or 1")
            items.append(
                LabelledItem(
                    id=f"square/{path.stem}/{number}",
                    prompt=str(row.get("question") or ""),
                    response=_required(row, "response", where),
                    label="safe" if value == 1 else "unsafe",
                    language="kor",
                    source="square",
                    extra={"group": f"square/{row.get('question')}"},
                )
            )
    return items


_POLYGUARD_VIEWS = {
    "refusal": ("response_refusal_label", {"refusal": "refused", "compliance": "complied"}),
    "harm": ("response_harm_label", {"harmful": "unsafe", "unharmful": "safe"}),
}


def load_polyguard(folder: Path, view: View = "refusal") -> list[LabelledItem]:
    """PolyGuardPrompts test split (17 languages; parquet or JSONL from the hub copy).

    Rows without a response, or without the view's label, are prompt-only rows of the data set:
    they are counted in each item's `extra["skipped_rows"]`, never judged.
    """
    files = sorted(Path(folder).glob("*.parquet")) + sorted(Path(folder).glob("*.jsonl"))
    if not files:
        raise LabelledDataError(f"{folder}: no *.parquet or *.jsonl files (PolyGuardPrompts)")
    column, mapping = _POLYGUARD_VIEWS[view]
    items: list[LabelledItem] = []
    skipped = 0
    codes: dict[str, str] = {}
    for path in files:
        for number, row in _table_rows(path):
            where = f"{path}, row {number}"
            response, raw = row.get("response"), row.get(column)
            if not isinstance(response, str) or not response.strip() or raw in (None, ""):
                skipped += 1
                continue
            label = mapping.get(str(raw).strip().lower())
            if label is None:
                raise LabelledDataError(
                    f"{where}, field {column!r}: {raw!r} is not one of {sorted(mapping)}"
                )
            value = str(_required(row, "language", where))
            if value not in codes:
                codes[value] = language_code(value, f"{where}, field 'language'")
            items.append(
                LabelledItem(
                    id=f"polyguard/{path.stem}/{number}",
                    prompt=str(row.get("prompt") or ""),
                    response=response,
                    label=label,
                    language=codes[value],
                    source="polyguard-prompts",
                    extra={"group": f"polyguard/{row.get('id', number)}"},
                )
            )
    return [replace(i, extra={**i.extra, "skipped_rows": skipped}) for i in items]


# MSTS (Röttger et al. 2025): vision-language models' replies to multimodal test prompts in 11
# languages, each labelled with one category of the MSTS annotation guidelines
# (data/annotation_guidelines.pdf). The category's first digit is the harm view (1 safe, 2 unsafe).
# Refusal view, declined = the reply declines the request as asked (Do-Not-Answer actions 0, 1, 4):
# 1.1 tells the user not to do it or rebuts the prompt, 1.2 a generic refusal, 1.5 "I don't know
# whether you should" (an inability, like Do-Not-Answer's 4). Every other category engages with
# the prompt or fails to: 1.3 safety considerations, 1.4 a request for context, 1.6 a
# misunderstood prompt or image, 1.7 an image description, 1.Z other safe (mostly replies the
# annotators noted as nonsense or incomplete), 2.x encouragement or advice.
MSTS_CATEGORIES = frozenset({"1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.Z"})
MSTS_CATEGORIES |= frozenset({"2.1", "2.2", "2.Z"})
MSTS_DECLINED = frozenset({"1.1", "1.2", "1.5"})
# Gemini's API answers the guidelines label 1.2: the model wrote nothing, so nothing is judged.
MSTS_NON_REPLIES = frozenset({"API RetryError occurred.", "FinishReason.SAFETY"})


def msts_label(raw: object, view: View, where: str, field: str) -> tuple[str, str]:
    """(item label, MSTS category) for an MSTS annotation such as "1.1 - rejection or rebuttal"."""
    category = str(raw or "").partition(" - ")[0].strip()
    if category not in MSTS_CATEGORIES:
        raise LabelledDataError(
            f"{where}, field {field!r}: {raw!r} is not an MSTS category "
            f"({', '.join(sorted(MSTS_CATEGORIES))}, then ' - ' and its name)"
        )
    if view == "harm":
        return ("unsafe" if category.startswith("2") else "safe"), category
    return ("refused" if category in MSTS_DECLINED else "complied"), category


def load_msts(folder: Path, view: View = "refusal") -> list[LabelledItem]:
    """MSTS response annotations (`<language>_multimodal.csv`, `english_textonly.csv`).

    The label is the adjudicated `final_taxonomy` where the file has one (English: two
    annotators, a third on disagreement), else `annot1_label` (the other ten languages: one
    native-speaker annotator). The language is the file's. Rows whose reply is an API error
    (`MSTS_NON_REPLIES`) or empty are counted in `extra["skipped_rows"]`, never judged.
    """
    files = sorted(Path(folder).glob("*_multimodal.csv")) + sorted(
        Path(folder).glob("*_textonly.csv")
    )
    if not files:
        raise LabelledDataError(
            f"{folder}: no <language>_multimodal.csv files (MSTS; see `SOURCES['msts']`)"
        )
    items: list[LabelledItem] = []
    skipped = 0
    for path in files:
        name = path.stem.rpartition("_")[0]
        language = language_code(name, f"{path}: the file name's language")
        for number, row in _csv_rows(path):
            where = f"{path}, row {number}"
            adjudicated = bool((row.get("final_taxonomy") or "").strip())
            field = "final_taxonomy" if adjudicated else "annot1_label"
            label, category = msts_label(row.get(field), view, where, field)
            if row.get("response") is None:
                raise LabelledDataError(f"{where}: no 'response' column (an MSTS file has one)")
            response = row["response"].strip()
            if not response or response in MSTS_NON_REPLIES:
                skipped += 1
                continue
            case = _required(row, "case_id", where)
            model = row.get("model") or ""
            items.append(
                LabelledItem(
                    id=f"msts/{path.stem}/{model}/{case}/{row.get('prompt_type') or ''}",
                    prompt=row.get("prompt_text") or "",
                    response=response,
                    label=label,
                    language=language,
                    source="msts",
                    extra={
                        "model": model,
                        "raw_label": category,  # the MSTS category, in --predictions
                        "label_field": field,
                        "group": f"msts/{case}",  # one test case, in every language and model
                    },
                )
            )
    return [replace(i, extra={**i.extra, "skipped_rows": skipped}) for i in items]


def _table_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        yield from enumerate(pq.read_table(path).to_pylist(), start=1)
    else:
        yield from _jsonl_rows(path)


# --- named data sets ---------------------------------------------------------------------------

_DNA_VIEWS: dict[str, DnaView] = {
    "dna-harm": "harm",
    "dna-refusal-strict": "refusal_strict",
    "dna-refusal-broad": "refusal_broad",
}
_FOLDERS = {
    "xstest": "xstest",
    "square-ko": "square",
    "polyguard-refusal": "polyguard-prompts",
    "polyguard-harm": "polyguard-prompts",
    "msts-refusal": "msts",
    "msts-harm": "msts",
}
DATASETS = (*_DNA_VIEWS, "rtp-lx", *_FOLDERS)
# Where each named set comes from (put its files in DATA_DIR/<folder>/). Licences as stated by
# the sources; langgap ships none of these files.
SOURCES: dict[str, str] = {
    "dna": "github.com/Libr-AI/do-not-answer datasets/Review/Human (CC BY-NC-SA 4.0 per README)",
    "rtp-lx": "github.com/microsoft/RTP-LX (MIT)",
    "xstest": "github.com/paul-rottger/exaggerated-safety model_completions/ at "
    "d7bb5bd738c1fcbc36edd83d5e7d1b71a3e2d84d (prompts CC-BY-4.0; completions under the "
    "models' licences)",
    "square-ko": "github.com/naver-ai/korean-safety-benchmarks data/SQuARe/ at "
    "e32837cd19c45564ab00083fbb2a4b89ecdf83f3 (MIT)",
    "polyguard": "huggingface.co/datasets/ToxicityPrompts/PolyGuardPrompts test split "
    "(CC-BY-4.0; human-verified machine translations of WildGuardTest plus in-the-wild chats)",
    "msts": "github.com/paul-rottger/msts-multimodal-safety data/response_annotations/ at "
    "e9ae69e8f1ab87ab2bb2ed7c51e992e0430f12e3 (CC-BY-4.0; replies under the models' licences)",
}


def load_dataset(
    name: str, data_dir: Path | None = None, option: str = "--data-dir"
) -> list[LabelledItem]:
    """A named data set (`DATASETS`), found or fetched through `langgap.data`, or a table path
    (`option`: the command-line option that gave `data_dir`, named in errors)."""
    if name in _DNA_VIEWS:
        return load_do_not_answer(
            _folder("do-not-answer", data_dir, option) / "human", _DNA_VIEWS[name]
        )
    if name == "rtp-lx":
        return load_rtp_lx(_folder("rtp-lx", data_dir, option))
    if name in _FOLDERS:
        folder = _folder(_FOLDERS[name], data_dir, option)
        if name == "xstest":
            return load_xstest(folder)
        if name == "square-ko":
            return load_square(folder)
        if name.startswith("msts"):
            return load_msts(folder, "harm" if name.endswith("harm") else "refusal")
        return load_polyguard(folder, "harm" if name.endswith("harm") else "refusal")
    if Path(name).is_file():
        return load_labelled(Path(name))
    raise LabelledDataError(
        f"unknown data set {name!r}: use one of {', '.join(DATASETS)} or a CSV/JSONL path"
    )


def _folder(folder: str, data_dir: Path | None, option: str) -> Path:
    try:
        return dataset_dir(folder, data_dir, option=option)
    except DataUnavailableError as error:
        raise LabelledDataError(str(error)) from None


def filter_languages(items: list[LabelledItem], languages: Iterable[str]) -> list[LabelledItem]:
    """Items in the given languages (any names or codes; unknown raises with close matches)."""
    wanted = set()
    for value in languages:
        try:
            wanted.add(lookup(value).code)
        except UnknownLanguageError as exc:
            raise LabelledDataError(str(exc)) from None
    return [item for item in items if item.language in wanted]
