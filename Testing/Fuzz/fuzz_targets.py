"""Fuzz targets shared by the CI property tests (``Testing/Python/test_fuzz_inputs.py``), the long coverage-guided
harness (``fuzz_atheris.py``) and the counting script (``count_mutations.py``).

Each input kind has a small valid seed and a command that reads it. :func:`run_target` writes the mutated bytes to a
fresh folder, runs the command in this process and classifies the result:

- ``"ok"``: exit 0 and the command's outputs are valid;
- ``"refused"``: exit 2 with an error message (one line for errors; ``check-dataset`` lists its problems);
- ``"other"``: anything else (an exception escaping ``main``, exit 1, a traceback, a file left behind, an error
  message of several lines). The fuzz's promise is that this never happens.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "Python"))  # dicom_factory

#: The input kinds, with the file name each mutated input gets.
KINDS = {
    "dicom": "image.dcm",
    "dicom_rle": "image.dcm",
    "nrrd": "image.nrrd",
    "png": "image.png",
    "labels_csv": "labels.csv",
    "model_card": "model/model_card.json",
    # Issue 28: the newer commands' inputs.
    "candidate_table": "table.npz",
    "manifest": "out/manifest.jsonl",
    "scheduler_file": "scheduler.json",
    "dicomweb_answer": "answer.json",
}
#: Kinds whose target is a library call (an archive run's manifest reading, a scheduler file) rather than a command:
#: a cluster per mutated input would make each try take seconds.
CALL_KINDS = ("manifest", "scheduler_file")
#: Kinds whose valid seed is still refused, by design: no scheduler listens at the seed file's address, and the
#: server's answer lists a study without a mammography series (the command must say so in one line).
SEED_REFUSED = ("scheduler_file", "dicomweb_answer")


@dataclass(frozen=True)
class Outcome:
    kind: str  # "ok", "refused" or "other"
    code: object
    detail: str


def _pixels() -> np.ndarray:
    yy, xx = np.mgrid[0:48, 0:40]
    pixels = ((yy * 13 + xx * 7) % 900 + 100).astype(np.uint16)
    pixels[20:23, 18:21] = 4000
    return pixels


def _breast_png(path: Path) -> None:
    """A 128 x 96 8-bit picture: a half-disc of textured tissue against a black background, with a few specks."""
    from PIL import Image

    yy, xx = np.mgrid[0:128, 0:96]
    tissue = (yy - 64) ** 2 + xx**2 < 80**2
    pixels = np.where(tissue, 110 + (yy * 7 + xx * 13) % 30, 0).astype(np.uint8)
    for row, col in ((40, 30), (60, 40), (80, 25)):
        pixels[row : row + 2, col : col + 2] = 250
    Image.fromarray(pixels).save(path)


_CASE: list[Path] = []


def _synthetic_case() -> list[Path]:
    """A small synthetic annotated case (image ``.nrrd`` and its ``.seg.nrrd``), made once per process."""
    if not _CASE:
        import atexit

        from calcification.cli.main import main

        folder = Path(tempfile.mkdtemp(prefix="calcification-fuzz-case-"))
        atexit.register(shutil.rmtree, folder, True)
        with contextlib.redirect_stdout(io.StringIO()):
            main(["synth", "--out", str(folder), "--cases", "1", "--size", "256x256", "--seed", "1", "--crop"])
        image = next(p for p in folder.glob("*.nrrd") if p.name.count(".") == 1)
        _CASE.extend([image, image.with_name(image.name.replace(".nrrd", ".seg.nrrd"))])
    return _CASE


def seed_bytes(kind: str) -> bytes:
    """A small valid input of ``kind``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "seed"
        if kind in ("dicom", "dicom_rle"):
            from pydicom.uid import RLELossless

            from dicom_factory import mammography_dataset, write_dicom

            dataset = mammography_dataset(
                _pixels(), PixelSpacing=[0.07, 0.07], PatientID="P_001_LEFT_CC", ImageLaterality="L", ViewPosition="CC"
            )
            write_dicom(path, dataset, RLELossless if kind == "dicom_rle" else None)
        elif kind == "nrrd":
            import nrrd

            nrrd.write(str(path), _pixels(), header={"spacings": [0.07, 0.07], "encoding": "raw"}, index_order="C")
        elif kind == "png":
            from PIL import Image

            Image.fromarray((_pixels() // 16).astype(np.uint8)).save(path, format="PNG")
        elif kind == "labels_csv":
            case = _synthetic_case()[0].name.split(".")[0]
            path.write_text(f"case_id,patient_id,label\n{case},P1,malignant\nother,P2,benign\n", encoding="utf-8")
        elif kind == "model_card":
            from calcification.core.models.model_store import CARD_FILE_NAME, list_models

            shipped = next(e for e in list_models() if e.origin == "shipped")
            return (shipped.folder / CARD_FILE_NAME).read_bytes()
        elif kind == "candidate_table":
            _small_table(path)
        elif kind == "manifest":
            return _seed_manifest()
        elif kind == "scheduler_file":
            return b'{"type": "Scheduler", "id": "Scheduler-1", "address": "tcp://127.0.0.1:1", "workers": {}}'
        elif kind == "dicomweb_answer":
            return json.dumps([{"0020000D": {"vr": "UI", "Value": ["1.2.3"]}}]).encode()
        else:
            raise ValueError(kind)
        return path.read_bytes()


def _small_table(path: Path) -> None:
    """A candidate table of 4 backgrounds x 12 candidates, a third of them true (``train-candidate-filter`` input)."""
    from calcification.core.candidates.candidate_features import FEATURE_NAMES
    from calcification.core.candidates.training_table import TableRows, save_rows

    rng = np.random.default_rng(0)
    rows = []
    for image in range(4):
        labels = (np.arange(12) % 3 == 0).astype(np.int8)
        features = (rng.normal(size=(12, len(FEATURE_NAMES))) + labels[:, None]).astype(np.float32)
        rows.append(TableRows(f"img{image}", "normal", 0.07, features, labels, 4, 4, rng.random((12, 2)) * 9))
    save_rows(rows, Path(str(path) + ".npz"))
    os.replace(str(path) + ".npz", path)


def _seed_manifest() -> bytes:
    from calcification.logic.workflows.archive_run.manifest import ImageRecord

    record = ImageRecord(
        input="/archive/case0.png",
        name="case0",
        status="done",
        settings="{}",
        outputs={"case0.seg.nrrd": "0" * 64, "case0.report.html": "1" * 64},
        features={"case_id": "case0", "laterality": "L", "view": "CC"},
        summary={"case_id": "case0", "probability": "0.5"},
    )
    return (record.to_json() + "\n").encode()


def _prepare(kind: str, data: bytes, folder: Path) -> list[str]:
    """Write ``data`` where the command expects it; returns the command line."""
    target = folder / KINDS[kind]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    if kind == "candidate_table":
        return ["train-candidate-filter", str(target), "--name", "f", "--folds", "0", "--out", str(folder / "filter")]
    if kind == "dicomweb_answer":
        return ["analyze", "--dicomweb", _answer_server(target), "--study", "1.2.3", "--out", str(folder / "out")]
    if kind == "labels_csv":
        (folder / "case").mkdir()
        for source in _synthetic_case():
            os.symlink(source, folder / "case" / source.name)
        return ["check-dataset", str(folder / "case"), "--labels", str(target), "--json"]
    if kind == "model_card":
        from calcification.core.models.model_store import list_models

        shipped = next(e for e in list_models() if e.origin == "shipped")
        for weights in shipped.folder.glob("*.pt"):
            os.symlink(weights, target.parent / weights.name)
        _breast_png(folder / "image.png")
        return [
            "segment",
            str(folder / "image.png"),
            "--method",
            "network",
            "--model",
            str(target.parent),
            "--out",
            str(folder / "out"),
            "--spacing",
            "0.07",
        ]
    return ["info", str(target)]


_SERVER: list = []


def _answer_server(answer: Path) -> str:
    """The URL of a real HTTP server (one per process) that answers every GET with the bytes of ``answer`` as
    ``application/dicom+json``; the file is read at each request, so each mutated input is what it serves."""
    if not _SERVER:
        from answering_server import start_answering_server

        server = start_answering_server(lambda _path: Path(_SERVER[1]).read_bytes())
        _SERVER.extend([server, None])
    _SERVER[1] = str(answer)
    return f"http://127.0.0.1:{_SERVER[0].server_address[1]}/dicom-web"


def _run_call(kind: str, data: bytes, folder: Path) -> Outcome:
    """A library-level target: returns or raises InputError (one line); anything else, or a file read outside the
    folder, is "other"."""
    from calcification.core.errors import InputError

    target = folder / KINDS[kind]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    try:
        if kind == "manifest":
            from calcification.logic.workflows.archive_run.manifest import outputs_verified, read_manifest

            for record in read_manifest(target).values():
                if any(Path(name).name != name or name in ("", ".", "..") for name in record.outputs):
                    return Outcome("other", None, f"a record names outputs outside the folder: {record.outputs}")
                outputs_verified(record, target.parent, record.settings)
        else:
            from calcification.logic.workflows.archive_run.scheduler_address import scheduler_address

            scheduler_address(None, str(target))
    except InputError as exc:
        if "\n" in str(exc):
            return Outcome("other", 2, f"several lines: {exc}"[:300])
        return Outcome("refused", 2, str(exc)[:200])
    except Exception as exc:  # noqa: BLE001 - what the fuzz looks for
        return Outcome("other", None, f"{type(exc).__name__}: {exc}"[:300])
    return Outcome("ok", 0, "")


def run_target(kind: str, data: bytes, root: Path | None = None) -> Outcome:
    """Run the command of ``kind`` on ``data`` in this process and classify the result (module docstring)."""
    from calcification.cli.main import main

    with tempfile.TemporaryDirectory(dir=root) as name:
        folder = Path(name)
        if kind in CALL_KINDS:
            return _run_call(kind, data, folder)
        argv = _prepare(kind, data, folder)
        before = sorted(p.relative_to(folder) for p in folder.rglob("*"))
        out, err = io.StringIO(), io.StringIO()
        saved = os.environ.get("CALCIFICATION_MODELS_DIR")
        os.environ["CALCIFICATION_MODELS_DIR"] = str(folder)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
                warnings.simplefilter("default")
                try:
                    code = main(argv)
                except SystemExit as exc:
                    code = exc.code
        except Exception as exc:  # noqa: BLE001 - what the fuzz looks for
            return Outcome("other", None, f"{type(exc).__name__}: {exc}"[:300])
        finally:
            if saved is None:
                os.environ.pop("CALCIFICATION_MODELS_DIR", None)
            else:
                os.environ["CALCIFICATION_MODELS_DIR"] = saved
        after = sorted(p.relative_to(folder) for p in folder.rglob("*"))
        return _classify(kind, code, out.getvalue(), err.getvalue(), before, after)


def _classify(kind, code, stdout: str, stderr: str, before, after) -> Outcome:
    changed = sorted(set(after) ^ set(before))
    if kind == "model_card" and code == 0:  # segment wrote its outputs, and nothing else
        names = sorted(p.name for p in changed if p.parent.name == "out")
        if len(names) + 1 != len(changed) or "image.seg.nrrd" not in names or any("partial" in n for n in names):
            return Outcome("other", code, f"outputs: {changed}")
    elif kind == "candidate_table" and code == 0:  # the filter folder and its three files, nothing else
        names = sorted(str(p) for p in changed)
        if names != ["filter", "filter/context_filter.skops", "filter/filter.skops", "filter/filter_card.json"]:
            return Outcome("other", code, f"outputs: {names}")
    elif changed:
        return Outcome("other", code, f"files changed: {changed}")
    if "Traceback" in stderr:
        return Outcome("other", code, stderr[-300:])
    errors = [line for line in stderr.splitlines() if "error" in line.lower()]
    if code == 2:
        if kind == "dicomweb_answer":  # a batch: one line per failed study, then the count
            errors = [line for line in errors if "failure(s)" not in line]
        if kind != "labels_csv" and len(errors) != 1:
            return Outcome("other", code, f"not one error line: {stderr[-300:]}")
        return Outcome("refused", code, (errors or [stdout.strip()[:200]])[0][:200])
    if code != 0:
        return Outcome("other", code, stderr[-300:])
    if kind in ("dicom", "dicom_rle", "nrrd", "png"):
        info = json.loads(stdout)
        if not (info.get("shape") and all(int(n) > 0 for n in info["shape"])):
            return Outcome("other", code, f"exit 0 with an empty image: {stdout[:200]}")
    return Outcome("ok", code, "")


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    """One random mutation of ``data``: flip bytes, overwrite with interesting values, insert, delete, truncate."""
    buffer = bytearray(data)
    for _ in range(int(rng.integers(1, 5))):
        if not buffer:
            buffer = bytearray(rng.integers(0, 256, size=8, dtype=np.uint8).tobytes())
        at = int(rng.integers(0, len(buffer)))
        choice = int(rng.integers(0, 6))
        if choice == 0:
            buffer[at] ^= 1 << int(rng.integers(0, 8))
        elif choice == 1:
            buffer[at] = int(rng.choice([0, 1, 0x7F, 0x80, 0xFF]))
        elif choice == 2:
            value = bytes(
                rng.choice(
                    [
                        b"\xff\xff",
                        b"\x00\x00",
                        b"\xff\xff\xff\x7f",
                        b"\x00\x00\x00\x80",
                        b"nan",
                        b"-1",
                        b"1e308",
                        b"\xc3\x28",
                    ]
                )
            )
            buffer[at : at + len(value)] = value
        elif choice == 3:
            buffer[at:at] = rng.integers(0, 256, size=int(rng.integers(1, 16)), dtype=np.uint8).tobytes()
        elif choice == 4:
            del buffer[at : at + int(rng.integers(1, 32))]
        else:
            del buffer[at:]
    return bytes(buffer)


def clean_temporary_root() -> Path:
    """A folder for the runs' temporary folders (removed by the caller with :func:`shutil.rmtree`)."""
    return Path(tempfile.mkdtemp(prefix="calcification-fuzz-"))


__all__ = [
    "CALL_KINDS",
    "KINDS",
    "SEED_REFUSED",
    "Outcome",
    "clean_temporary_root",
    "mutate",
    "run_target",
    "seed_bytes",
    "shutil",
]
