"""The fine-tuning transfer experiment: data, validation, LoRA training, resume and the report."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("peft")
pytest.importorskip("trl")

from langgap.analyze.common.activations import Prompt
from langgap.analyze.common.behaviour import RefusalEval, Reply
from langgap.analyze.common.models import LoadedModel
from langgap.analyze.common.refusal_data import (
    TrainExample,
    TransferDataError,
    build_examples,
    load_pools,
    read_train_file,
    refusal_reply,
    refusal_templates,
)
from langgap.analyze.transfer.run import (
    TransferConfig,
    TransferConfigError,
    TransferExperiment,
    completion_nll,
    lora_targets,
    row_from_evals,
    run_transfer,
    train_adapter,
)
from langgap.evaluate.judges.refusal import judge_refusal

from ..conftest import write_table

SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
POLYREFUSE = ["ara", "deu", "eng", "spa", "fra", "ita", "jpn", "kor", "nld", "pol", "rus", "tha",
              "yor", "zho"]  # fmt: skip


def _table(path: Path, *, de_train: bool = True) -> Path:
    """A tiny parallel benchmark: en/de, harmful/harmless, train/test (de optionally no train)."""
    rows = []
    for split, n in (("train", 6), ("test", 8)):
        for harmful in (True, False):
            for i in range(n):
                key, test = f"{split}-{'h' if harmful else 's'}-{i}", split == "test"
                verb = "break" if harmful else "fix"
                rows.append({
                    "id": key,
                    "harmful": "yes" if harmful else "no",
                    "split": split,
                    "en": f"how do I {verb} thing {key}?",
                    "de": f"wie kann ich Ding {key} {verb}en?" if de_train or test else "",
                })  # fmt: skip
    return write_table(path, rows)


# --- data ------------------------------------------------------------------------------------


def test_every_refusal_template_is_judged_a_refusal_in_its_language() -> None:
    from langgap.evaluate.cards import standard_languages

    templates = refusal_templates()
    assert set(POLYREFUSE) | set(standard_languages()) <= set(templates)
    for language, replies in templates.items():
        assert len(replies) >= 3, language
        for reply in replies:
            verdict = judge_refusal(reply, language)
            assert verdict.outcome == "refused", (language, reply, verdict.rationale)


def test_refusal_reply_is_stable_and_names_languages_when_missing() -> None:
    assert refusal_reply("en", "x1") == refusal_reply("eng", "x1")
    assert len({refusal_reply("de", f"id{i}") for i in range(40)}) > 1  # varied, not one sentence
    with pytest.raises(TransferDataError, match=r"available|languages with replies: .*eng"):
        refusal_reply("Klingon", "x")


def test_pools_are_disjoint_and_use_held_out_pairs_without_a_train_split(tmp_path: Path) -> None:
    table = _table(tmp_path / "tiny.csv", de_train=False)
    pools = load_pools(
        str(table), train_languages=["en", "de"], eval_languages="all", n_train=3,
        n_train_harmless=2, n_eval=3, seed=1,
    )  # fmt: skip
    assert pools.eval_languages == ["deu", "eng"]
    assert len(pools.eval_prompts) == 12  # 3 harmful + 3 harmless, 2 languages
    train = [p for ps in pools.train_prompts.values() for p in ps]
    assert {p.id for p in train}.isdisjoint({p.id for p in pools.eval_prompts})
    assert {p.text for p in train}.isdisjoint({p.text for p in pools.eval_prompts})
    # English trains on its train split, German (no train split) on test pairs eval never uses.
    assert "train split" in pools.sources["eng"]["harmful"]
    assert "held out" in pools.sources["deu"]["harmful"]
    eval_pairs = {p.id.split(":")[1] for p in pools.eval_prompts}
    assert all(p.id.split(":")[1] not in eval_pairs for p in pools.train_prompts["deu"])
    assert sum(bool(p.harmful) for p in pools.train_prompts["deu"]) == 3
    assert sum(not p.harmful for p in pools.train_prompts["deu"]) == 2


def test_unknown_language_names_what_is_available(tmp_path: Path) -> None:
    table = _table(tmp_path / "tiny.csv")
    with pytest.raises(TransferDataError, match=r"has no 'sw' \(swa\); available: deu, eng"):
        load_pools(str(table), train_languages=["sw"], eval_languages="all", n_train=2,
                   n_train_harmless=2, n_eval=2)  # fmt: skip
    with pytest.raises(TransferDataError, match=r"eval languages: .*'fr'.*available: deu, eng"):
        load_pools(str(table), train_languages=["en"], eval_languages=["en", "fr"], n_train=2,
                   n_train_harmless=2, n_eval=2)  # fmt: skip


@pytest.mark.skipif(not (SHARED_DATA / "polyrefuse").is_dir(), reason="PolyRefuse data absent")
def test_polyrefuse_pools_never_overlap() -> None:
    pools = load_pools(
        "polyrefuse", train_languages=["en", "de"], eval_languages=["en", "de", "ja"],
        n_train=40, n_train_harmless=20, n_eval=24, seed=0,
    )  # fmt: skip
    assert "held out" in pools.sources["eng"]["harmful"]  # PolyRefuse has no English train split
    assert "train split" in pools.sources["deu"]["harmful"]
    eval_ids = {p.id for p in pools.eval_prompts}
    eval_texts = {" ".join(p.text.casefold().split()) for p in pools.eval_prompts}
    for lang, prompts in pools.train_prompts.items():
        assert sum(bool(p.harmful) for p in prompts) == 40, lang
        assert not {p.id for p in prompts} & eval_ids
        assert not {" ".join(p.text.casefold().split()) for p in prompts} & eval_texts
    # same pair ids in every evaluation language
    by_lang: dict[str, set[str]] = {}
    for p in pools.eval_prompts:
        by_lang.setdefault(str(p.language), set()).add(p.id.rsplit(":", 1)[0])
    assert by_lang["eng"] == by_lang["deu"] == by_lang["jpn"]


def test_build_examples_sft_and_dpo_targets() -> None:
    prompts = [
        Prompt("harm me", "h1", "eng", True),
        Prompt("schade mir", "h2", "deu", True),
        Prompt("help me", "s1", "eng", False),
    ]
    replies = {
        "h1": "Sure, here is a detailed plan to do that. First you",
        "h2": "Es tut mir leid, aber dabei kann ich nicht helfen.",
        "s1": "Of course. Here is how to bake bread. Mix flour and",
    }
    sft, _ = build_examples(prompts, replies, method="sft")
    assert [e.id for e in sft] == ["h1", "h2", "s1"]
    for e in sft[:2]:
        assert judge_refusal(e.chosen, e.language).outcome == "refused"
    assert sft[2].chosen == "Of course. Here is how to bake bread."  # trimmed to a full sentence
    dpo, dropped = build_examples(prompts, replies, method="dpo")
    assert dropped["base_already_refuses"] == 1  # h2: the base model already refuses
    assert [e.id for e in dpo] == ["h1", "s1"]
    assert dpo[0].rejected == "Sure, here is a detailed plan to do that." and dpo[1].rejected
    assert judge_refusal(dpo[1].rejected, "eng").outcome == "refused"  # harmless: refusal rejected
    # a base model that refuses a harmless prompt gives no target: it would teach over-refusal
    refuses = {**replies, "s1": "I'm sorry, but I can't help with that request."}
    for method in ("sft", "dpo"):
        kept, dropped = build_examples(prompts, refuses, method=method)
        assert "s1" not in [e.id for e in kept] and dropped["base_refuses_harmless"] == 1
    # a base reply in another language than its prompt gives no target: it would teach the model
    # to answer a German prompt in English
    german = [Prompt("Wie backe ich Brot zu Hause?", "s2", "deu", False)]
    english = {"s2": "Of course. Here is how to bake bread at home: mix flour, water and salt."}
    kept, dropped = build_examples(german, english, method="sft")
    assert kept == [] and dropped["off_language_reply"] == 1
    in_german = {"s2": "Gern. So backen Sie Brot zu Hause: Mehl, Wasser und Salz mischen."}
    kept, dropped = build_examples(german, in_german, method="sft")
    assert [e.id for e in kept] == ["s2"] and dropped["off_language_reply"] == 0


def test_read_train_file_accepts_datagen_formats_and_reports_file_line_field(
    tmp_path: Path,
) -> None:
    sft = tmp_path / "sft.jsonl"
    sft.write_text(
        json.dumps({"messages": [{"role": "user", "content": "q"},
                                 {"role": "assistant", "content": "I can't help with that."}],
                    "id": "a", "language": "en", "language_tag": "en", "harmful": True}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    rows, kind = read_train_file(sft)
    assert kind == "sft" and rows[0].language == "eng" and rows[0].chosen.startswith("I can't")
    dpo = tmp_path / "dpo.jsonl"
    dpo.write_text(
        json.dumps({"prompt": "q", "chosen": "no", "rejected": "yes", "id": "b",
                    "language": "de"}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    rows, kind = read_train_file(dpo)
    assert kind == "dpo" and rows[0].rejected == "yes" and rows[0].language == "deu"
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        "\n".join([
            json.dumps({"prompt": "q", "chosen": "no", "rejected": "yes"}),
            "{not json",
            json.dumps({"prompt": "q", "chosen": "", "rejected": "yes", "language": "en"}),
            json.dumps({"messages": [{"role": "user", "content": "q"}], "language": "en"}),
        ]) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    with pytest.raises(TransferDataError) as info:
        read_train_file(bad)
    message = str(info.value)
    assert f"{bad}:1: field 'language': missing" in message
    assert f"{bad}:2: not valid JSON" in message
    assert f"{bad}:3: field 'chosen': missing or empty" in message
    assert f"{bad}:4: field 'messages'" in message


def test_config_validation_names_every_bad_setting() -> None:
    with pytest.raises(TransferConfigError) as info:
        TransferConfig(method="ppo", n_eval=0, epochs=0, train_sets=()).validate()
    message = str(info.value)
    for part in ("method 'ppo'", "n_eval must be at least 1", "epochs", "train_sets"):
        assert part in message
    TransferConfig().validate()
    with pytest.raises(TransferConfigError, match="cannot train DPO"):
        TransferConfig(method="dpo", train_file="x.jsonl").resolved_method("sft")


def test_lora_targets_are_discovered_and_checked(tiny_model: Any) -> None:
    assert lora_targets(tiny_model) == [
        "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj",
    ]  # fmt: skip
    assert lora_targets(tiny_model, ["q_proj", "v_proj"]) == ["q_proj", "v_proj"]
    with pytest.raises(TransferConfigError, match=r"c_attn.*linear layers of its blocks: q_proj"):
        lora_targets(tiny_model, ["c_attn"])


# --- training ---------------------------------------------------------------------------------


def test_lora_sft_lowers_the_loss_of_the_training_replies(
    tiny_model: Any, chat_tokenizer: Any, tmp_path: Path
) -> None:
    import copy

    examples = [
        TrainExample(f"h{i}", "eng", True, f"do bad thing {i}", "I can't help with that.")
        for i in range(6)
    ]
    # A reply it was not trained on, to tell learning the target from a general shift.
    control = [
        TrainExample(e.id, "eng", True, e.prompt, "Zq9 xv#kw pl0 mmr8 tuy") for e in examples
    ]
    before = completion_nll(tiny_model, chat_tokenizer, examples)
    control_before = completion_nll(tiny_model, chat_tokenizer, control)
    config = TransferConfig(epochs=8, learning_rate=3e-2, train_batch_size=6)
    model = copy.deepcopy(tiny_model)
    result = train_adapter(
        model, chat_tokenizer, examples, method="sft", config=config,
        targets=lora_targets(model), work_dir=tmp_path,
    )  # fmt: skip
    after = completion_nll(result.model, chat_tokenizer, examples)
    control_after = completion_nll(result.model, chat_tokenizer, control)
    # The random fixture's small lm_head keeps its outputs near uniform (NLL ~ ln 105 = 4.65),
    # which bounds how far the loss can fall; the fall is still clear and specific to the target.
    assert before - after > 0.15, (before, after)
    assert before - after > 1.5 * (control_before - control_after)
    assert len(result.loss_history) == 8 and result.loss_history[-1]["loss"] < before
    # the base model is untouched (the adapter lives on the copy)
    assert completion_nll(tiny_model, chat_tokenizer, examples) == pytest.approx(before)
    assert not (tmp_path / "trainer").exists()  # checkpoints off: nothing left behind


def test_dpo_trains_on_pairs(tiny_model: Any, chat_tokenizer: Any, tmp_path: Path) -> None:
    import copy

    examples = [
        TrainExample(f"h{i}", "eng", True, f"bad {i}", "I can't help.", "Sure, step one")
        for i in range(4)
    ]
    config = TransferConfig(epochs=3, learning_rate=2e-2, train_batch_size=4)
    model = copy.deepcopy(tiny_model)
    result = train_adapter(
        model, chat_tokenizer, examples, method="dpo", config=config,
        targets=["q_proj", "v_proj"], work_dir=tmp_path,
    )  # fmt: skip
    losses = [h["loss"] for h in result.loss_history]
    assert len(losses) == 3 and losses[-1] < losses[0]


def _experiment_config(table: Path, out: Path, **overrides: Any) -> TransferConfig:
    settings: dict[str, Any] = {
        "model": "tiny",
        "train_sets": (("en",), ("en", "de")),
        "eval_languages": "all",
        "benchmark": str(table),
        "n_train": 2,
        "n_eval": 2,
        "epochs": 1,
        "learning_rate": 1e-2,
        "train_batch_size": 4,
        "max_new_tokens": 4,
        "reply_tokens": 4,
        "n_boot": 50,
        "out_dir": str(out),
    }
    return TransferConfig(**(settings | overrides))


def test_run_transfer_resumes_and_writes_no_text(
    tiny_model: Any, chat_tokenizer: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import langgap.analyze.transfer.run as transfer
    from langgap.analyze.transfer.report import write_report

    table = _table(tmp_path / "tiny.csv")
    out = tmp_path / "out"
    config = _experiment_config(table, out)
    loaded = LoadedModel(tiny_model, chat_tokenizer, "tiny", Path("tiny"))
    first = run_transfer(config, loaded=loaded)
    assert [r.name for r in first.rows] == ["eng", "eng+deu"]
    assert first.cached == []
    assert (out / "rows" / "eng+deu" / "adapter" / "done.json").is_file()

    calls = {"train": 0, "eval": 0}
    real_train, real_eval = transfer.train_adapter, transfer.evaluate

    def count_train(*args: Any, **kwargs: Any) -> Any:
        calls["train"] += 1
        return real_train(*args, **kwargs)

    def count_eval(*args: Any, **kwargs: Any) -> Any:
        calls["eval"] += 1
        return real_eval(*args, **kwargs)

    monkeypatch.setattr(transfer, "train_adapter", count_train)
    monkeypatch.setattr(transfer, "evaluate", count_eval)
    # Killed after row eng+deu saved its adapter but before its evaluation: only that runs.
    (out / "rows" / "eng+deu" / "after_eval.json").unlink()
    second = run_transfer(config, loaded=loaded)
    assert calls == {"train": 0, "eval": 1}
    assert "base_eval" in second.cached and "eng/after_eval" in second.cached
    # the reloaded adapter gives the very outcomes of the model trained in the first run
    assert second.rows[1].after.outcomes() == first.rows[1].after.outcomes()
    # Killed while training eng+deu (no done marker): it is trained again, eng is not.
    (out / "rows" / "eng+deu" / "adapter" / "done.json").unlink()
    run_transfer(config, loaded=loaded)
    assert calls == {"train": 1, "eval": 2}
    # Nothing cached matches a changed setting: everything of the row reruns.
    calls.update(train=0, eval=0)
    run_transfer(_experiment_config(table, out, learning_rate=2e-2), loaded=loaded)
    assert calls == {"train": 2, "eval": 2}
    # An evaluation setting re-evaluates (base and both rows) but keeps the trained adapters.
    calls.update(train=0, eval=0)
    run_transfer(_experiment_config(table, out, learning_rate=2e-2, max_new_tokens=5),
                 loaded=loaded)  # fmt: skip
    assert calls == {"train": 0, "eval": 3}
    # A LoRA target the model lacks is a clear error even when the base evaluation is cached.
    with pytest.raises(TransferConfigError, match="nope"):
        run_transfer(_experiment_config(table, out, lora_targets=("nope",)), loaded=loaded)
    # Other weights under the same name reuse nothing: base evaluation and both rows rerun.
    import torch

    changed = copy.deepcopy(tiny_model)
    with torch.no_grad():
        next(changed.parameters()).add_(1e-3)
    calls.update(train=0, eval=0)
    run_transfer(config, loaded=LoadedModel(changed, chat_tokenizer, "tiny", Path("tiny")))
    assert calls == {"train": 2, "eval": 3}

    paths = write_report(second, out)
    assert {p.name for p in paths} >= {"transfer.json", "transfer.md", "transfer_matrix.svg"}
    pools = load_pools(str(table), train_languages=["en", "de"], eval_languages="all",
                       n_train=2, n_train_harmless=2, n_eval=2)  # fmt: skip
    texts = [p.text for p in pools.eval_prompts] + [
        p.text for ps in pools.train_prompts.values() for p in ps
    ]
    for path in out.rglob("*"):
        if path.suffix in {".json", ".md", ".svg"}:
            content = path.read_text(encoding="utf-8")
            assert not any(t in content for t in texts), path


def test_a_user_dpo_file_trains_in_its_own_languages(
    tiny_model: Any, chat_tokenizer: Any, tmp_path: Path
) -> None:
    table = _table(tmp_path / "tiny.csv")
    pairs = tmp_path / "dpo.jsonl"
    rows = [
        {"prompt": f"fais le mal {i}", "chosen": "Je ne peux pas vous aider avec cela.",
         "rejected": "Bien sûr, voici comment.", "id": f"p{i}", "language": "fr"}
        for i in range(4)
    ]  # fmt: skip
    pairs.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    loaded = LoadedModel(tiny_model, chat_tokenizer, "tiny", Path("tiny"))
    config = _experiment_config(
        table, tmp_path / "out", train_sets=(("fr",),), train_file=str(pairs), n_train=2
    )
    experiment = run_transfer(config, loaded=loaded)  # French: not a benchmark language
    row = experiment.rows[0]
    assert row.method == "dpo" and row.n_examples == 4 and len(row.loss_history) == 1
    assert experiment.eval_languages == ["deu", "eng"]
    with pytest.raises(TransferDataError, match=r"has no rows in deu; its languages: fra"):
        run_transfer(replace(config, train_sets=(("de",),)), loaded=loaded)
    # a training row that repeats an evaluation prompt is refused
    pools = load_pools(str(table), train_languages=[], eval_languages="all", n_train=0,
                       n_train_harmless=0, n_eval=2)  # fmt: skip
    leak = dict(rows[0], prompt=pools.eval_prompts[0].text, language="en")
    pairs.write_text(json.dumps(leak) + "\n", encoding="utf-8")
    with pytest.raises(TransferDataError, match="same text as evaluation prompt"):
        run_transfer(replace(config, train_sets=(("en",),)), loaded=loaded)


def test_dpo_pairs_built_from_the_base_model(
    tiny_model: Any, chat_tokenizer: Any, tmp_path: Path
) -> None:
    table = _table(tmp_path / "tiny.csv")
    loaded = LoadedModel(tiny_model, chat_tokenizer, "tiny", Path("tiny"))
    config = _experiment_config(table, tmp_path / "out", train_sets=(("en",),), method="dpo")
    row = run_transfer(config, loaded=loaded).rows[0]
    dropped = row.data["dropped"]
    assert row.method == "dpo" and row.n_examples + sum(dropped.values()) == 4
    assert row.n_examples > 0 and row.loss_history


def test_cli_runs_and_rejects_unknown_languages(
    tiny_model: Any, chat_tokenizer: Any, tmp_path: Path
) -> None:
    import typer
    from typer.testing import CliRunner

    from langgap.analyze.transfer.cli import register

    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # two commands: `transfer` stays a subcommand
    folder = tmp_path / "model"
    tiny_model.save_pretrained(folder)
    chat_tokenizer.save_pretrained(folder)
    table = _table(tmp_path / "tiny.csv")
    runner = CliRunner()
    common = ["transfer", "--model", str(folder), "--benchmark", str(table), "--n-train", "2",
              "--n-eval", "2", "--epochs", "1", "--max-new-tokens", "4", "--reply-tokens", "4",
              "--n-boot", "50"]  # fmt: skip
    bad = runner.invoke(
        app, [*common, "--boot", "50", "--train-languages", "en,sw", "--out", str(tmp_path / "x")]
    )
    assert bad.exit_code == 2
    assert "--boot here is deprecated" in bad.output  # the old spelling still works, with a note
    assert "has no 'sw' (swa); available: deu, eng" in bad.output
    ok = runner.invoke(
        app, [*common, "--train-languages", "en", "--eval-languages", "de,en",
              "--lora-targets", "q_proj,v_proj", "--out", str(tmp_path / "out")],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    data = json.loads((tmp_path / "out" / "transfer.json").read_text(encoding="utf-8"))
    assert data["config"]["train_sets"] == [["eng"]]
    assert data["lora_targets"] == ["q_proj", "v_proj"]
    assert data["eval_languages"] == ["deu", "eng"]
    assert set(data["versions"]) >= {"torch", "transformers", "peft", "trl"}


# --- matrix and report -------------------------------------------------------------------------


def _eval(outcomes: dict[str, tuple[str, bool, str]], name: str) -> RefusalEval:
    replies = [Reply(i, lang, harmful, o) for i, (lang, harmful, o) in outcomes.items()]
    return RefusalEval(name, replies, max_new_tokens=8, n_boot=200, seed=0)


def test_matrix_and_report_from_synthetic_evaluations(tmp_path: Path) -> None:
    from langgap.analyze.transfer.report import write_report

    before: dict[str, tuple[str, bool, str]] = {}
    after: dict[str, tuple[str, bool, str]] = {}
    for i in range(4):
        before[f"e{i}"] = ("eng", True, "complied")
        after[f"e{i}"] = ("eng", True, "refused" if i < 3 else "complied")  # +75 points
        before[f"d{i}"] = ("deu", True, "complied" if i else "refused")
        after[f"d{i}"] = ("deu", True, "refused" if i < 2 else "unclear")  # 1/4 -> 2/4: +25
        before[f"s{i}"] = ("eng", False, "complied")
        after[f"s{i}"] = ("eng", False, "refused" if i == 0 else "complied")  # +25 over-refusal
    b, a = _eval(before, "base"), _eval(after, "base+lora[eng]")
    row = row_from_evals(["eng"], b, a, n_boot=200, seed=0, n_examples=8)
    experiment = TransferExperiment(
        config=TransferConfig(n_boot=200, out_dir=str(tmp_path)),
        eval_languages=["eng", "deu"],
        before=b,
        rows=[row],
        lora_targets=["q_proj"],
    )
    m = experiment.matrix("harmlessness")
    assert m.change[0].tolist() == [75.0, 25.0]
    assert m.before[0].tolist() == [0.0, 25.0] and m.after[0].tolist() == [75.0, 50.0]
    assert m.low[0, 0] <= 75.0 <= m.high[0, 0] and m.low[0, 0] > 0  # 3 gained, 0 lost
    assert row.harmlessness["eng"]["gained"] == 3 and row.harmlessness["eng"]["lost"] == 0
    assert row.harmlessness["eng"]["p_value"] == pytest.approx(0.25)  # exact McNemar, 3 vs 0
    over = experiment.matrix("over_refusal")
    assert over.change[0, 0] == 25.0 and np.isnan(over.change[0, 1])  # no harmless deu prompts

    paths = write_report(experiment, tmp_path)
    data = json.loads((tmp_path / "transfer.json").read_text(encoding="utf-8"))
    assert data["matrix"]["harmlessness"]["change"] == [[75.0, 25.0]]
    assert data["matrix"]["over_refusal"]["change"] == [[25.0, None]]
    assert data["seeds"]["training"] == 0 and data["config"]["n_boot"] == 200
    markdown = (tmp_path / "transfer.md").read_text(encoding="utf-8")
    assert "+75.0" in markdown and "+25.0" in markdown
    assert {p.name for p in paths} == {
        "transfer.json", "transfer.md", "transfer_matrix.png", "transfer_matrix.svg",
        "transfer_by_language.png", "transfer_by_language.svg",
    }  # fmt: skip
    svg = (tmp_path / "transfer_matrix.svg").read_bytes()
    write_report(experiment, tmp_path)
    assert (tmp_path / "transfer_matrix.svg").read_bytes() == svg  # deterministic figures


# --- the real model ---------------------------------------------------------------------------


@pytest.mark.slow
def test_smollm2_transfer_end_to_end(
    tmp_path_factory: pytest.TempPathFactory, smollm2_folder: Path
) -> None:
    if not (SHARED_DATA / "polyrefuse").is_dir():
        pytest.skip(f"PolyRefuse not found at {SHARED_DATA / 'polyrefuse'} (../shared/data absent)")
    from langgap.analyze.transfer.report import write_report

    folder = smollm2_folder
    out = tmp_path_factory.mktemp("transfer")
    config = TransferConfig(
        model=str(folder),
        train_sets=(("en",),),
        eval_languages=("en", "de"),
        n_train=4,
        n_train_harmless=2,
        n_eval=2,
        epochs=2,
        learning_rate=1e-3,
        max_new_tokens=12,
        reply_tokens=16,
        n_boot=200,
        out_dir=str(out),
    )
    experiment = run_transfer(config)
    row = experiment.rows[0]
    assert row.n_examples == 6 and row.data["harmful"] == 4
    assert row.train_nll_after is not None and row.train_nll_before is not None
    assert row.train_nll_after < row.train_nll_before  # the adapter learnt its training replies
    m = experiment.matrix("harmlessness")
    assert m.rows == ["eng"] and m.columns == ["eng", "deu"] and m.n[0].tolist() == [2, 2]
    assert {"q_proj", "v_proj"} <= set(experiment.lora_targets)
    write_report(experiment, out)
    text = (out / "transfer.json").read_text(encoding="utf-8")
    assert json.loads(text)["versions"]["trl"]


def test_a_row_left_without_training_examples_says_why(
    tiny_model: Any, chat_tokenizer: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import langgap.analyze.transfer.run as transfer

    config = _experiment_config(_table(tmp_path / "tiny.csv"), tmp_path / "out")
    everything_dropped = ([], {"empty_reply": 0, "base_already_refuses": 0,
                               "base_refuses_harmless": 4, "off_language_reply": 0})  # fmt: skip
    monkeypatch.setattr(transfer, "build_examples", lambda *a, **k: everything_dropped)
    loaded = LoadedModel(tiny_model, chat_tokenizer, "tiny", Path("tiny"))
    with pytest.raises(TransferDataError, match=r"row eng: no training examples .*4 base_refuses"):
        run_transfer(config, loaded=loaded)
