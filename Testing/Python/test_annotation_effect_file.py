"""Checks on the Segment Editor effect file that need no Slicer: it parses, follows the scripted-effect shape, and
every name it imports from the calcification package exists (the effect itself only runs inside Slicer)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

EFFECT = Path(__file__).resolve().parents[2] / "CalcificationAnalysis" / "SegmentEditorCalcificationTraceLib"


def tree() -> ast.Module:
    return ast.parse((EFFECT / "SegmentEditorEffect.py").read_text(encoding="utf-8"))


def test_effect_class_has_the_scripted_effect_methods():
    classes = {node.name: node for node in tree().body if isinstance(node, ast.ClassDef)}
    effect = classes["SegmentEditorEffect"]
    assert [base.id for base in effect.bases] == ["AbstractScriptedSegmentEditorEffect"]
    methods = {node.name for node in effect.body if isinstance(node, ast.FunctionDef)}
    assert {"clone", "icon", "helpText", "setupOptionsFrame", "setMRMLDefaults", "updateGUIFromMRML"} <= methods
    assert {"updateMRMLFromGUI", "processInteractionEvents"} <= methods


def test_calcification_imports_of_the_effect_exist():
    imported = [
        (node.module, alias.name)
        for node in ast.walk(tree())
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("calcification")
        for alias in node.names
    ]
    assert len(imported) >= 4
    for module, name in imported:
        assert hasattr(importlib.import_module(module), name), f"{module}.{name}"


def test_parameters_read_are_the_parameters_defaulted():
    calls = [node for node in ast.walk(tree()) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)]
    names = lambda methods: {c.args[0].value for c in calls if c.func.attr in methods}  # noqa: E731
    assert names({"integerParameter", "doubleParameter"}) == names({"setParameterDefault"}) == names({"setParameter"})


def test_icon_the_effect_uses_exists():
    assert (EFFECT.parent / "Resources" / "Icons" / "CalcificationAnalysis.png").is_file()
