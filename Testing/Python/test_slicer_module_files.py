"""Checks on the Slicer module files that need no Slicer: the widgets they use exist, the layers stay apart.

Slicer itself is not available here, so the module files are read as source (ast) and their .ui files as XML.
"""

from __future__ import annotations

import ast
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = ["CalcificationAnalysis", "CalcificationTraining"]


def _module_tree(module: str) -> ast.Module:
    return ast.parse((REPO / module / f"{module}.py").read_text(encoding="utf-8"))


def _panel_trees(module: str) -> list[ast.Module]:
    """The module file and its panel sections (``<module>Lib/*.py``), which share the module's ``self.ui``."""
    sections = sorted((REPO / module / f"{module}Lib").glob("*.py"))
    return [_module_tree(module), *(ast.parse(p.read_text(encoding="utf-8")) for p in sections)]


def _assigned_attributes(tree: ast.Module) -> set[str]:
    """Names ``x`` of every ``<anything>.x = ...`` assignment."""
    return {
        target.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Attribute)
    }


def _ui_widgets(module: str) -> dict[str, ET.Element]:
    root = ET.parse(REPO / module / "Resources" / "UI" / f"{module}.ui").getroot()
    return {w.get("name"): w for w in root.iter("widget")}


def _ui_names_used(tree: ast.Module) -> set[str]:
    """Every ``self.ui.<name>`` attribute the module file reads or writes."""
    names = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "ui"
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "self"
        ):
            names.add(node.attr)
    return names


def _parameter_node_fields(tree: ast.Module) -> set[str]:
    """Annotated fields of the class decorated with ``@parameterNodeWrapper``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(
            isinstance(d, ast.Name) and d.id == "parameterNodeWrapper" for d in node.decorator_list
        ):
            return {s.target.id for s in node.body if isinstance(s, ast.AnnAssign)}
    return set()


def _bound_parameter_names(widgets: dict[str, ET.Element]) -> set[str]:
    names = set()
    for widget in widgets.values():
        for prop in widget.findall("property"):
            if prop.get("name") == "SlicerParameterName":
                names.add(prop.findtext("string"))
    return names


@pytest.mark.parametrize("module", MODULES)
def test_every_ui_name_used_exists_in_the_ui_file(module):
    used = set().union(*(_ui_names_used(tree) for tree in _panel_trees(module)))
    assert used, "the widget uses no self.ui names: the check would be empty"
    missing = used - set(_ui_widgets(module))
    assert not missing, f"{module}.py uses widgets missing from {module}.ui: {sorted(missing)}"


@pytest.mark.parametrize("module", MODULES)
def test_every_parameter_is_bound_to_a_widget_or_set_by_the_widget(module):
    tree = _module_tree(module)
    fields = _parameter_node_fields(tree)
    assert fields, f"{module} has no @parameterNodeWrapper class"
    bound = _bound_parameter_names(_ui_widgets(module))
    assert bound <= fields, f"{module}.ui binds unknown parameters: {sorted(bound - fields)}"
    # Fields without a SlicerParameterName binding must be written by the widget code (or a panel section).
    assigned = set().union(*(_assigned_attributes(tree) for tree in _panel_trees(module)))
    unbound = (fields - bound) - assigned
    assert not unbound, f"{module}: parameters with no widget: {sorted(unbound)}"


@pytest.mark.parametrize("module", MODULES)
def test_module_file_has_the_four_slicer_classes(module):
    classes = {n.name for n in _module_tree(module).body if isinstance(n, ast.ClassDef)}
    for suffix in ("", "Widget", "Logic", "Test"):
        assert f"{module}{suffix}" in classes


@pytest.mark.parametrize("module", MODULES)
def test_module_file_imports_no_numpy_or_torch(module):
    """The widget layer holds no algorithm: numerical work happens in the calcification package."""
    for node in ast.walk(_module_tree(module)):
        if isinstance(node, ast.Import):
            roots = {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            roots = {(node.module or "").split(".")[0]}
        else:
            continue
        assert not roots & {"numpy", "torch", "scipy", "skimage", "sklearn"}, f"{module}.py imports {roots}"


def _imported_roots(tree: ast.Module) -> set[str]:
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots.add((node.module or "").split(".")[0])
    return roots


def test_logic_and_core_never_touch_the_slicer_application():
    """The logic layer takes the scene explicitly; the core imports neither slicer nor vtk (DESIGN.md)."""
    library = REPO / "CalcificationAnalysis" / "calcification"
    application_attributes = {"app", "mrmlScene", "modules", "util"}
    for path in (library / "logic").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert not _imported_roots(tree) & {"qt", "ctk"}, f"{path.relative_to(REPO)} imports Qt"
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "slicer":
                assert node.attr not in application_attributes, f"{path.relative_to(REPO)} uses slicer.{node.attr}"
    for path in (library / "core").rglob("*.py"):
        roots = _imported_roots(ast.parse(path.read_text(encoding="utf-8")))
        assert not roots & {"slicer", "vtk", "vtkmodules", "qt", "ctk"}, f"{path.relative_to(REPO)} imports {roots}"


#: Every Slicer-facing file: the module files, their panel sections, the Segment Editor effect and the DICOM plugin.
PANEL_FILES = sorted(
    [REPO / module / f"{module}.py" for module in MODULES]
    + [REPO / "CalcificationAnalysis" / "DICOMCalcificationResultsPlugin.py"]
    + [path for module in MODULES for path in (REPO / module / f"{module}Lib").glob("*.py")]
    + list((REPO / "CalcificationAnalysis" / "SegmentEditorCalcificationTraceLib").glob("*.py"))
)


def _imported_modules(tree: ast.Module) -> set[str]:
    """Full names of the absolute imports of ``tree`` (``from a.b import c`` gives ``a.b``)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module or "")
    return names


