"""The texts the Slicer-facing files show to the user go through Slicer's translation function, as Slicer's own modules.

Slicer's rule (Base/Python/slicer/i18n.py, in every release since 5.4.0, so in 5.10, the oldest supported; Slicer's
Modules/Scripted/SegmentStatistics, DICOM and SampleData use it; SlicerLanguagePacks DevelopersManual.md, "Preparing
Python source files for translation" and "Identifying translatable strings"):

- ``from slicer.i18n import tr as _`` (the context is taken from the file name) and ``translate(context, text)`` for
  module categories, with the shared ``qSlicerAbstractCoreModule`` context;
- ``_()`` takes one string literal, never an f-string (a translation could inject code) or a variable (the extractor
  could not see it); values go in through named placeholders, ``_("{count} files").format(count=n)``;
- identifiers, node names saved in scenes, setting keys, file names and log messages stay untranslated.

Slicer is not available here, so the files are read as source (ast). The last test runs the regular expressions with
which Slicer's Utilities/Scripts/update_translations.py (v5.10.0, ``patch_python_source``) rewrites ``_(...)`` into
``translate("Context", ...)`` for Qt's lupdate, and checks that no ``_()`` call escapes them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = ["CalcificationAnalysis", "CalcificationTraining"]
#: The Slicer-facing files: module files, the training panel's sections and the Segment Editor effect.
PANEL_FILES = sorted(
    [REPO / module / f"{module}.py" for module in MODULES]
    + [path for module in MODULES for path in (REPO / module / f"{module}Lib").glob("*.py")]
    + list((REPO / "CalcificationAnalysis" / "SegmentEditorCalcificationTraceLib").glob("*.py"))
    + [REPO / "CalcificationAnalysis" / "DICOMCalcificationResultsPlugin.py"]
)
#: Files with texts of their own (a package's ``__init__.py`` has none).
TEXT_FILES = [path for path in PANEL_FILES if path.name != "__init__.py"]
TRANSLATION_FUNCTIONS = {"_", "translate"}
#: Widget properties (``widget.<name> = text``) whose value the user reads.
ATTRIBUTE_SINKS = {
    "text",
    "toolTip",
    "title",
    "helpText",
    "acknowledgementText",
    "windowTitle",
    "placeholderText",
    "statusTip",
    "whatsThis",
    "noneDisplay",
}
#: Calls (function or method name) and the positions of their arguments the user reads.
CALL_SINKS = {
    "tryWithErrorDisplay": (0,),
    "errorDisplay": (0,),
    "warningDisplay": (0,),
    "infoDisplay": (0,),
    "confirmOkCancelDisplay": (0,),
    "confirmYesNoDisplay": (0,),
    "messageBox": (0,),
    "addItem": (0,),
    "insertItem": (1,),
    "setItemText": (1,),
    "addRow": (0,),
    "addLabeledOptionsWidget": (0,),
    "setText": (0,),
    "setToolTip": (0,),
    "setTitle": (0,),
    "setWindowTitle": (0,),
    "setPlaceholderText": (0,),
    "setStatusTip": (0,),
    "setHorizontalHeaderLabels": (0,),
    "setVerticalHeaderLabels": (0,),
    "QLabel": (0,),
    "QPushButton": (0,),
    "QCheckBox": (0,),
    "QRadioButton": (0,),
    "QGroupBox": (0,),
    "getOpenFileName": (1, 3),
    "getOpenFileNames": (1, 3),
    "getSaveFileName": (1, 3),
    "getExistingDirectory": (1,),
}
#: Keyword arguments the user reads, in any call (``errorDisplay(message, windowTitle=...)``).
KEYWORD_SINKS = {"windowTitle", "detailedText", "toolTip", "text", "title"}
#: Functions whose return value the user reads (the Segment Editor shows an effect's ``helpText()``).
RETURN_SINKS = {"helpText"}
#: f-strings with words that are deliberately not translated: (file, enclosing function) -> why.
UNTRANSLATED_F_STRINGS = {
    ("CalcificationTraining.py", "onStartTraining"): "name of the curve table and chart nodes, saved in the scene",
    ("CalcificationTraining.py", "generateSyntheticCases"): "logic summary: logged and compared by the self-test",
}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _name(func: ast.AST) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _is_translation(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in TRANSLATION_FUNCTIONS


def _has_words(text: str) -> bool:
    """True when ``text`` holds words, not only markup (``<html>``), placeholders or file patterns (``*.mrb``)."""
    text = re.sub(r"<[^>]*>|\{[^{}]*\}|\*(\.\w+)?", " ", text)
    return re.search(r"[^\W\d_]{2,}", text) is not None


def _untranslated(node: ast.AST):
    """Literal texts with words inside ``node`` (a value shown to the user) that no translation call wraps."""
    if _is_translation(node):
        return
    if isinstance(node, ast.Call) and _name(node.func) == "format" and _is_translation(node.func.value):
        return  # the placeholders' values are data (names, numbers, texts of the library)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str) and _has_words(node.value):
            yield node
        return
    if isinstance(node, ast.JoinedStr):
        if any(isinstance(part, ast.Constant) and _has_words(part.value) for part in node.values):
            yield node
            return
    if isinstance(node, ast.FormattedValue):
        yield from _untranslated(node.value)  # not the format spec (".3f")
        return
    if isinstance(node, ast.Subscript):
        yield from _untranslated(node.value)  # not the key (table_nodes["image"])
        return
    for child in ast.iter_child_nodes(node):
        yield from _untranslated(child)


def _call_sinks(tree: ast.Module) -> dict[str, tuple[int, ...]]:
    """CALL_SINKS plus the file's own functions that hand a parameter to a sink unchanged (``_runLong(message,
    work)`` calls ``tryWithErrorDisplay(message)``), so that their callers' literals are checked too."""
    sinks = dict(CALL_SINKS)
    functions = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]
    changed = True
    while changed:
        changed = False
        for function in functions:
            params = [arg.arg for arg in function.args.args]
            offset = 1 if params[:1] in (["self"], ["cls"]) else 0
            for call in (node for node in ast.walk(function) if isinstance(node, ast.Call)):
                for position in sinks.get(_name(call.func), ()):
                    argument = call.args[position] if position < len(call.args) else None
                    if isinstance(argument, ast.Name) and argument.id in params[offset:]:
                        found = (params.index(argument.id) - offset,)
                        if not set(found) <= set(sinks.get(function.name, ())):
                            sinks[function.name] = tuple(sorted(set(sinks.get(function.name, ())) | set(found)))
                            changed = True
    return sinks


