"""Running the `calcification` command inside the test process, as the hostile-input tests do."""

from __future__ import annotations

from calcification.cli.main import main


def run_command(argv, capsys) -> tuple[int, str]:
    """Exit code and stderr of ``calcification ARGV`` run in this process (argparse errors included)."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().err