@pytest.mark.parametrize("path", PANEL_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_panels_reach_the_library_only_through_the_logic_layer_and_never_import_each_other(path):
    """Panels call the logic layer (or ``slicer_support``), never the core; and no panel imports another panel's
    module (a shared need such as installing the packages lives in ``calcification.slicer_support``)."""
    imported = _imported_modules(ast.parse(path.read_text(encoding="utf-8")))
    into_core = sorted(name for name in imported if name.startswith("calcification.core"))
    assert not into_core, f"{path.relative_to(REPO)} imports the core directly: {into_core}"
    own_module = path.relative_to(REPO).parts[0]
    other_panels = sorted(
        name for name in imported for module in MODULES if module != own_module and name.split(".")[0] == module
    )
    assert not other_panels, f"{path.relative_to(REPO)} imports another panel: {other_panels}"


def _method(tree: ast.Module, cls: str, name: str) -> ast.FunctionDef:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == cls:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == name:
                    return item
    raise AssertionError(f"{cls}.{name} not found")


def _called(function: ast.AST) -> list[str]:
    """Names of the methods called in ``function``, in source order, with their first argument's source."""
    calls = [n for n in ast.walk(function) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    calls.sort(key=lambda n: (n.lineno, n.col_offset))
    return [f"{n.func.attr}({ast.unparse(n.args[0]) if n.args else ''})" for n in calls]


def test_embedded_segment_editor_is_managed_like_slicers_segment_editor_module():
    """Modules/Scripted/SegmentEditor/SegmentEditor.py: installKeyboardShortcuts() on enter; setActiveEffect(None),
    uninstallKeyboardShortcuts() and removeViewObservations() on exit; the editor node's singleton tag is set
    before AddNode (selectParameterNode)."""
    tree = _module_tree("CalcificationAnalysis")
    widget = "CalcificationAnalysisWidget"
    assert "installKeyboardShortcuts()" in _called(_method(tree, widget, "enter"))
    exit_calls = _called(_method(tree, widget, "exit"))
    for call in ("setActiveEffect(None)", "uninstallKeyboardShortcuts()", "removeViewObservations()"):
        assert call in exit_calls
    assert "removeViewObservations()" in _called(_method(tree, widget, "onSceneStartClose"))
    node_calls = _called(_method(tree, "CalcificationAnalysisLogic", "segmentEditorNode"))
    assert "AddNewNodeByClass('vtkMRMLSegmentEditorNode')" not in node_calls
    assert node_calls.index("SetSingletonTag('CalcificationAnalysis')") < node_calls.index("AddNode(node)")
    # The editor is preset to the effect by the name the effect registers itself with.
    assert "setActiveEffectByName(TRACE_EFFECT_NAME)" in _called(_method(tree, widget, "_presetSegmentEditor"))
    constants = {
        n.targets[0].id: n.value.value
        for n in tree.body
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
    }
    effect = (
        REPO / "CalcificationAnalysis" / "SegmentEditorCalcificationTraceLib" / "SegmentEditorEffect.py"
    ).read_text()
    assert f'scriptedEffect.name = "{constants["TRACE_EFFECT_NAME"]}"' in effect


def test_effects_registered_after_the_panel_is_built_reach_its_editor():
    """When CalcificationAnalysis is the home module its panel is built before ``startupCompleted`` registers the
    trace effect. Modules/Scripted/SegmentEditor/SegmentEditor.py (v5.10.0, setup / editorEffectRegistered /
    cleanup) connects ``qSlicerSegmentEditorEffectFactory.instance()``'s ``effectRegistered(QString)`` signal
    (EditorEffects/qSlicerSegmentEditorEffectFactory.h) to ``qMRMLSegmentEditorWidget.updateEffectList()``
    (Widgets/qMRMLSegmentEditorWidget.h) and disconnects it in cleanup; the panel must do the same."""
    tree = _module_tree("CalcificationAnalysis")
    widget = "CalcificationAnalysisWidget"
    setup = ast.unparse(_method(tree, widget, "setup"))
    assert "self.effectFactorySingleton = slicer.qSlicerSegmentEditorEffectFactory.instance()" in setup
    assert "self.effectFactorySingleton.connect('effectRegistered(QString)', self.onEditorEffectRegistered)" in setup
    assert "updateEffectList()" in _called(_method(tree, widget, "onEditorEffectRegistered"))
    cleanup = ast.unparse(_method(tree, widget, "cleanup"))
    assert (
        "self.effectFactorySingleton.disconnect('effectRegistered(QString)', self.onEditorEffectRegistered)" in cleanup
    )
    # The handler takes no argument besides self: the signal's QString is dropped, as in SegmentEditor.py.
    assert [a.arg for a in _method(tree, widget, "onEditorEffectRegistered").args.args] == ["self"]


def test_the_panel_does_not_rewrite_the_editor_node_on_every_parameter_change():
    """_updateGui runs on every parameter-node modification; the editor preset happens only for a changed key."""
    tree = _module_tree("CalcificationAnalysis")
    calls = _called(_method(tree, "CalcificationAnalysisWidget", "_updateGui"))
    assert not [call for call in calls if call.startswith("presetSegmentEditor(")]
    preset = ast.unparse(_method(tree, "CalcificationAnalysisWidget", "_presetSegmentEditor"))
    assert "if key == self._editorPresetKey:\n        return" in preset


def test_supported_slicer_version_is_stated_once_and_matches_the_cmake_metadata():
    tree = _module_tree("CalcificationAnalysis")
    version = next(
        ast.literal_eval(n.value)
        for n in tree.body
        if isinstance(n, ast.Assign) and n.targets[0].id == "MINIMUM_SLICER_VERSION"
    )
    cmake = (REPO / "CMakeLists.txt").read_text(encoding="utf-8")
    assert f"find_package(Slicer {version[0]}.{version[1]} REQUIRED)" in cmake
    assert "EXTENSION_CATEGORY" not in cmake  # obsolete: the category lives in the extensions index
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"Slicer {version[0]}.{version[1]} and later" in readme


def test_the_panel_offers_every_segmentation_method_and_starts_on_the_library_default():
    """The panel cannot import the library when its class is defined (Slicer may lack the packages then), so it
    writes the default method as a literal; this keeps it equal to the one owner, the registry's DEFAULT_METHOD. The
    list itself comes from the registry through the logic layer, so every registered method is offered."""
    from calcification.core.segmentation import DEFAULT_METHOD, available_methods
    from calcification.logic.model_choices import method_choices

    tree = _module_tree("CalcificationAnalysis")
    default = next(
        node.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "method"
    )
    assert default == DEFAULT_METHOD
    offered = [name for name, _ in method_choices()]
    assert offered[0] == DEFAULT_METHOD and set(offered) == {spec.name for spec in available_methods()}


@pytest.mark.parametrize("module", MODULES)
def test_the_panels_offer_the_library_device_choices(module):
    """The parameter nodes list the devices as a literal (the library is not importable when the class is defined);
    this keeps the list equal to its one owner, ``core.compute_device.DEVICE_CHOICES``."""
    from calcification.core.compute_device import DEVICE_CHOICES

    device = next(
        node.annotation
        for node in ast.walk(_module_tree(module))
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "device"
    )
    choice = next(n for n in ast.walk(device) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "Choice")
    assert tuple(ast.literal_eval(choice.args[0])) == DEVICE_CHOICES