def _shown_values(tree: ast.Module):
    """Every expression of ``tree`` whose value the user reads, with a description for messages."""
    sinks = _call_sinks(tree)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Attribute) and t.attr in ATTRIBUTE_SINKS for t in targets):
                yield node.value, f"line {node.lineno}: .{next(t.attr for t in targets)} ="
        elif isinstance(node, ast.Call):
            for position in sinks.get(_name(node.func), ()):
                if position < len(node.args):
                    yield node.args[position], f"line {node.lineno}: {_name(node.func)}() argument {position}"
            for keyword in node.keywords:
                if keyword.arg in KEYWORD_SINKS:
                    yield keyword.value, f"line {node.lineno}: {_name(node.func)}({keyword.arg}=...)"
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
            yield node.exc.args[0], f"line {node.lineno}: raise {_name(node.exc.func)}(...)"
        elif isinstance(node, ast.FunctionDef) and node.name in RETURN_SINKS:
            for statement in ast.walk(node):
                if isinstance(statement, ast.Return) and statement.value is not None:
                    yield statement.value, f"line {statement.lineno}: {node.name}() returns"


def _translation_calls(tree: ast.Module) -> list[ast.Call]:
    calls = [node for node in ast.walk(tree) if _is_translation(node)]
    return sorted(calls, key=lambda call: (call.lineno, call.col_offset))


