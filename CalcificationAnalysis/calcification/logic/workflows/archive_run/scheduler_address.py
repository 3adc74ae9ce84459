"""The address of an existing Dask scheduler (``--scheduler`` or ``--scheduler-file``), checked before a Dask client is
made: a client that fails to connect is closed by the garbage collector later, which waits up to a minute and prints a
traceback, and a scheduler file that does not exist yet is waited for without end. So the address is parsed, the
file read, and the scheduler's port tried, here, with one-line errors."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Optional

from ....core.errors import InputError

#: Seconds to wait for a scheduler's port to accept a connection.
CONNECT_TIMEOUT_S = 5.0
#: Schemes whose location is host:port (the others, e.g. inproc, are left to Dask).
_HOST_PORT_SCHEMES = ("tcp", "tls", "ws", "wss")


def scheduler_address(scheduler: Optional[str], scheduler_file: Optional[str]) -> str:
    """The scheduler address to connect to: ``scheduler``, or the ``address`` in ``scheduler_file``; its port is
    tried once (:data:`CONNECT_TIMEOUT_S`).

    Raises
    ------
    InputError
        A missing, unreadable or malformed scheduler file, an address Dask cannot use, or nothing answering there.
    """
    address = _address_in_file(Path(scheduler_file)) if scheduler_file else str(scheduler or "")
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import backends

    try:
        scheme, location = parse_address(address, strict=False)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{address!r} is not a Dask scheduler address (e.g. tcp://host:8786): {exc}.") from None
    known = set(backends) | {"tcp", "tls", "inproc", "ws", "wss"}
    if scheme not in known or not location:
        raise InputError(f"{address!r} is not a Dask scheduler address; use tcp://HOST:PORT (e.g. tcp://host:8786).")
    if scheme in _HOST_PORT_SCHEMES:
        try:
            host, port = parse_host_port(location)
        except (ValueError, TypeError):
            raise InputError(f"{address!r} has no port; a Dask scheduler address is tcp://HOST:PORT.") from None
        _try_port(address, host, int(port))
        _try_handshake(address)
    return address


def _address_in_file(path: Path) -> str:
    if not path.exists():
        raise InputError(
            f"The scheduler file {path} does not exist; start the scheduler first (dask scheduler --scheduler-file "
            f"{path}) or check the path."
        )
    if not path.is_file():
        raise InputError(f"The scheduler file {path} is not a file.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"Cannot read the scheduler file {path}: {exc.strerror or exc}.") from exc
    except (ValueError, UnicodeDecodeError):
        data = None
    address = data.get("address") if isinstance(data, dict) else None
    if not isinstance(address, str) or not address:
        raise InputError(
            f"{path} is not a Dask scheduler file (JSON with an 'address', as dask scheduler --scheduler-file writes)."
        )
    return address


def _try_port(address: str, host: str, port: int) -> None:
    if not 0 < port < 65536:
        raise InputError(f"{address!r} has port {port}; a port is 1-65535.")
    try:
        with socket.create_connection((host or "127.0.0.1", port), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(
            f"Nothing answers at the Dask scheduler address {address} ({reason}); start it (dask scheduler) or "
            "check the address."
        ) from None


def _try_handshake(address: str) -> None:
    """Open one Dask connection to ``address`` and close it: a port that accepts connections but does not speak
    Dask's protocol (another server) would hold a client for minutes. Run in its own thread and event loop, so it
    works whether or not the caller has a loop running."""
    import asyncio
    import threading

    from distributed.comm import connect

    async def handshake():
        comm = await asyncio.wait_for(connect(address, timeout=CONNECT_TIMEOUT_S), 2 * CONNECT_TIMEOUT_S)
        await comm.close()

    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(handshake())
        except BaseException as exc:  # reported in the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=run, name="dask-scheduler-probe", daemon=True)
    thread.start()
    thread.join(4 * CONNECT_TIMEOUT_S)
    if thread.is_alive() or failure:
        raise InputError(
            f"The server at {address} does not answer as a Dask scheduler; check the address (and that it is the "
            "scheduler's port, 8786 by default)."
        )
