"""``calcification prepare``: build the default model's ONNX graph now (``make install`` runs it), so the first
analysis neither exports it nor imports PyTorch; ``--shipped`` reruns the ONNX export of the shipped classifiers and
models and records the checksums on their cards (``make onnx``, after a shipped model or classifier changed)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "prepare",
        help="build a model's ONNX inference graph ahead of the first run",
        description="Export the segmentation model's fold ensemble to ONNX into the user's cache "
        "($CALCIFICATION_CACHE_DIR, else ~/.cache/calcification) and check it against PyTorch with ONNX Runtime, so "
        "that analyses start without PyTorch. Needs PyTorch once, here.",
    )
    parser.add_argument("--model", help="model name or folder (default: the default model)")
    parser.add_argument(
        "--shipped",
        action="store_true",
        help="maintainers: re-export the shipped classifiers to ONNX and record every shipped model's graph "
        "checksum on its card (rerun after retraining a shipped model or classifier)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.shipped:
        from ..logic.training.onnx_exports import export_shipped_classifiers, record_shipped_graphs

        for line in (*export_shipped_classifiers(), *record_shipped_graphs()):
            print(line)
        return 0
    from ..core.inference.graph_preparation import prepare_graph
    from ..core.segmentation.network_method import load_model_cached

    prepared = prepare_graph(load_model_cached(args.model))
    if prepared.card_sha256 is None:
        agreement = "the model card lists no graph for this PyTorch version"
    else:
        agreement = "matches the model card" if prepared.matches_card else "DIFFERS from the model card's"
    print(f"{prepared.path}")
    print(
        f"sha256 {prepared.entry['sha256']} ({agreement}); ONNX Runtime reproduces PyTorch to "
        f"{prepared.entry['max_abs_difference']:.2g}"
    )
    return 0