@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_text_shown_to_the_user_is_translated(path):
    shown = list(_shown_values(_tree(path)))
    if path.stem in [*MODULES, "SegmentEditorEffect"]:
        assert len(shown) >= 10, f"{path.name}: few widget texts, messages or titles found: is the check blind?"
    missing = [f"{where}: {ast.unparse(literal)[:70]}" for value, where in shown for literal in _untranslated(value)]
    assert not missing, f"{path.relative_to(REPO)}: texts shown untranslated (wrap them in _()):\n" + "\n".join(missing)


@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_translation_calls_take_literals_and_named_placeholders(path):
    """``_("literal")``, ``translate("context", "literal")``; a text with placeholders is ``.format``-ed with exactly
    those names (a forgotten ``.format`` would show the braces), one without is not."""
    tree = _tree(path)
    calls = _translation_calls(tree)
    assert calls, f"{path.name} translates nothing"
    formatted = {
        id(node.func.value): {keyword.arg for keyword in node.keywords}
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _name(node.func) == "format" and _is_translation(node.func.value)
    }
    for call in calls:
        where = f"{path.name} line {call.lineno}"
        arity = 1 if call.func.id == "_" else 2
        assert len(call.args) == arity and not call.keywords, f"{where}: {call.func.id}() takes {arity} literal(s)"
        assert all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in call.args), (
            f"{where}: {ast.unparse(call)[:70]} is not a plain string literal (no f-string, no variable)"
        )
        text = call.args[-1].value
        placeholders = set(re.findall(r"(?<!\{)\{([^{}]*)\}(?!\})", text))  # i18n.tr's findBracedStrings
        assert all(name.isidentifier() for name in placeholders), f"{where}: unnamed placeholder in {text!r}"
        assert formatted.get(id(call), set()) == placeholders, f"{where}: placeholders {placeholders} of {text!r}"
        assert (id(call) in formatted) == bool(placeholders), f"{where}: .format() of {text!r}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "attr", "") == "categories" for t in node.targets):
            for category in node.value.elts:
                assert _is_translation(category) and category.func.id == "translate", f"{path.name}: category"
                assert category.args[0].value == "qSlicerAbstractCoreModule", "Slicer's shared category context"


@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_translation_functions_come_from_slicer_i18n_and_are_never_shadowed(path):
    tree = _tree(path)
    used = {call.func.id for call in _translation_calls(tree)}
    imported = {
        alias.asname or alias.name: alias.name
        for node in tree.body  # top level: the function must exist wherever the file calls it
        if isinstance(node, ast.ImportFrom) and node.module == "slicer.i18n"
        for alias in node.names
    }
    assert {"_": "tr", "translate": "translate"}.items() >= {n: imported.get(n) for n in used}.items(), (
        f"{path.name}: uses {sorted(used)} but imports {imported} from slicer.i18n"
    )
    bindings = [
        node.lineno
        for node in ast.walk(tree)
        if (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id in TRANSLATION_FUNCTIONS)
        or (isinstance(node, ast.arg) and node.arg in TRANSLATION_FUNCTIONS)
        or (isinstance(node, ast.FunctionDef) and node.name in TRANSLATION_FUNCTIONS)
    ]
    assert not bindings, f"{path.name}: lines {bindings} rebind _ or translate (a throwaway `_` hides tr)"


