"""The English lexical model of the response classifier: its terms, that it decides English
replies only, its file form and its learner (examples written here; the finder of its terms is
tested with the decline models')."""

from __future__ import annotations

import dataclasses
import json

import pytest

from langgap.evaluate.judge_eval.data import LabelledDataError, LabelledItem
from langgap.evaluate.judge_eval.learn_response import fit_response_model
from langgap.evaluate.judges._terms import lexical_terms
from langgap.evaluate.judges._text import normalise
from langgap.evaluate.judges.response import (
    FEATURES,
    LexicalModel,
    ResponseModel,
    classify_many,
    classify_response,
    packaged_model,
)

CLASSES = ("cannot_answer", "cautioned", "complied", "refused", "refuted")


def test_terms_are_words_and_pairs_with_the_gap_between_them() -> None:
    assert lexical_terms(normalise("I'm sorry, but no."), 500) == {
        "i", "m", "sorry", "but", "no", "i m", "m sorry", "sorry  but", "but no",
    }  # fmt: skip
    assert lexical_terms("über alles", 500) == {"über", "alles", "über alles"}
    # the window cuts a word at its end: in the first 7 characters "bread" is "br"
    assert lexical_terms("good bread", 7) == {"good", "br", "good br"}
    assert lexical_terms("", 500) == set()


def _lexical(terms: dict[str, tuple[float, ...]], intercept: tuple[float, ...]) -> LexicalModel:
    zeros = tuple((0.0,) * len(FEATURES) for _ in CLASSES)
    return LexicalModel("eng", 60, intercept, zeros, terms)


def test_only_replies_in_the_models_language_use_it() -> None:
    cue_only = dataclasses.replace(packaged_model(), lexical=None)
    # a lexical model that calls everything with the word "sorry" cannot_answer
    terms: dict[str, tuple[float, ...]] = {"sorry": (40.0, 0.0, 0.0, 0.0, 0.0)}
    model = dataclasses.replace(cue_only, lexical=_lexical(terms, (0.0,) * len(CLASSES)))
    english = "I'm sorry, but I can't help with that request."
    french = "Je suis désolé, mais je ne peux pas vous aider avec cette demande."
    assert classify_response(english, "en", model).action == "cannot_answer"
    assert classify_response(english, "en", cue_only).action == "refused"
    # the French reply's language is not the lexical model's: the cue model decides
    assert classify_response(french, "fr", model) == classify_response(french, "fr", cue_only)
    texts, languages = [english, french, english], ["en", "fr", "fr"]
    assert classify_many(texts, languages, model) == [
        classify_response(t, g, model) for t, g in zip(texts, languages, strict=True)
    ]


def test_the_packaged_model_has_an_english_lexical_part_that_survives_json() -> None:
    model = packaged_model()
    assert model.lexical is not None and model.lexical.language == "eng"
    assert 0 < len(model.lexical.terms) <= 1000
    assert ResponseModel.from_json(model.to_json()) == model


def test_a_lexical_part_of_the_wrong_shape_is_refused() -> None:
    data = json.loads(packaged_model().to_json())
    data["lexical"]["terms"]["sorry"] = [1.0, 2.0]
    with pytest.raises(ValueError, match="lexical part does not match"):
        ResponseModel.from_json(json.dumps(data), "broken.json")
    # a model file of the first format (no lexical part, no decline models) is still read
    data = json.loads(packaged_model().to_json())
    del data["lexical"], data["decline"]
    data["format"] = "langgap-linear/1"
    assert ResponseModel.from_json(json.dumps(data)).lexical is None


def _items(pairs: list[tuple[str, str]]) -> list[LabelledItem]:
    return [
        LabelledItem(f"q{i}", "q", text, "x", "en", "t", {"action": action, "group": f"g{i}"})
        for i, (text, action) in enumerate(pairs)
    ]


def test_the_learner_finds_words_the_cues_do_not_see() -> None:
    # two cue-less answers that differ only in their first word: only the lexical model can
    # tell the labels apart
    plain = "Bread needs flour, water, salt and yeast; knead it and bake it until golden."
    toast = "Toast needs flour, water, salt and yeast; knead it and bake it until golden."
    items = _items([(plain, "5"), (toast, "2")] * 6)
    model = fit_response_model(items, c=10.0, split="all", lexical_terms=50)
    assert model.lexical is not None and 0 < len(model.lexical.terms) <= 50
    assert model.meta["lexical"]["n_items"] == 12  # type: ignore[index]
    assert classify_response(plain, "en", model).action == "complied"
    assert classify_response(toast, "en", model).action == "cautioned"
    assert ResponseModel.from_json(model.to_json()) == model
    no_words = fit_response_model(items, c=10.0, split="all", lexical_terms=0)
    assert no_words.lexical is None and "lexical" not in no_words.meta


def test_the_lexical_model_decides_only_where_the_cue_model_leaves_refused_plausible() -> None:
    cue_only = dataclasses.replace(packaged_model(), lexical=None)
    answer = "Sure! " + "Bread needs flour, water and salt; knead it and bake it until golden. " * 8
    terms: dict[str, tuple[float, ...]] = {"bread": (0.0, 40.0, 0.0, 0.0, 0.0)}  # cautioned
    lexical = _lexical(terms, (0.0,) * len(CLASSES))
    always = dataclasses.replace(cue_only, lexical=lexical)
    assert classify_response(answer, "en", always).action == "cautioned"
    # the cue model gives this long answer about 1 % of being a refusal: it keeps its verdict
    gated = dataclasses.replace(cue_only, lexical=dataclasses.replace(lexical, min_refused=0.05))
    assert classify_response(answer, "en", gated) == classify_response(answer, "en", cue_only)
    assert ResponseModel.from_json(gated.to_json()) == gated


def test_a_lexical_part_that_cannot_be_fitted_is_an_error_not_skipped() -> None:
    plain = "Bread needs flour, water, salt and yeast; knead it and bake it until golden."
    items = _items([(plain, "5")] * 6)
    items += [  # a class seen only in German: the English part could not learn it
        LabelledItem(f"d{i}", "q", "Brot braucht Mehl und Wasser.", "x", "de", "t",
                     {"action": "2", "group": f"d{i}"})
        for i in range(6)
    ]  # fmt: skip
    with pytest.raises(LabelledDataError, match=r"none: cautioned.*--lexical-terms 0"):
        fit_response_model(items, c=10.0, split="all", lexical_terms=50)
    assert fit_response_model(items, c=10.0, split="all", lexical_terms=0).lexical is None
