"""The extension's DICOM plugin file is a scripted DICOM plugin as Slicer's DICOM module expects one.

Slicer cannot run here, so the file is read as source (ast) and checked against Slicer v5.10.0's DICOMLib:
``DICOMLib/DICOMPlugin.py`` (the ``DICOMPlugin`` base class: ``examineForImport(fileLists)`` returns loadables,
``load(loadable)`` returns success, ``addSeriesInSubjectHierarchy(loadable, dataNode)``; the ``DICOMLoadable``
attributes), ``DICOMLib/DICOMBrowser.py`` ``loadCheckedLoadables`` (reads ``loadable.referencedInstanceUIDs``),
``DICOMLib/DICOMUtils.py`` ``getLoadablesFromFileLists`` (instantiates ``slicer.modules.dicomPlugins[name]()``) and
``DICOMPlugins/DICOMScalarVolumePlugin.py`` (the module hook that registers the class). The loading itself is
tested in test_dicom_result_loading.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "CalcificationAnalysis" / "DICOMCalcificationResultsPlugin.py"
#: DICOMLib v5.10.0 DICOMPlugin.py: the methods a subclass overrides or calls, with their parameters.
DICOM_PLUGIN_METHODS = {
    "__init__": ["self"],
    "examineForImport": ["self", "fileList"],
    "load": ["self", "loadable"],
    "addSeriesInSubjectHierarchy": ["self", "loadable", "dataNode"],
}
#: DICOMLoadable.__init__ (DICOMPlugin.py lines 36-58) plus referencedInstanceUIDs (DICOMBrowser.loadCheckedLoadables).
LOADABLE_ATTRIBUTES = {"files", "name", "tooltip", "warning", "selected", "confidence", "referencedInstanceUIDs"}


def _tree() -> ast.Module:
    return ast.parse(PLUGIN.read_text(encoding="utf-8"))


def _class(tree: ast.Module, name: str) -> ast.ClassDef:
    return next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == name)


def _methods(cls: ast.ClassDef) -> dict:
    return {item.name: item for item in cls.body if isinstance(item, ast.FunctionDef)}


def test_the_plugin_subclasses_dicomlibs_base_and_overrides_its_methods_with_their_signatures():
    tree = _tree()
    imports = {(n.module, a.name) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert {("DICOMLib", "DICOMPlugin"), ("DICOMLib", "DICOMLoadable")} <= imports
    plugin = _class(tree, "DICOMCalcificationResultsPluginClass")
    assert [ast.unparse(base) for base in plugin.bases] == ["DICOMPlugin"]
    methods = _methods(plugin)
    for name in ("__init__", "examineForImport", "load"):
        parameters = [arg.arg for arg in methods[name].args.args]
        assert len(parameters) == len(DICOM_PLUGIN_METHODS[name]), f"{name}{parameters}"
    calls = {ast.unparse(n.func) for n in ast.walk(plugin) if isinstance(n, ast.Call)}
    assert "super().__init__" in calls  # the base sets loadableCache and tags, which its helpers use
    assert "self.addSeriesInSubjectHierarchy" in calls
    # Every attribute set on a loadable is one the DICOM module reads.
    loadable_attributes = {
        target.attr
        for node in ast.walk(methods["_loadable"])
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Attribute) and ast.unparse(target.value) == "loadable"
    }
    assert loadable_attributes - {"modality"} <= LOADABLE_ATTRIBUTES  # modality: the plugin's own, read in load()
    assert {"files", "confidence", "selected", "referencedInstanceUIDs"} <= loadable_attributes


def test_the_module_hook_registers_the_plugin_class_under_its_name():
    tree = _tree()
    hook = _class(tree, PLUGIN.stem)  # Slicer loads <name>.py as the scripted module class <name>
    init = _methods(hook)["__init__"]
    assert [arg.arg for arg in init.args.args] == ["self", "parent"]
    source = ast.unparse(init)
    assert "slicer.modules.dicomPlugins[PLUGIN_NAME] = DICOMCalcificationResultsPluginClass" in source
    assert "parent.hidden = True" in source
    constants = {n.targets[0].id: n.value.value for n in tree.body if isinstance(n, ast.Assign)}
    assert constants["PLUGIN_NAME"] == PLUGIN.stem


def test_loading_asks_for_the_packages_before_it_reads_with_highdicom():
    load = _methods(_class(_tree(), "DICOMCalcificationResultsPluginClass"))["load"]
    first = next(node for node in load.body if not isinstance(node, (ast.Expr, ast.ImportFrom)))
    assert isinstance(first, ast.If) and "ensure_dependencies" in ast.unparse(first.test)
    assert isinstance(first.body[-1], ast.Return) and ast.unparse(first.body[-1].value) == "False"