def _skipped(node: ast.AST, parents: dict) -> bool:
    """Inside a logging call (log messages stay English) or a self-test class (developer-facing)."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _name(node.func.value) == "logging":
            return True
        if isinstance(node, ast.ClassDef) and any(_name(base) == "ScriptedLoadableModuleTest" for base in node.bases):
            return True
    return False


def _enclosing_function(node: ast.AST, parents: dict) -> str:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.FunctionDef):
            return node.name
    return ""


@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_f_strings_with_words_are_only_log_messages_self_tests_or_listed_names(path):
    """An f-string with words cannot be translated (it is either a value or untranslated text): outside logging and
    the self-test each one is listed in UNTRANSLATED_F_STRINGS with the reason it must stay as it is."""
    tree = _tree(path)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = {
        (path.name, _enclosing_function(node, parents)): node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        and any(isinstance(part, ast.Constant) and _has_words(part.value) for part in node.values)
        and not _skipped(node, parents)
    }
    unlisted = {key: line for key, line in found.items() if key not in UNTRANSLATED_F_STRINGS}
    assert not unlisted, f"f-strings with words outside logging: {unlisted}; use _(...).format() or list them"


def _slicer_context(path: Path) -> str:
    """Translation context of a file, as slicer.i18n.getContext and update_translations.py compute it."""
    return f"{path.parent.name}.{path.stem}" if (path.parent / "__init__.py").is_file() else path.stem


def _patch_python_source(source: str, context: str) -> str:
    """Slicer v5.10.0 Utilities/Scripts/update_translations.py ``patch_python_source``: the four substitutions that
    turn ``_(text)`` into ``translate("Context", text)`` before lupdate reads the file."""
    replacement = r"\1" + "translate" + '("' + context + '", ' + r"\2" + ")"
    source = re.sub(r'([^_])_\((\s*?".+?"\s*?)\)', replacement, source, flags=re.DOTALL)
    source = re.sub(r"([^_])_\((\s*?'.+?'\s*?)\)", replacement, source, flags=re.DOTALL)
    source = re.sub(r'([^_])_\((\s*?""".+?"""\s*?)\)', replacement, source, flags=re.DOTALL)
    return re.sub(r"([^_])_\((\s*?'''.+?'''\s*?)\)", replacement, source, flags=re.DOTALL)


@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_slicers_string_extractor_finds_every_text(path):
    """The extractor only sees ``_(`` followed by a quote: a string prefix (``_(r"...")``), a comment or anything
    else before the literal leaves the ``_()`` call unpatched, and lupdate never shows the text to translators."""
    source = path.read_text(encoding="utf-8")
    context = _slicer_context(path)
    literals = [call for call in _translation_calls(_tree(path)) if all(isinstance(a, ast.Constant) for a in call.args)]
    expected = [(context, call.args[0].value) for call in literals if call.func.id == "_"]
    expected += [(call.args[0].value, call.args[1].value) for call in literals if call.func.id != "_"]
    patched = ast.parse(_patch_python_source(source, context))
    calls = [node for node in ast.walk(patched) if _is_translation(node)]
    missed = [f"line {call.lineno}: {ast.unparse(call)[:60]}" for call in calls if call.func.id == "_"]
    assert not missed, f"{path.name}: _() calls Slicer's extractor does not patch: {missed}"
    assert sorted((call.args[0].value, call.args[1].value) for call in calls) == sorted(expected)


def test_the_method_list_shows_translated_labels_equal_to_the_registrys():
    """The method combo box is filled through ``methodLabels()``, whose ``_()`` literals must equal the registry's
    labels (the one owner of the English wording) for every built-in method."""
    from calcification.core.segmentation.registry import _BUILT_IN

    tree = _tree(REPO / "CalcificationAnalysis" / "CalcificationAnalysis.py")
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "methodLabels")
    returned = next(n.value for n in ast.walk(function) if isinstance(n, ast.Return))
    labels = {}
    for key, value in zip(returned.keys, returned.values, strict=True):
        assert _is_translation(value) and isinstance(value.args[0], ast.Constant), ast.unparse(value)
        labels[key.value] = value.args[0].value
    assert labels == {spec.name: spec.label for spec in _BUILT_IN}
    setup = ast.unparse(
        next(
            item
            for node in tree.body
            if isinstance(node, ast.ClassDef) and node.name == "CalcificationAnalysisWidget"
            for item in node.body
            if isinstance(item, ast.FunctionDef) and item.name == "setup"
        )
    )
    assert "labels = methodLabels()" in setup
    assert "self.ui.methodComboBox.addItem(labels.get(name, label), name)" in setup
