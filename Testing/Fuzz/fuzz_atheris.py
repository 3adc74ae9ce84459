"""Coverage-guided fuzzing of the readers and the command line with atheris (libFuzzer); for a developer to run for
an hour or so, not in CI:

    .venv/bin/pip install atheris
    .venv/bin/python Testing/Fuzz/fuzz_atheris.py --kind dicom_rle -max_total_time=3600 Testing/Fuzz/corpus-dicom_rle

KIND is one of dicom, dicom_rle, nrrd, png, labels_csv, model_card, candidate_table, manifest, scheduler_file,
dicomweb_answer (see ``fuzz_targets.KINDS``). The corpus folder
is created and seeded with a valid input; libFuzzer keeps the inputs that reach new code there. Any input that makes
the command end with something other than exit 0 and valid outputs or a one-line error with exit 2 (a traceback,
another exit code, a file left behind) stops the run and is saved as ``crash-*`` for a regression test.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fuzz_targets import KINDS, clean_temporary_root, run_target, seed_bytes


def main() -> None:
    import atheris

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--kind", choices=sorted(KINDS), default="dicom")
    known, libfuzzer_args = parser.parse_known_args()
    kind, root = known.kind, clean_temporary_root()
    corpus = [Path(a) for a in libfuzzer_args if not a.startswith("-")]
    for folder in corpus:
        folder.mkdir(parents=True, exist_ok=True)
        if not any(folder.iterdir()):
            (folder / "seed").write_bytes(seed_bytes(kind))

    def one_input(data: bytes) -> None:
        outcome = run_target(kind, data, root)
        if outcome.kind == "other":
            raise AssertionError(f"{kind}: {outcome.detail}")

    with atheris.instrument_imports():
        import calcification.cli.main  # noqa: F401  (instrument the product's code for coverage)
    atheris.Setup([sys.argv[0], *libfuzzer_args], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
