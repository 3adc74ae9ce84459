"""What runs when Slicer starts, when a panel is created or entered, and when the Segment Editor initialises its
effects imports only what Slicer bundles; the panel then offers to install the rest and continues without a restart.

Slicer bundles numpy, scipy, SimpleITK, pydicom, vtk, qt, ctk and slicer, not scikit-image, scikit-learn, torch,
skops, matplotlib or (Slicer 5.10) highdicom; the DICOM module examines files with the extension's DICOM plugin
before anything is installed. The module files cannot run here (no Qt, no Slicer application), so the test has
two parts:

1. ``boundary_imports`` reads the module files (ast) and follows, from the functions Slicer calls at those moments
   (module class ``__init__``, the ``startupCompleted`` callbacks, the widget's ``setup``/``enter``/``exit``, the
   effect's methods the Segment Editor calls), every call into the same files, and collects the imports they run.
   Code behind a dependency gate (``if self._libraryReady``, ``if not ...ensureDependencies(): return``) is not
   followed: it runs only after the packages are there.
2. A fresh Python with an import hook that raises ``ModuleNotFoundError`` for those packages (not a mock of
   Slicer: the real library on the real slicer-core MRML) imports all of those modules, runs the library calls the
   startup paths make, reaches the install question with the missing packages listed, and, once "installing" lifts
   the block, runs what the panel runs next (model and classifier lists, the sample data) in the same process.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BLOCKED = ("skimage", "sklearn", "torch", "skops", "matplotlib", "highdicom")

#: (file, class or None for module functions, function names Slicer calls at startup / panel creation / effect set-up)
ENTRY_POINTS = [
    ("CalcificationAnalysis/CalcificationAnalysis.py", "CalcificationAnalysis", ["__init__"]),
    (
        "CalcificationAnalysis/CalcificationAnalysis.py",
        None,
        ["registerCalcificationTraceEffect", "registerSampleData"],
    ),
    (
        "CalcificationAnalysis/CalcificationAnalysis.py",
        "CalcificationAnalysisWidget",
        [
            "__init__",
            "setup",
            "enter",
            "exit",
            "cleanup",
            "onSceneStartClose",
            "onSceneEndClose",
            "onEditorEffectRegistered",  # at startupCompleted, when the panel was built first
        ],
    ),
    ("CalcificationTraining/CalcificationTraining.py", "CalcificationTraining", ["__init__"]),
    (
        "CalcificationTraining/CalcificationTraining.py",
        "CalcificationTrainingWidget",
        ["__init__", "setup", "enter", "exit", "cleanup", "onSceneStartClose", "onSceneEndClose"],
    ),
    # The DICOM module instantiates the plugin and examines every imported series with it, before any install.
    ("CalcificationAnalysis/DICOMCalcificationResultsPlugin.py", "DICOMCalcificationResultsPlugin", ["__init__"]),
    (
        "CalcificationAnalysis/DICOMCalcificationResultsPlugin.py",
        "DICOMCalcificationResultsPluginClass",
        ["__init__", "examineForImport"],
    ),
    (
        "CalcificationAnalysis/SegmentEditorCalcificationTraceLib/SegmentEditorEffect.py",
        "SegmentEditorEffect",
        [
            "__init__",
            "clone",
            "icon",
            "helpText",
            "setupOptionsFrame",
            "createCursor",
            "setMRMLDefaults",
            "updateGUIFromMRML",
            "updateMRMLFromGUI",
            "processInteractionEvents",
        ],
    ),
]
#: Files whose functions the entry points may call (the training panel's sections live in CalcificationTrainingLib).
FILES = sorted(
    {entry[0] for entry in ENTRY_POINTS}
    | {str(p.relative_to(REPO)) for p in (REPO / "CalcificationTraining" / "CalcificationTrainingLib").glob("*.py")}
)
#: A branch whose test is one of these (or `X and gate`) runs only when the packages are importable.
GATE_ATTRIBUTES = {"_libraryReady", "_dependenciesReady"}
GATE_CALLS = {"ensureDependencies", "dependenciesReady", "dependenciesPresent"}
#: Library names the boundary may import: test_first_use_... runs each of them with the packages blocked (constants
#: only need the import). A new one must be added there, so that it is shown to work before the installation.
EXERCISED = {
    ("calcification.logic.model_choices", "classifier_algorithm_choices"),
    ("calcification.logic.model_choices", "initial_model_choices"),
    ("calcification.logic.model_choices", "method_choices"),
    ("calcification.logic.model_choices", "method_uses_network_model"),
    ("calcification.logic.model_choices", "network_preset_choices"),
    ("calcification.slicer_support.dependency_installer", "ensure_dependencies"),
    ("calcification.logic.workflows.editor_effect_support", "preset_segment_editor_node"),
    ("calcification.logic.workflows.level_tracing", "TraceOptions"),
    ("calcification.logic.workflows.dicom_result_loading", "result_header"),
    ("calcification.logic.workflows.sample_data", "SAMPLE_NAME"),
    ("calcification.logic.workflows.sample_data", "existing_sample_files"),
    ("calcification.logic.workflows.sample_data", "sample_source_arguments"),
    ("calcification.logic.mrml.scene_factory", "use_application_logic"),
    ("calcification.logic.mrml.segmentation_nodes", "ensure_calcification_segment"),
    ("calcification.slicer_support.python_dependencies", "TORCH_VERSION_REQUIREMENT"),
    ("calcification.slicer_support.python_dependencies", "ensure_requirements"),
    ("calcification.slicer_support.python_dependencies", "missing_requirements"),
}


def _is_gate(test: ast.AST) -> bool:
    if isinstance(test, ast.Attribute):
        return test.attr in GATE_ATTRIBUTES
    if isinstance(test, ast.Call):
        return isinstance(test.func, ast.Attribute) and test.func.attr in GATE_CALLS
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_is_gate(value) for value in test.values)
    return False


def _is_negated_gate_return(statement: ast.AST) -> bool:
    """``if not <gate>: return``: the statements after it are gated."""
    return (
        isinstance(statement, ast.If)
        and isinstance(statement.test, ast.UnaryOp)
        and isinstance(statement.test.op, ast.Not)
        and _is_gate(statement.test.operand)
        and isinstance(statement.body[-1], ast.Return)
    )


def _ungated_nodes(statements: list[ast.stmt]):
    """Nodes of ``statements`` that run without the packages: gated branches, lambdas and nested functions (run
    later, from a signal) are left out."""
    for statement in statements:
        if _is_negated_gate_return(statement):
            yield from _ungated_nodes([statement.test])
            return
        yield from _ungated_expression(statement)


def _ungated_expression(node: ast.AST):
    if isinstance(node, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return
    if isinstance(node, (ast.If, ast.IfExp)) and _is_gate(node.test):
        yield from _ungated_expression(node.test)
        orelse = node.orelse if isinstance(node.orelse, list) else [node.orelse]
        yield from _ungated_nodes(orelse)
        return
    yield node
    for child in ast.iter_child_nodes(node):
        yield from _ungated_expression(child)


def _index() -> tuple[dict, dict, list]:
    """(functions by (class, name), module functions by name, module-level statements) of all FILES."""
    methods, functions, top_level = {}, {}, []
    for file in FILES:
        tree = ast.parse((REPO / file).read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef):
                        methods[(node.name, item.name)] = item
            elif isinstance(node, ast.FunctionDef):
                functions[node.name] = node
            else:
                top_level.append(node)
    return methods, functions, top_level


def boundary_imports() -> tuple[set[tuple[str, str]], set[str]]:
    """(module, name) of every import the boundary runs (name "" for ``import module``), and the functions reached."""
    methods, functions, top_level = _index()
    classes = {cls for cls, _ in methods}
    queue = [(cls, name) for _, cls, names in ENTRY_POINTS for name in names]
    reached, imports, current = set(), set(), (None, "")
    nodes = [node for statement in top_level for node in _ungated_expression(statement)]
    while queue or nodes:
        for node in nodes:
            if isinstance(node, ast.Import):
                imports |= {(alias.name, "") for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imports |= {(node.module, alias.name) for alias in node.names}
            elif isinstance(node, ast.Call):
                queue.extend(_callees(node.func, current, classes, methods, functions))
        nodes = []
        while queue:
            current = queue.pop()
            if current in reached:
                continue
            reached.add(current)
            cls, name = current
            function = methods.get(current) if cls else functions.get(name)
            if function is not None:
                nodes = list(_ungated_nodes(function.body))
                break
    return imports, {f"{c}.{n}" if c else n for c, n in reached}


def _callees(func: ast.AST, caller, classes, methods, functions) -> list[tuple]:
    """Functions of FILES a call may reach: self.x(), self.logic.x() / logic.x(), Class.x(), Class(), f()."""
    if isinstance(func, ast.Name):
        if func.id in classes:
            return [(func.id, "__init__")]
        return [(None, func.id)] if func.id in functions else []
    if not isinstance(func, ast.Attribute):
        return []
    owner = func.value
    if isinstance(owner, ast.Name) and owner.id == "self":
        return [(caller[0], func.attr)] if (caller[0], func.attr) in methods else []
    if isinstance(owner, ast.Name) and owner.id in classes:
        return [(owner.id, func.attr)]
    owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
    if owner_name == "logic":
        return [(cls, name) for cls, name in methods if cls.endswith("Logic") and name == func.attr]
    if owner_name.endswith("Section"):  # the training panel's sections (self._classifierSection.refresh())
        return [(cls, name) for cls, name in methods if cls.endswith("Section") and name == func.attr]
    return []


def _run_blocked(script: str, tmp_path: Path) -> dict:
    """Run ``script`` in a fresh interpreter with the BLOCKED packages blocked; it prints one JSON object last."""
    prelude = f"""
