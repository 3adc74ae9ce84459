"""The hdog_filtered method's trained part (the shipped candidate filter) is listed with its card wherever models
are: by ``calcification models`` and in the panel, whose card text comes from ``method_model_description``."""

from __future__ import annotations

from calcification.cli.main import main
from calcification.core.candidates.candidate_filter import DEFAULT_FILTER_NAME, read_filter_card
from calcification.logic.model_choices import method_model_description, model_description


def test_calcification_models_lists_the_candidate_filter_with_its_card(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    card = read_filter_card(None)
    assert "Candidate filters (--method hdog_filtered" in out
    line = next(line for line in out.splitlines() if line.startswith(f"{DEFAULT_FILTER_NAME}:"))
    assert f"probability >= {card.threshold:g}" in line and "(default)" in line and "[shipped]" in line
    assert f"ROC AUC {card.metrics['cross_validation']['roc_auc']:.3f}" in line
    assert out.index("pro_unext_synthetic") < out.index("Candidate filters")  # networks first, as before


def test_the_panel_card_follows_the_method():
    summary, warning = method_model_description("hdog_filtered")
    assert summary.startswith(f"{DEFAULT_FILTER_NAME}: Hessian-DoG candidate filter") and warning == ""
    assert method_model_description("network", None) == model_description(None)
    assert method_model_description("hdog") == ("", "")
    assert method_model_description("no_such_method")[1].startswith("Unknown")
