"""Every parameter bound to a widget in a .ui file meets the requirements of Slicer's GUI connector for that pair.

``parameterNode.connectGui(self.ui)`` (Base/Python/slicer/parameterNodeWrapper/wrapper.py, ``_connectGui``) finds
each widget with a ``SlicerParameterName`` property and asks ``createGuiConnector`` (guiConnectors.py) for a
connector from the parameter's annotated type to that widget's class. A pair no connector accepts, or an annotation
a connector insists on, raises ``RuntimeError`` inside the widget's ``setup()``, and nothing after it is connected.

RULES below encodes, per connector, the widget classes it accepts (it compares ``type(widget)``, so the exact class
named in the .ui file), the value types, and the annotations it requires. Line numbers refer to
Slicer v5.10.0 ``Base/Python/slicer/parameterNodeWrapper/guiConnectors.py`` (unchanged on main as of 2026-08).
Slicer is not available here, so the module files are read as source (ast) and the .ui files as XML.
"""

from __future__ import annotations

import ast
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = ["CalcificationAnalysis", "CalcificationTraining"]
PATH_TYPES = {"Path", "PosixPath", "WindowsPath", "PurePath", "PurePosixPath", "PureWindowsPath"}


@dataclass(frozen=True)
class Rule:
    """One GUI connector: accepted widget classes and value types, and what it requires of the annotations."""

    connector: str
    lines: str  # guiConnectors.py v5.10.0
    widgets: frozenset
    types: frozenset  # unannotated type names; "vtkMRML*" for node types
    requires: tuple = ()  # every entry is a tuple of alternatives: at least one must be present
    requires_default_annotation: bool = False


RULES = (
    Rule("QCheckBoxToBoolConnector", "162-165", frozenset({"QCheckBox", "ctkCheckBox"}), frozenset({"bool"})),
    Rule("QCheckablePushButtonToBoolConnector", "195-198", frozenset({"QPushButton"}), frozenset({"bool"})),
    Rule("QSliderOrSpinBoxToIntConnector (spin box)", "276-279", frozenset({"QSpinBox"}), frozenset({"int"})),
    # 300-307: "Cannot have a connection to QSlider where the int type is unbounded."
    Rule(
        "QSliderOrSpinBoxToIntConnector (slider)",
        "276-307",
        frozenset({"QSlider"}),
        frozenset({"int"}),
        requires=(("WithinRange", "Minimum+Maximum"),),
    ),
    Rule(
        "QDoubleSpinBoxCtkSliderWidgetToFloatIntConnector (spin box)",
        "340-346",
        frozenset({"QDoubleSpinBox", "ctkDoubleSlider", "ctkDoubleSpinBox", "qMRMLSpinBox"}),
        frozenset({"float", "int"}),
    ),
    # 377-380: "Cannot have a connection to ctkSliderWidget where the float types is unbounded."
    Rule(
        "QDoubleSpinBoxCtkSliderWidgetToFloatIntConnector (slider)",
        "340-380",
        frozenset({"ctkSliderWidget", "qMRMLSliderWidget"}),
        frozenset({"float", "int"}),
        requires=(("WithinRange", "Minimum+Maximum"),),
    ),
    # 426-431: "ComboBoxToStringableConnector requires the Choice annotation to be used."
    Rule(
        "QComboBoxToStringableConnector",
        "418-431",
        frozenset({"QComboBox", "ctkComboBox"}),
        frozenset({"int", "float", "str", "bool"}),
        requires=(("Choice",),),
    ),
    Rule("QLineEditToStrConnector", "515-518", frozenset({"QLineEdit"}), frozenset({"str"})),
    Rule("QLabelToStrConnector", "551-554", frozenset({"QLabel"}), frozenset({"str"})),
    Rule("QTextEditPlainTextToStrConnector", "584-587", frozenset({"QTextEdit"}), frozenset({"str"})),
    # 641-644: "... Add a RangeBounds annotation."; 646-652: without a Default annotation the bounds are checked
    # with RangeBounds.validate(0), which reads 0.minimum (validators.py 164-166) and so fails for any bounds.
    Rule(
        "ctkRangeWidgetToRangeConnector",
        "616-652",
        frozenset({"ctkRangeWidget", "ctkDoubleRangeSlider", "qMRMLRangeWidget"}),
        frozenset({"FloatRange"}),
        requires=(("RangeBounds",),),
        requires_default_annotation=True,
    ),
    Rule("ctkPathLineEditToPathConnector", "673-679", frozenset({"ctkPathLineEdit"}), frozenset(PATH_TYPES)),
    Rule("ctkDirectoryButtonToPathConnector", "709-715", frozenset({"ctkDirectoryButton"}), frozenset(PATH_TYPES)),
    Rule("qMRMLNodeComboBoxToNodeConnector", "745-748", frozenset({"qMRMLNodeComboBox"}), frozenset({"vtkMRML*"})),
)


@dataclass(frozen=True)
class Parameter:
    name: str
    type_name: str
    annotations: frozenset  # names of the Annotated[...] extras: RangeBounds, Default, Choice, WithinRange, ...
    has_equals_default: bool


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Subscript):
        return _name(node.value)
    if isinstance(node, ast.Call):
        return _name(node.func)
    return ast.unparse(node)


