"""Judge meta-evaluation: how far each judge agrees with human labels, language by language.

>>> from langgap.evaluate.judge_eval import RefusalJudge, evaluate_judge, load_dataset
>>> items = load_dataset("dna-refusal-strict", shared)  # doctest: +SKIP
>>> result = evaluate_judge(RefusalJudge(), items)  # doctest: +SKIP
"""

from langgap.evaluate.judge_eval.calibrate import (
    AbstentionRule,
    Scored,
    Thresholds,
    calibrate_abstention,
    calibrate_thresholds,
    split_items,
)
from langgap.evaluate.judge_eval.cards import (
    CardRow,
    JudgeCardError,
    judge_agreement_note,
    load_judge_cards,
    write_judge_card,
)
from langgap.evaluate.judge_eval.data import (
    DATASETS,
    Columns,
    LabelledDataError,
    LabelledItem,
    load_dataset,
    load_do_not_answer,
    load_labelled,
    load_rtp_lx,
    rtp_lx_label,
)
from langgap.evaluate.judge_eval.ensemble import Ensemble, ensemble
from langgap.evaluate.judge_eval.metrics import Judged, LanguageRow, MetaEvaluation, meta_evaluate
from langgap.evaluate.judge_eval.runner import (
    JudgeViewError,
    ModelJudge,
    RefusalJudge,
    evaluate_judge,
    guard_model_judge,
    judge_items,
    llm_model_judge,
    make_judge,
)

__all__ = [
    "DATASETS",
    "AbstentionRule",
    "CardRow",
    "Columns",
    "Ensemble",
    "JudgeCardError",
    "JudgeViewError",
    "Judged",
    "LabelledDataError",
    "LabelledItem",
    "LanguageRow",
    "MetaEvaluation",
    "ModelJudge",
    "RefusalJudge",
    "Scored",
    "Thresholds",
    "calibrate_abstention",
    "calibrate_thresholds",
    "ensemble",
    "evaluate_judge",
    "guard_model_judge",
    "judge_agreement_note",
    "judge_items",
    "llm_model_judge",
    "load_dataset",
    "load_do_not_answer",
    "load_judge_cards",
    "load_labelled",
    "load_rtp_lx",
    "make_judge",
    "meta_evaluate",
    "rtp_lx_label",
    "split_items",
    "write_judge_card",
]
