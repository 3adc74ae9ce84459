"""A real HTTP server on a free localhost port that answers GETs with DICOM JSON bytes chosen by the caller: the
hostile-answer tests and the DICOMweb fuzz target serve their nonsense through it."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable


def start_answering_server(body_for_path: Callable[[str], bytes]) -> http.server.ThreadingHTTPServer:
    """Start the server in a daemon thread; every GET is answered 200 with ``body_for_path(request path)`` as
    ``application/dicom+json``. The caller calls ``shutdown()`` and ``server_close()`` when done (or lets the process
    end)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            body = body_for_path(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/dicom+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
