"""A PACS over DICOMweb (dicomweb-client): QIDO-RS to search, WADO-RS to retrieve, STOW-RS to store.

Every request is bounded by the node's timeouts (connect, then each read), and none is retried: a user waiting at
the dialog is better told at once that the server is busy than kept waiting through back-offs. Every failure of
the transport or of the server's answer becomes a PacsError that says what was asked and what to check.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import quote, unquote_plus

import requests
from dicomweb_client.api import DICOMwebClient
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from cemviewer.pacs.cache import StudyStaging
from cemviewer.pacs.errors import PacsCancelled, PacsError
from cemviewer.pacs.nodes import PacsNode
from cemviewer.pacs.query import RETURN_KEYS, StudyQuery, StudySummary

# Instances as the archive keeps them (often compressed), not transcoded to uncompressed Explicit VR Little Endian.
ANY_TRANSFER_SYNTAX = (("application/dicom", "*"),)
_QUERY_SAFE = "*?"
# dicomweb-client wraps every request in `retrying`, which logs each failure with its traceback even with retries
# off; the failure reaches the user as a PacsError, so the log line is noise on the console.
logging.getLogger("retrying").setLevel(logging.ERROR)
_HTTP_ADVICE = {
    400: "the archive did not understand the request; check that the URL is its DICOMweb root (e.g. …/dicom-web)",
    401: "check the user name and password",
    403: "the archive refuses this user",
    404: "check the DICOMweb URL (with its path, e.g. /dicom-web) and that the archive has DICOMweb enabled",
    405: "the archive does not accept this request at this URL",
    409: "the archive refused the objects (conflict)",
    413: "the objects are larger than the archive accepts",
    415: "the archive does not accept this kind of object",
    429: "the archive is busy; try again in a moment",
    503: "the archive is unavailable; try again later",
    504: "a gateway in front of the archive timed out",
}


class _QuerySession(requests.Session):
    """Sends query values with only what must be escaped escaped: dicomweb-client percent-encodes every
    character but letters and digits, and Orthanc's DICOMweb plugin (1.7) matches the escapes literally, so that
    the wildcards "*" (%2A) and "?" (%3F) would find nothing. RFC 3986 allows them as they are in a query (which
    "^" it does not: urllib3 escapes it whatever is done here, so names are matched without it)."""

    def send(self, request, **kwargs):
        path, mark, query = request.url.partition("?")
        if mark:
            request.url = path + mark + "&".join(
                f"{key}={quote(unquote_plus(value), safe=_QUERY_SAFE)}"
                for key, _, value in (item.partition("=") for item in query.split("&")))
        return super().send(request, **kwargs)


class DicomwebConnection:
    def __init__(self, node: PacsNode) -> None:
        self.node = node
        self.session = session = _QuerySession()
        if node.username or node.password:
            session.auth = (node.username, node.password)
        try:
            self.client = DICOMwebClient(node.dicomweb_url.strip().rstrip("/"), session=session,
                                         timeout=(node.connect_timeout_s, node.read_timeout_s))
        except (ValueError, requests.RequestException) as error:
            raise PacsError(f"PACS “{node.name}”: the DICOMweb URL {node.dicomweb_url!r} is not usable ({error})") \
                from error
        self.client.set_http_retry_params(retry=False)

    def close(self) -> None:
        self.session.close()

    def echo(self) -> str:
        with self._translated("a test search"):
            self.client.search_for_studies(limit=1, fields=["StudyInstanceUID"])
        return f"{self.node.name} answers DICOMweb searches at {self.node.dicomweb_url}"

    def search_studies(self, query: StudyQuery, limit: int) -> list[StudySummary]:
        with self._translated("the study search"):
            answers = self.client.search_for_studies(search_filters=query.matching_keys(), fields=list(RETURN_KEYS),
                                                     limit=limit)
            return [StudySummary.from_dataset(_dataset(answer)) for answer in answers]

    def retrieve_study(self, study_uid: str, staging: StudyStaging, progress: Callable[[int, int], None],
                       cancelled: Callable[[], bool]) -> None:
        with self._translated(f"the instances of study {study_uid}"):
            total = len(self.client.search_for_instances(study_uid, fields=["SOPInstanceUID"]))
        if total == 0:
            raise PacsError(f"PACS “{self.node.name}” has no instances of study {study_uid}")
        progress(0, total)
        with self._translated(f"study {study_uid}"):
            for ds in self._instances(study_uid):
                if cancelled():
                    raise PacsCancelled()
                staging.add(ds)
                progress(staging.count, max(total, staging.count))
        if staging.count < total:  # a response cut short: no half study in the cache
            raise PacsError(f"PACS “{self.node.name}” sent {staging.count} of the {total} instances of study "
                            f"{study_uid}; try again")

    def _instances(self, study_uid: str) -> Iterator[Dataset]:
        instances = self.client.iter_study(study_uid, media_types=ANY_TRANSFER_SYNTAX)
        try:
            yield from instances
        finally:
            instances.close()  # a cancel or an error closes the streamed response

    def store(self, datasets: list[Dataset]) -> None:
        what = f"{len(datasets)} object{'s' if len(datasets) != 1 else ''}"
        with self._translated(f"storing {what}"):
            answer = self.client.store_instances(datasets)
        failed = answer.get("FailedSOPSequence") or []
        if failed:
            reasons = sorted({f"0x{int(item.get('FailureReason', 0)):04X}" for item in failed})
            raise PacsError(f"PACS “{self.node.name}” refused {len(failed)} of {what} "
                            f"(failure reason {', '.join(reasons)})")

    @contextmanager
    def _translated(self, what: str):
        name, url = self.node.name, self.node.dicomweb_url
        try:
            yield
        except requests.HTTPError as error:
            response = error.response
            status = response.status_code if response is not None else 0
            reason = (response.reason or "") if response is not None else ""
            advice = _HTTP_ADVICE.get(status, "the archive failed" if status >= 500 else "the archive refused")
            raise PacsError(f"PACS “{name}” answered HTTP {status} {reason} to {what}: {advice}") from error
        except requests.ConnectTimeout as error:
            raise PacsError(f"PACS “{name}” at {url} did not accept a connection within "
                            f"{self.node.connect_timeout_s:g} s; check the address and the network") from error
        except requests.ReadTimeout as error:
            raise PacsError(f"PACS “{name}” at {url} did not answer {what} within {self.node.read_timeout_s:g} s; "
                            "the server is slow or stuck (the timeout is in the PACS settings)") from error
        except requests.ConnectionError as error:
            raise PacsError(f"Cannot connect to PACS “{name}” at {url}: {_root_cause(error)}; check that the "
                            "server is running and the URL is right") from error
        except requests.exceptions.InvalidJSONError as error:
            raise _malformed(name, what, error) from error
        except requests.RequestException as error:
            raise PacsError(f"PACS “{name}”: {what} failed ({error})") from error
        except (ValueError, KeyError, TypeError, InvalidDicomError) as error:
            raise _malformed(name, what, error) from error


def _malformed(name: str, what: str, error: Exception) -> PacsError:
    # JSON that is not DICOM JSON, a multipart body that does not parse, a study without its UID...
    return PacsError(f"PACS “{name}” answered {what} with something that is not valid DICOMweb "
                     f"({type(error).__name__}: {error})")


def _dataset(answer: dict) -> Dataset:
    if not isinstance(answer, dict):
        raise TypeError(f"a search result that is not a DICOM JSON object: {str(answer)[:60]}")
    return Dataset.from_json(answer)


def _root_cause(error: BaseException) -> str:
    """The innermost reason ("Connection refused", "Name or service not known") rather than urllib3's chain."""
    while error.__cause__ is not None or error.__context__ is not None:
        error = error.__cause__ or error.__context__
    text = str(error)
    for known in ("Connection refused", "Name or service not known", "No route to host", "Network is unreachable",
                  "Connection reset by peer", "Remote end closed connection"):
        if known in text:
            return known.lower()
    return text.split(": ", 1)[-1][:200] or type(error).__name__