import importlib.abc, json, sys
BLOCKED = {BLOCKED!r}
class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked by the test)", name=name)
        return None
BLOCKER = Blocker()
sys.meta_path.insert(0, BLOCKER)
"""
    path = tmp_path / "blocked.py"
    path.write_text(prelude + textwrap.dedent(script), encoding="utf-8")
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_boundary_reaches_the_functions_slicer_calls_and_stops_at_the_gates():
    imports, reached = boundary_imports()
    # The walk follows the panel into its helpers ...
    assert {
        "CalcificationAnalysisWidget._showLibraryState",
        "CalcificationAnalysisWidget._updateGui",
        "CalcificationAnalysisLogic.segmentEditorNode",
        "registerSampleData",
    } <= reached
    # ... and not past a gate: the model list and the level-tracing click need the packages.
    assert "CalcificationAnalysisWidget._fillModelAndClassifierLists" not in reached
    assert "SegmentEditorEffect.traceAt" not in reached
    assert "ClassifierSection.refresh" in reached
    assert ("calcification.slicer_support.python_dependencies", "missing_requirements") in imports


def test_boundary_imports_nothing_slicer_does_not_bundle(tmp_path):
    imports, _ = boundary_imports()
    outside = sorted(f"{m}:{n}" for m, n in imports if m.split(".")[0] in BLOCKED)
    assert not outside, f"imported at startup or panel creation: {outside}"
    library = sorted({(m, n) for m, n in imports if m.split(".")[0] == "calcification"})
    assert len(library) >= 5
    unexercised = sorted(f"{m}:{n}" for m, n in set(library) - EXERCISED)
    assert not unexercised, f"called before the packages are installed but not run with them blocked: {unexercised}"
    result = _run_blocked(
        f"""
        import importlib
        failures = []
        for module, name in {library!r}:
            try:
                value = importlib.import_module(module)
                if name:
                    getattr(value, name)
            except Exception as error:
                failures.append(f"{{module}}:{{name}}: {{error!r}}")
        print(json.dumps({{"failures": failures}}))
        """,
        tmp_path,
    )
    assert result["failures"] == []


def test_first_use_offers_the_install_then_continues_without_a_restart(tmp_path):
    """The calls the startup paths make work with the packages blocked; the install question lists them; after the
    "installation" (the block lifted, as pip would make them importable) the panel's next calls succeed."""
    result = _run_blocked(
        f"""
        from calcification.logic.model_choices import (classifier_algorithm_choices, initial_model_choices,
                                                        method_choices, method_uses_network_model,
                                                        network_preset_choices)
        from calcification.logic.workflows.editor_effect_support import preset_segment_editor_node
        from calcification.logic.workflows.level_tracing import TraceOptions
        from calcification.logic.workflows.sample_data import existing_sample_files, sample_source_arguments
        from calcification.logic.mrml.scene_factory import create_headless_scene, use_application_logic
        from calcification.logic.mrml.segmentation_nodes import ensure_calcification_segment
        from calcification.slicer_support import python_dependencies as deps
        import slicer

        source = sample_source_arguments(None, {str(tmp_path / "sample")!r})
        out = {{"sample": existing_sample_files({str(tmp_path / "sample")!r}), "trace": TraceOptions().level_fraction,
               "source": sorted({{len(value) for value in source.values()}}),
               "presets": len(network_preset_choices()), "models": len(initial_model_choices()),
               "algorithms": len(classifier_algorithm_choices()), "methods": [n for n, _ in method_choices()],
               "network": method_uses_network_model("network")}}
        scene = create_headless_scene()  # the panel's editor preset, on a real MRML scene
        use_application_logic(scene, "Segmentations", slicer.vtkSlicerSegmentationsModuleLogic())
        volume = scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode")
        segmentation = scene.AddNewNodeByClass("vtkMRMLSegmentationNode")
        editor = scene.AddNewNodeByClass("vtkMRMLSegmentEditorNode")
        preset_segment_editor_node(editor, segmentation, volume, ensure_calcification_segment(segmentation), (1, 2))
        out["editor"] = editor.GetSelectedSegmentID()

        out["declined"] = deps.ensure_requirements(lambda question: False, lambda path, c: 1 / 0, lambda r: 1 / 0)
        asked, installed = [], []

        def install(path, constraints):
            installed.append(path.name)
            out["constraints"] = constraints
            sys.meta_path.remove(BLOCKER)  # what pip_install achieves: the packages become importable

        out["ready"] = deps.ensure_requirements(lambda q: asked.append(q) or True, install, lambda r: 1 / 0)
        out["asked"], out["installed"] = asked, installed
        from calcification.logic.model_choices import classifier_choices, model_choices, model_description

        out["after"] = [len(model_choices()) > 0, len(classifier_choices()) > 0, model_description(None)[0] != ""]
        print(json.dumps(out))
        """,
        tmp_path,
    )
    assert result["sample"] is None and result["source"] == [2]  # Slicer's SampleDataSource takes lists of one length
    assert 0 < result["trace"] < 1 and result["editor"] == "Calcification"
    assert result["presets"] > 0 and result["models"] > 0 and result["algorithms"] == 7
    assert result["methods"][0] == "network" and result["network"] is True
    assert result["declined"] is False  # declining installs nothing (the install callbacks would raise)
    assert len(result["asked"]) == 1
    for requirement in ("scikit-image", "scikit-learn", "skops", "matplotlib"):
        assert requirement in result["asked"][0]
    assert result["installed"] == ["requirements-slicer.txt"]
    # pip is told to keep what Slicer bundles (here: this Python's versions of them)
    assert {line.split("==")[0] for line in result["constraints"]} >= {"numpy", "pydicom", "dicomweb-client"}
    assert result["ready"] is True and result["after"] == [True, True, True]