def parameters_of(source: str) -> dict[str, Parameter]:
    """Fields of the ``@parameterNodeWrapper`` class in ``source``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef) and any(_name(d) == "parameterNodeWrapper" for d in node.decorator_list):
            fields = {}
            for statement in node.body:
                if not isinstance(statement, ast.AnnAssign):
                    continue
                annotation, extras = statement.annotation, []
                if isinstance(annotation, ast.Subscript) and _name(annotation.value) == "Annotated":
                    first, *extras = annotation.slice.elts
                    annotation = first
                name = statement.target.id
                fields[name] = Parameter(
                    name, _name(annotation), frozenset(_name(e) for e in extras), statement.value is not None
                )
            return fields
    raise AssertionError("no @parameterNodeWrapper class")


def bound_widgets(ui_path: Path) -> dict[str, str]:
    """parameter name -> widget class of every widget with a SlicerParameterName property."""
    bound = {}
    for widget in ET.parse(ui_path).getroot().iter("widget"):
        for prop in widget.findall("property"):
            if prop.get("name") == "SlicerParameterName":
                bound[prop.findtext("string")] = widget.get("class")
    return bound


def _type_matches(rule: Rule, type_name: str) -> bool:
    return type_name in rule.types or ("vtkMRML*" in rule.types and type_name.startswith("vtkMRML"))


def violations(parameters: dict[str, Parameter], bound: dict[str, str]) -> list[str]:
    """What Slicer's connectGui would refuse, one message per parameter (empty: every binding connects)."""
    problems = []
    for name, widget_class in sorted(bound.items()):
        parameter = parameters.get(name)
        if parameter is None:
            problems.append(f"{name}: bound to {widget_class} but not a parameter (wrapper.py _checkParamName)")
            continue
        rule = next((r for r in RULES if widget_class in r.widgets and _type_matches(r, parameter.type_name)), None)
        if rule is None:
            problems.append(
                f"{name}: no GUI connector takes {parameter.type_name} to {widget_class} "
                "(guiConnectors.py 126-145, createGuiConnector)"
            )
            continue
        present = set(parameter.annotations)
        if {"Minimum", "Maximum"} <= present:
            present.add("Minimum+Maximum")
        for alternatives in rule.requires:
            if not present & set(alternatives):
                problems.append(
                    f"{name}: {rule.connector} needs {' or '.join(alternatives)} (guiConnectors.py {rule.lines})"
                )
        if rule.requires_default_annotation and "Default" not in present:
            problems.append(
                f"{name}: {rule.connector} needs a Default(...) annotation, not '= value' "
                f"(guiConnectors.py {rule.lines})"
            )
    for name, parameter in sorted(parameters.items()):
        # wrapper.py 316-325: with "= value" the Default annotation is not consumed ("Unused annotations" warning).
        if parameter.has_equals_default and "Default" in parameter.annotations:
            problems.append(f"{name}: give the default either as Default(...) or as '= value', not both (wrapper.py)")
    return problems


@pytest.mark.parametrize("module", MODULES)
def test_every_bound_parameter_has_a_connector_that_accepts_it(module):
    parameters = parameters_of((REPO / module / f"{module}.py").read_text(encoding="utf-8"))
    bound = bound_widgets(REPO / module / "Resources" / "UI" / f"{module}.ui")
    assert bound, f"{module}.ui binds no parameter: the check would be empty"
    assert violations(parameters, bound) == []


def test_the_rules_refuse_what_slicer_refuses():
    """Each requirement fails when its annotation is missing, as the connector in Slicer's source does."""
    source = """
@parameterNodeWrapper
class P:
    plainRange: FloatRange = FloatRange(0.0, 1.0)
    boundedNoDefault: Annotated[FloatRange, RangeBounds(0, 10)]
    goodRange: Annotated[FloatRange, RangeBounds(0, 10), Default(FloatRange(1, 2))]
    device: str = "auto"
    threshold: float = 0.5
    node: vtkMRMLScalarVolumeNode
    both: Annotated[str, Choice(["a"]), Default("a")] = "a"
"""
    bound = {
        "plainRange": "ctkRangeWidget",
        "boundedNoDefault": "ctkRangeWidget",
        "goodRange": "ctkRangeWidget",
        "device": "QComboBox",
        "threshold": "ctkSliderWidget",
        "node": "QLineEdit",
        "missing": "QSpinBox",
    }
    problems = "\n".join(violations(parameters_of(source), bound))
    assert "plainRange: ctkRangeWidgetToRangeConnector needs RangeBounds" in problems
    assert "boundedNoDefault: ctkRangeWidgetToRangeConnector needs a Default" in problems
    assert "goodRange" not in problems
    assert "device: QComboBoxToStringableConnector needs Choice" in problems
    assert "threshold: QDoubleSpinBoxCtkSliderWidgetToFloatIntConnector (slider) needs WithinRange" in problems
    assert "node: no GUI connector takes vtkMRMLScalarVolumeNode to QLineEdit" in problems
    assert "missing: bound to QSpinBox but not a parameter" in problems
    assert "both: give the default either" in problems
