"""One DICOMweb connection (dicomweb-client over a requests session) and the translation of its failures into
one-line messages a user can act on."""

from __future__ import annotations

from typing import Optional

from ..errors import InputError
from .credentials import Credentials

#: Seconds to wait for the server (connect, read); a PACS answering slower than this is reported as unreachable.
TIMEOUT_S = (10.0, 120.0)
#: Attempts per request and the exponential back-off multiplier (ms): dicomweb-client retries any failure, by
#: default 5 times over 30 s, which makes a batch against a server that is down crawl; 3 attempts wait 3 s in all.
RETRY_ATTEMPTS, RETRY_WAIT_MS = 3, 500


class ServerError(InputError):
    """The server could not be reached or refused a request (the batch goes on with the next study or object)."""


def connect(url: str, credentials: Optional[Credentials] = None):
    """A ``dicomweb_client.DICOMwebClient`` for ``url`` (e.g. ``http://pacs:8042/dicom-web``) with ``credentials``.

    Raises
    ------
    InputError
        ``url`` is not an http(s) address.
    """
    from dicomweb_client import DICOMwebClient
    from dicomweb_client.session_utils import create_session

    if not str(url).startswith(("http://", "https://")):
        raise InputError(f"The DICOMweb address must start with http:// or https://, got {url!r}.")
    _check_host_and_port(str(url))
    session = create_session()
    (credentials or Credentials()).apply_to(session)
    client = DICOMwebClient(url=str(url).rstrip("/"), session=session, timeout=TIMEOUT_S)
    client.set_http_retry_params(retry=True, max_attempts=RETRY_ATTEMPTS, wait_exponential_multiplier=RETRY_WAIT_MS)
    return client


def _check_host_and_port(url: str) -> None:
    """InputError unless ``url`` names a host and, if any, a port 1-65535 (``http://`` alone, ``http://h:x``)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        port = -1
    if not parts.hostname or port == -1 or port == 0:
        raise InputError(
            f"The DICOMweb address {url!r} needs a host and a valid port, e.g. http://pacs:8042/dicom-web."
        )


def server_error(exc: BaseException, url: str, what: str) -> ServerError:
    """A one-line :class:`ServerError` for a failure of ``what`` (e.g. "finding study 1.2.3") at ``url``."""
    import requests

    if isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None:
        status = exc.response.status_code
        hint = {
            401: "the server wants credentials (--credentials-file, or CALCIFICATION_DICOMWEB_USER / _PASSWORD)",
            403: "the credentials are not allowed to do this",
            404: "check the DICOMweb address (e.g. http://host:8042/dicom-web)",
        }.get(status, "the server refused the request")
        return ServerError(f"{what} failed: {url} answered HTTP {status} ({exc.response.reason}); {hint}.")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return ServerError(f"{what} failed: cannot reach the DICOMweb server at {url} (is it running?).")
    if isinstance(exc, requests.exceptions.Timeout):
        return ServerError(f"{what} failed: the DICOMweb server at {url} did not answer in time.")
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return ServerError(f"{what} failed at {url}: {reason}.")


def request_errors() -> tuple:
    """Exception types a DICOMweb request raises for server, network and answer problems."""
    import requests

    return (requests.exceptions.RequestException, ValueError)
