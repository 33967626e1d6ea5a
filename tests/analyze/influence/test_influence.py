"""Influence functions on the tiny fixtures: real numbers, language aggregation, report, CLI."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("kronfluence")

from langgap.analyze.influence.data import (  # noqa: E402
    IGNORE,
    InfluenceError,
    TrainExample,
    encode_example,
    load_examples,
    refusal_examples,
    refusal_phrasing,
    refusal_queries,
    refusal_replies,
    refusal_reply,
)
from langgap.analyze.influence.modules import tracked_modules  # noqa: E402
from langgap.analyze.influence.results import InfluenceResult  # noqa: E402
from langgap.analyze.influence.run import influence_scores  # noqa: E402

SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
WORDS = ["apple", "river", "stone", "cloud", "green", "seven",
         "house", "music", "night", "paper", "light", "table"]  # fmt: skip
LANGS = ["eng", "deu", "fra"]


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Run on one torch thread, restored afterwards.

    Tiny models run fastest so, and on a busy machine (other test workers) more threads
    spin-wait on each other: the SmolLM2 test took 37 s on one thread and 107 s on two.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _train(n: int = 18, seed: int = 0) -> list[TrainExample]:
    rng = random.Random(seed)
    return [
        TrainExample(
            prompt=" ".join(rng.sample(WORDS, 3)),
            response=" ".join(rng.sample(WORDS, 2 + i % 3)),  # uneven lengths: padding matters
            language=LANGS[i % 3],
            id=f"t{i}",
        )
        for i in range(n)
    ]


def _copies(train: list[TrainExample], picks: tuple[int, ...]) -> list[TrainExample]:
    """Queries identical to chosen training examples (under their own ids)."""
    return [
        TrainExample(train[i].prompt, train[i].response, train[i].language, f"q{i}") for i in picks
    ]


def _state(model: Any) -> tuple[list[str], list[bool], bool]:
    types = [type(m).__name__ for m in model.modules()]
    return types, [p.requires_grad for p in model.parameters()], model.training


# --------------------------------------------------------------------------------------------
# Scores on the tiny models


def test_identical_example_is_the_top_proponent_ekfac(
    tiny_model: Any, tiny_tokenizer: Any, tmp_path: Path
) -> None:
    train = _train()
    picks = (1, 8, 15)
    queries = _copies(train, picks)
    before = _state(tiny_model)
    result = influence_scores(tiny_model, tiny_tokenizer, train, queries, out_dir=tmp_path)
    assert result.scores.shape == (3, 18) and np.isfinite(result.scores).all()
    # The classic sanity check: a training example identical to the query is its top proponent,
    # by a clear margin over the runner-up.
    assert [int(i) for i in result.scores.argmax(axis=1)] == list(picks)
    for row, i in zip(result.scores, picks, strict=True):
        runner_up = np.delete(row, i).max()
        assert row[i] > 1.05 * runner_up
    tops = result.top(3)
    assert [t.proponents[0].id for t in tops] == [f"t{i}" for i in picks]
    assert [t.query_language for t in tops] == [train[i].language for i in picks]
    assert result.config["strategy"] == "ekfac"
    assert result.config["tracked_modules"] == [
        f"model.layers.{i}.mlp.{p}" for i in range(4) for p in ("gate_proj", "up_proj", "down_proj")
    ]
    # The model comes back as it went in: no kronfluence wrappers, same grad flags and mode.
    assert _state(tiny_model) == before


def test_identity_scores_equal_hand_computed_gradient_dot_products(
    tiny_model: Any, tiny_tokenizer: Any, tmp_path: Path
) -> None:
    # identity preconditioning = plain gradient dot product: checks labels, masking and padding
    # (kronfluence runs padded batches, the reference below one unpadded example at a time).
    train = _train(9)
    queries = [*_copies(train, (0, 4)), TrainExample("a b c", "seven green", "deu", "qx")]
    modules = ["model.layers.2.mlp.down_proj", "model.layers.*.self_attn.o_proj"]
    result = influence_scores(
        tiny_model,
        tiny_tokenizer,
        train,
        queries,
        out_dir=tmp_path,
        strategy="identity",
        modules=modules,
        train_batch_size=4,
        query_batch_size=2,
    )
    names = tracked_modules(tiny_model, modules)
    assert len(names) == 5

    def grad(example: TrainExample) -> Any:
        enc = encode_example(tiny_tokenizer, example, 512)
        ids = torch.tensor([enc.input_ids])
        labels = torch.tensor(enc.labels[1:])
        logits = tiny_model(input_ids=ids).logits[0, :-1]
        loss = torch.nn.functional.cross_entropy(
            logits, labels, ignore_index=IGNORE, reduction="sum"
        )
        weights = [tiny_model.get_submodule(n).weight for n in names]
        return torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, weights)]).double()

    with torch.enable_grad():
        g_train = torch.stack([grad(e) for e in train])
        g_query = torch.stack([grad(e) for e in queries])
    expected = (g_query @ g_train.T).numpy()
    np.testing.assert_allclose(
        result.scores, expected, rtol=2e-3, atol=1e-3 * np.abs(expected).max()
    )


def test_rerun_reuses_factors_and_a_new_seed_refits(
    tiny_model: Any, tiny_tokenizer: Any, tmp_path: Path
) -> None:
    train, queries = _train(6), _copies(_train(6), (2,))
    first = influence_scores(
        tiny_model, tiny_tokenizer, train, queries, out_dir=tmp_path, strategy="kfac"
    )
    root = tmp_path / "kronfluence" / "influence"
    factor_dirs = sorted(root.glob("factors_*"))
    assert [d.name for d in factor_dirs] == [f"factors_{first.config['factors_name']}"]
    stamps = {p: p.stat().st_mtime_ns for p in factor_dirs[0].iterdir()}
    again = influence_scores(
        tiny_model, tiny_tokenizer, train, queries, out_dir=tmp_path, strategy="kfac"
    )
    assert {p: p.stat().st_mtime_ns for p in factor_dirs[0].iterdir()} == stamps  # not refitted
    np.testing.assert_array_equal(again.scores, first.scores)
    assert again.config == first.config
    other = influence_scores(
        tiny_model, tiny_tokenizer, train, queries, out_dir=tmp_path, strategy="kfac", seed=1
    )
    assert other.config["factors_name"] != first.config["factors_name"]
    assert len(list(root.glob("factors_*"))) == 2


def test_gpt2_conv1d_layers_are_tracked_as_linear_and_restored(
    tiny_gpt2: Any, tiny_tokenizer: Any, tmp_path: Path
) -> None:
    # GPT-2's MLP is transformers' Conv1D, which kronfluence cannot wrap: it is swapped for an
    # nn.Linear view of the same weights during the run and swapped back afterwards.
    assert tracked_modules(tiny_gpt2) == [
        f"transformer.h.{i}.mlp.{p}" for i in range(2) for p in ("c_fc", "c_proj")
    ]
    ids = torch.tensor([[10, 11, 12, 13]])
    with torch.no_grad():
        before_logits = tiny_gpt2(ids).logits
    before = _state(tiny_gpt2)
    train = _train(9)
    result = influence_scores(
        tiny_gpt2,
        tiny_tokenizer,
        train,
        _copies(train, (3, 7)),
        out_dir=tmp_path,
        strategy="ekfac",
    )
    assert [int(i) for i in result.scores.argmax(axis=1)] == [3, 7]
    assert _state(tiny_gpt2) == before
    assert "Conv1D" in before[0]
    with torch.no_grad():
        assert torch.equal(tiny_gpt2(ids).logits, before_logits)


# --------------------------------------------------------------------------------------------
# Aggregation on a fixed score matrix


def _synthetic() -> InfluenceResult:
    scores = np.array(
        [
            [5.0, -1.0, 2.0, 0.0, 4.0],  # q0 eng
            [1.0, 3.0, -2.0, 6.0, -4.0],  # q1 deu
            [0.5, 2.5, 1.5, -3.0, 2.0],  # q2 eng
        ]
    )
    train = [
        TrainExample(f"PROMPT-{i}", f"RESPONSE-{i}", lang, f"t{i}")
        for i, lang in enumerate(["eng", "deu", "eng", "fra", "deu"])
    ]
    queries = [
        TrainExample(f"QUERY-{i}", "R", lang, f"q{i}")
        for i, lang in enumerate(["eng", "deu", "eng"])
    ]
    return InfluenceResult(
        scores=scores,
        train_ids=[e.id for e in train],
        train_languages=[e.language for e in train],
        query_ids=[e.id for e in queries],
        query_languages=[e.language for e in queries],
        config={"strategy": "ekfac", "seed": 0},
        train=train,
        queries=queries,
    )


def test_by_language_equals_hand_computed_means_and_shares() -> None:
    langs = _synthetic().by_language(k=2)
    assert langs.train_languages == ["deu", "eng", "fra"]
    assert langs.query_languages == ["deu", "eng"]
    assert langs.n_train == {"deu": 2, "eng": 2, "fra": 1} and langs.n_query == {"deu": 1, "eng": 2}
    # mean over (query, training example) pairs; rows deu (t1, t4), eng (t0, t2), fra (t3)
    expected_mean = np.array(
        [
            [(3 - 4) / 2, (-1 + 4 + 2.5 + 2) / 4],
            [(1 - 2) / 2, (5 + 2 + 0.5 + 1.5) / 4],
            [6.0, (0 - 3) / 2],
        ]
    )
    np.testing.assert_allclose(langs.mean, expected_mean)
    # top 2: q0 -> t0 (eng), t4 (deu); q1 -> t3 (fra), t1 (deu); q2 -> t1 (deu), t4 (deu)
    expected_share = np.array([[0.5, (0.5 + 1.0) / 2], [0.0, (0.5 + 0.0) / 2], [0.5, 0.0]])
    np.testing.assert_allclose(langs.top_share, expected_share)
    np.testing.assert_allclose(langs.top_share.sum(axis=0), 1.0)
    np.testing.assert_allclose(langs.train_share(), [0.4, 0.4, 0.2])


def test_top_lists_proponents_and_opponents_by_sign() -> None:
    tops = _synthetic().top(3)
    assert [(x.id, x.score) for x in tops[0].proponents] == [("t0", 5.0), ("t4", 4.0), ("t2", 2.0)]
    assert [(x.id, x.score) for x in tops[0].opponents] == [("t1", -1.0)]  # only negative ones
    assert [x.id for x in tops[1].opponents] == ["t4", "t2"]
    assert [x.language for x in tops[1].proponents] == ["fra", "deu", "eng"]
    with pytest.raises(InfluenceError, match="at least 1"):
        _synthetic().top(0)
    assert len(_synthetic().top(50)[0].proponents) == 3  # k capped; only positive scores


def test_report_files_and_no_text_in_json(tmp_path: Path) -> None:
    from langgap.analyze.influence.report import write_influence_report

    result = _synthetic()
    paths = write_influence_report(result, tmp_path, k=2)
    names = sorted(p.name for p in paths)
    assert names == sorted(
        [
            "influence.json",
            "influence.md",
            "influence_by_language.png",
            "influence_by_language.svg",
            "influence_top_share.png",
            "influence_top_share.svg",
        ]
    )
    text = (tmp_path / "influence.json").read_text(encoding="utf-8")
    md = (tmp_path / "influence.md").read_text(encoding="utf-8")
    for marker in ("PROMPT-", "RESPONSE-", "QUERY-"):
        assert marker not in text and marker not in md
    data = json.loads(text)
    assert data["by_language"]["mean"][2][0] == 6.0
    assert data["top"][0]["proponents"][0] == {"id": "t0", "language": "eng", "score": 5.0}
    assert data["config"] == {"strategy": "ekfac", "seed": 0}
    assert "Query q1 (deu)" in md and "t3" in md
    back = InfluenceResult.load(tmp_path / "influence.json")
    np.testing.assert_array_equal(back.scores, result.scores)
    assert back.query_languages == result.query_languages
    svg = (tmp_path / "influence_by_language.svg").read_bytes()
    write_influence_report(result, tmp_path, k=2)
    assert (tmp_path / "influence_by_language.svg").read_bytes() == svg  # deterministic
    write_influence_report(result, tmp_path / "with_text", k=2, include_text=True)
    assert "PROMPT-3" in (tmp_path / "with_text" / "influence.json").read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Data: JSONL, encoding, refusal replies


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_load_examples_reads_and_normalises(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "train.jsonl",
        [
            json.dumps({"prompt": "p1", "response": "r1", "language": "en", "id": "a"}),
            "",
            json.dumps({"prompt": "p2", "response": "r2", "language": "German", "id": 7}),
            json.dumps({"prompt": "p3", "response": "r3", "language": "fra"}),
        ],
    )
    got = load_examples(path)
    assert [(e.id, e.language) for e in got] == [("a", "eng"), ("7", "deu"), ("train:4", "fra")]
    queries = load_examples(
        _write(tmp_path / "q.jsonl", [json.dumps({"prompt": "x", "language": "de"})]),
        response_optional=True,
    )
    assert queries[0].response == refusal_phrasing("deu", "q:1")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"prompt": "p", "language": "eng"}', r"bad\.jsonl:2: field 'response' is missing"),
        ('{"prompt": "p", "response": "", "language": "eng"}', r":2: field 'response' must be"),
        ('{"response": "r", "language": "eng"}', r":2: field 'prompt' is missing"),
        ('{"prompt": "p", "response": "r"}', r":2: field 'language' is missing"),
        (
            '{"prompt": "p", "response": "r", "language": "eng", "id": "a"}',
            r":2: id 'a' repeats line 1",
        ),
        ('{"prompt": "p", "response": "r", "language": "eng", "id": []}', r":2: field 'id' must"),
        ('{"prompt": "p", ', r"bad\.jsonl:2: not valid JSON"),
        ('["p", "r"]', r":2: expected a JSON object"),
    ],
)
def test_load_examples_errors_name_file_line_and_field(
    tmp_path: Path, line: str, message: str
) -> None:
    first = json.dumps({"prompt": "p", "response": "r", "language": "eng", "id": "a"})
    with pytest.raises(InfluenceError, match=message):
        load_examples(_write(tmp_path / "bad.jsonl", [first, line]))


def test_load_examples_missing_empty_and_unknown_language(tmp_path: Path) -> None:
    with pytest.raises(InfluenceError, match="file not found"):
        load_examples(tmp_path / "nope.jsonl")
    with pytest.raises(InfluenceError, match="no examples"):
        load_examples(_write(tmp_path / "empty.jsonl", [""]))
    line = json.dumps({"prompt": "x", "language": "tlh"})
    with pytest.raises(InfluenceError, match=r"q\.jsonl:1: no response given.*available: ara, ben"):
        load_examples(_write(tmp_path / "q.jsonl", [line]), response_optional=True)


def test_encode_example_labels_only_the_response_and_truncates_the_prompt(
    tiny_tokenizer: Any,
) -> None:
    example = TrainExample("hello there", "fine", "eng", "e")
    enc = encode_example(tiny_tokenizer, example, 512)
    text = tiny_tokenizer.decode(enc.input_ids)
    assert text.replace(" ", "").startswith("<u>hellothere</u>")  # char tokens decode spaced
    labelled = [t for t in enc.labels if t != IGNORE]
    assert tiny_tokenizer.decode(labelled).replace(" ", "") == "<u>fine</u>"
    assert not enc.truncated
    long = TrainExample("x" * 100, "the answer", "eng", "long")
    cut = encode_example(tiny_tokenizer, long, 20)
    assert cut.truncated and len(cut.input_ids) == 20
    kept = [t for t in cut.labels if t != IGNORE]
    assert tiny_tokenizer.decode(kept).replace(" ", "") == "<u>theanswer</u>"  # response intact
    assert cut.input_ids[-len(kept) - 1] == tiny_tokenizer.convert_tokens_to_ids("</u>")
    huge = encode_example(tiny_tokenizer, TrainExample("p", "y" * 100, "eng", "h"), 20)
    assert huge.labels.count(IGNORE) == 3 and len(huge.input_ids) == 20  # the whole prompt
    plain = copy.deepcopy(tiny_tokenizer)
    plain.chat_template = None
    raw = encode_example(plain, example, 512)
    assert (
        tiny_tokenizer.decode([t for t in raw.labels if t != IGNORE]).replace(" ", "") == "fine<a>"
    )


def test_refusal_replies_cover_the_lab_languages_and_read_as_refusals() -> None:
    from langgap.evaluate.judges.refusal import judge_refusal

    replies = refusal_replies()
    required = "eng deu fra spa ita por rus zho jpn kor ara hin ben tur vie ind tha swa ukr pol nld"
    assert set(required.split()) <= set(replies)
    for code, reply in replies.items():
        verdict = judge_refusal(reply, code)
        assert verdict.outcome == "refused" or verdict.unsupported, (code, verdict)
    assert refusal_reply("en") == replies["eng"] == "I'm sorry, but I can't help with that."
    with pytest.raises(InfluenceError, match="no refusal reply for language 'tlh'; available: ara"):
        refusal_reply("tlh")


def test_controls_keep_targets_or_prompts_and_compare_same_with_cross() -> None:
    from langgap.analyze.influence.controls import control_sets, same_vs_cross
    from langgap.analyze.influence.results import InfluenceResult

    train = [TrainExample(f"p{i}", f"r{i}", "eng" if i < 3 else "deu", f"t{i}") for i in range(6)]
    queries = [TrainExample("q", "rq", "deu", "q1")]
    sets = control_sets(train, queries, seed=1)
    shuffled, same_q = sets["shuffled_prompts"]
    # every target and language kept, the prompts permuted among the examples
    assert [(t.response, t.language, t.id) for t in shuffled] == [
        (t.response, t.language, t.id) for t in train
    ]
    assert sorted(t.prompt for t in shuffled) == sorted(t.prompt for t in train)
    assert [t.prompt for t in shuffled] != [t.prompt for t in train] and same_q == queries
    one_train, one_queries = sets["same_target"]
    assert len({t.response for t in one_train + one_queries}) == 1
    assert [t.prompt for t in one_train] == [t.prompt for t in train]
    scores = np.array([[1.0, 1.0, 1.0, 4.0, 4.0, 4.0]])  # deu query: deu examples score 4
    result = InfluenceResult(scores, [t.id for t in train], [t.language for t in train],
                             ["q1"], ["deu"])  # fmt: skip
    assert same_vs_cross(result.by_language(2)) == {
        "same_language": 4.0, "cross_language": 1.0, "gap": 3.0}  # fmt: skip


def test_refusal_queries_from_prompts() -> None:
    from langgap.analyze.common.activations import Prompt
    from langgap.evaluate.judges.refusal import judge_refusal

    got = refusal_queries([Prompt("how to x", "p1", "de", True)])
    assert got == [TrainExample("how to x", refusal_phrasing("deu", "p1"), "deu", "p1")]
    # several phrasings a language, each a refusal there; no templates: the single reply
    many = refusal_queries([Prompt("how to x", f"p{i}", "de", True) for i in range(30)])
    assert len({q.response for q in many}) > 2
    assert all(judge_refusal(q.response, "deu").outcome == "refused" for q in many)
    assert refusal_phrasing("ukr", "p1") == refusal_reply("ukr")
    with pytest.raises(InfluenceError, match="has no language"):
        refusal_queries([Prompt("how to x", "p2")])
    harmful, harmless = Prompt("how to x", "h", "de", True), Prompt("bake bread", "b", "en", False)
    assert refusal_examples([harmful, harmless], answer="Sure.") == [
        TrainExample("how to x", refusal_phrasing("deu", "h"), "deu", "train-h"),
        TrainExample("bake bread", "Sure.", "eng", "train-b"),
    ]
    with pytest.raises(InfluenceError, match="p3 has no language"):
        refusal_examples([harmful, Prompt("bake", "p3", None, False)], answer="Sure.")


# --------------------------------------------------------------------------------------------
# Bad input


def test_bad_input_errors_name_what_is_available(
    tiny_model: Any, tiny_tokenizer: Any, tmp_path: Path
) -> None:
    train = _train(3)

    def run(**kwargs: Any) -> Any:
        args: dict[str, Any] = {"train": train, "queries": train[:1], "out_dir": tmp_path}
        args.update(kwargs)
        return influence_scores(tiny_model, tiny_tokenizer, **args)

    with pytest.raises(InfluenceError, match="training set is empty"):
        run(train=[])
    with pytest.raises(InfluenceError, match="no queries"):
        run(queries=[])
    with pytest.raises(InfluenceError, match="unknown strategy 'lissa'; available: ekfac, kfac"):
        run(strategy="lissa")
    with pytest.raises(
        InfluenceError,
        match=r"matches no linear layer; those of block 0 are .*mlp\.up_proj.*blocks: lm_head",
    ):
        run(modules=["model.layers.*.ffn"])
    with pytest.raises(InfluenceError, match="layer index 7 is out of range: the model has 4"):
        run(layers=[7])
    with pytest.raises(InfluenceError, match="use 'mlp', 'all' or a list"):
        run(modules="attention")
    with pytest.raises(InfluenceError, match="query example 'x' has no language"):
        run(queries=[TrainExample("p", "r", "", "x")])
    with pytest.raises(InfluenceError, match="id 't0' appears twice"):
        run(train=[train[0], train[0]])
    assert tracked_modules(tiny_model, "all", layers=[-1])[0] == "model.layers.3.self_attn.q_proj"
    assert len(tracked_modules(tiny_model, "all")) == 28


def test_mlp_selection_error_lists_the_block_layers() -> None:
    from torch import nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attn_out = nn.Linear(4, 4)

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList([Block(), Block()])

    with pytest.raises(InfluenceError, match=r"no feed-forward .* block 0 are layers\.0\.attn_out"):
        tracked_modules(Model())
    assert tracked_modules(Model(), "all") == ["layers.0.attn_out", "layers.1.attn_out"]


# --------------------------------------------------------------------------------------------
# CLI


def test_cli_influence_writes_the_report(
    tiny_model: Any, tiny_tokenizer: Any, tmp_path: Path
) -> None:
    import typer
    from typer.testing import CliRunner

    from langgap.analyze.influence.cli import register

    folder = tmp_path / "model"
    tiny_model.save_pretrained(folder)
    tiny_tokenizer.save_pretrained(folder)
    train = _train(6)
    rows = [
        {"prompt": e.prompt, "response": e.response, "language": e.language, "id": e.id}
        for e in train
    ]
    train_file = _write(tmp_path / "train.jsonl", [json.dumps(r) for r in rows])
    queries = [
        {"prompt": train[4].prompt, "response": train[4].response, "language": "fr", "id": "q"}
    ]
    query_file = _write(tmp_path / "queries.jsonl", [json.dumps(r) for r in queries])
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # two commands: the subcommand name is required
    out = tmp_path / "out"
    runner = CliRunner()
    base = ["influence", "--model", str(folder), "--train", str(train_file), "--out", str(out)]
    ok = runner.invoke(
        app, [*base, "--queries", str(query_file), "--top", "3", "--strategy", "kfac"]
    )
    assert ok.exit_code == 0, ok.output
    assert (out / "influence_by_language.png").is_file()
    settings = json.loads((out / "config.json").read_text(encoding="utf-8"))["settings"]
    assert settings["strategy"] == "kfac" and settings["influence"]["seed"] == 0
    data = json.loads((out / "influence.json").read_text(encoding="utf-8"))
    assert data["top"][0]["proponents"][0]["id"] == "t4"
    assert data["config"]["strategy"] == "kfac"
    assert train[4].prompt not in ok.output and train[4].prompt not in json.dumps(data)
    controlled = tmp_path / "controlled"
    args = ["influence", "--model", str(folder), "--train", str(train_file), "--out",
            str(controlled), "--queries", str(query_file), "--top", "3", "--strategy", "identity",
            "--controls"]  # fmt: skip
    ok = runner.invoke(app, args)
    assert ok.exit_code == 0, ok.output
    summary = json.loads((controlled / "controls.json").read_text(encoding="utf-8"))
    assert set(summary["same_vs_cross"]) == {"main", "shuffled_prompts", "same_target"}
    assert "Influence controls" in (controlled / "controls.md").read_text(encoding="utf-8")
    assert (controlled / "controls" / "same_target").is_dir()
    both = runner.invoke(app, [*base, "--queries", str(query_file), "--query-languages", "eng"])
    assert both.exit_code == 2 and "either --queries FILE or --query-languages" in both.output
    layers = runner.invoke(app, [*base, "--queries", str(query_file), "--layers", "last"])
    assert layers.exit_code == 2 and "--layers: 'last' is not a layer index" in layers.output
    assert "Loading weights" not in layers.output  # refused before the model loads
    bad = runner.invoke(app, [*base, "--queries", str(query_file), "--strategy", "lissa"])
    assert bad.exit_code == 2 and "choose one of ekfac" in bad.output
    missing = runner.invoke(
        app,
        [
            "influence",
            "--model",
            str(tmp_path / "none"),
            "--train",
            str(train_file),
            "--out",
            str(out),
            "--queries",
            str(query_file),
        ],
    )
    assert missing.exit_code == 2 and "no such model folder" in missing.output


# --------------------------------------------------------------------------------------------
# One real run


@pytest.mark.slow
def test_smollm2_influence_on_refusal_queries(
    tmp_path_factory: pytest.TempPathFactory, smollm2_folder: Path
) -> None:
    if not (SHARED_DATA / "polyrefuse").is_dir():
        pytest.skip(f"PolyRefuse not found at {SHARED_DATA / 'polyrefuse'} (../shared/data absent)")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from langgap.analyze.common.data import benchmark_prompts
    from langgap.analyze.influence.report import write_influence_report

    folder = smollm2_folder
    model = AutoModelForCausalLM.from_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)

    prompts = benchmark_prompts(["eng", "deu"], 2, seed=1)
    harmful = [p for p in prompts if p.harmful]
    queries = refusal_queries(harmful)  # two per language, target: the refusal reply
    # Training set: the harmful prompts answered with that refusal (each query's exact twin)
    # and the harmless ones answered plainly.
    train = refusal_examples(prompts, answer="Sure, here is a short overview.")
    # EK-FAC on the last layer's MLP keeps the CPU run short: the backward pass stops there and
    # there are six eigendecompositions.
    result = influence_scores(
        model,
        tokenizer,
        train,
        queries,
        out_dir=tmp_path_factory.mktemp("influence"),
        layers=[-1],
        max_length=80,
        train_batch_size=8,
        query_batch_size=4,
    )
    assert result.scores.shape == (4, 8) and np.isfinite(result.scores).all()
    assert [t.proponents[0].id for t in result.top(1)] == [f"train-{p.id}" for p in harmful]
    langs = result.by_language(k=2)
    assert langs.train_languages == ["deu", "eng"] and langs.query_languages == ["deu", "eng"]
    out = tmp_path_factory.mktemp("report")
    write_influence_report(result, out, k=3)
    saved = (out / "influence.json").read_text(encoding="utf-8")
    for p in harmful:  # the harmful prompts never reach the report
        assert p.text not in saved


def test_refusal_training_set_from_polyrefuse_is_disjoint_from_queries() -> None:
    if not (SHARED_DATA / "polyrefuse").is_dir():
        pytest.skip(f"PolyRefuse not found at {SHARED_DATA / 'polyrefuse'} (../shared/data absent)")
    from langgap.analyze.influence.data import InfluenceError
    from langgap.analyze.influence.inputs import query_examples, training_examples

    queries = query_examples(None, "eng,deu", 3, SHARED_DATA, 0)
    train = training_examples(None, "en,de", 5, queries, SHARED_DATA, 0)
    assert [t.language for t in train] == ["eng"] * 5 + ["deu"] * 5
    assert not {t.id for t in train} & {q.id for q in queries}
    assert not {t.prompt for t in train} & {q.prompt for q in queries}
    assert all(t.response == refusal_phrasing(t.language, t.id) for t in train)
    with pytest.raises(InfluenceError, match="not both"):
        training_examples(SHARED_DATA, "en", 5, queries, SHARED_DATA, 0)
    with pytest.raises(InfluenceError, match="Bengali"):
        training_examples(None, "bn", 5, queries, SHARED_DATA, 0)


def test_a_training_language_with_no_prompts_left_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from langgap.analyze.common import data
    from langgap.analyze.common.activations import Prompt
    from langgap.analyze.influence import inputs

    query = TrainExample("how to x", refusal_reply("deu"), "deu", "q1")
    # every prompt the benchmark offers is the query itself: nothing is left to train on
    monkeypatch.setattr(data, "read_benchmark", lambda *a, **k: None)
    monkeypatch.setattr(
        data, "benchmark_prompts", lambda *a, **k: [Prompt("how to x", "q1", "deu", True)]
    )
    with pytest.raises(InfluenceError, match="no harmful deu prompts left for training"):
        inputs.training_examples(None, "deu", 2, [query], None, 0)


def test_top_k_at_or_above_the_training_set_is_flagged(tmp_path: Path) -> None:
    from langgap.analyze.influence.report import write_influence_report

    result = _synthetic()  # five training examples
    assert result.warnings(4) == []
    for k in (5, 10):
        (warning,) = result.warnings(k)
        assert f"--top {k} ≥ 5 training examples" in warning
    paths = write_influence_report(result, tmp_path, k=10)
    data = json.loads((tmp_path / "influence.json").read_text(encoding="utf-8"))
    assert data["warnings"] == result.warnings(10)
    markdown = next(p for p in paths if p.suffix == ".md").read_text(encoding="utf-8")
    assert "Warning:" in markdown and "10 ≥ 5 training examples" in markdown
