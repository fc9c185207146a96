"""A PACS over DIMSE (pynetdicom): C-ECHO to test, C-FIND to search, C-GET to retrieve, C-STORE to store.

C-GET rather than C-MOVE: the archive sends the instances back on our own association, so the workstation needs
no listening port, no firewall opening and no entry of its address in the archive, only its AE title. Before
each association the server's port is tried once, so that "nobody listens there" and "the server does not pick up"
are told apart from "the archive refused us" (which pynetdicom alone reports the same way).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from contextlib import contextmanager

from pydicom.dataset import Dataset
from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, build_context, build_role, evt
from pynetdicom import sop_class as sop

from cemviewer.pacs.cache import StudyStaging
from cemviewer.pacs.errors import PacsCancelled, PacsError
from cemviewer.pacs.nodes import PacsNode
from cemviewer.pacs.query import RETURN_KEYS, StudyQuery, StudySummary

# What a CEM study and our own objects are stored as; C-GET needs each class it may receive proposed up front.
RETRIEVED_CLASSES = (
    sop.DigitalMammographyXRayImageStorageForPresentation, sop.DigitalMammographyXRayImageStorageForProcessing,
    sop.DigitalXRayImageStorageForPresentation, sop.DigitalXRayImageStorageForProcessing,
    sop.ComputedRadiographyImageStorage, sop.SecondaryCaptureImageStorage,
    sop.BreastProjectionXRayImageStorageForPresentation, sop.BreastProjectionXRayImageStorageForProcessing,
    sop.BreastTomosynthesisImageStorage, sop.SegmentationStorage, sop.BasicTextSRStorage, sop.EnhancedSRStorage,
    sop.ComprehensiveSRStorage, sop.Comprehensive3DSRStorage, sop.MammographyCADSRStorage,
    sop.KeyObjectSelectionDocumentStorage, sop.EncapsulatedPDFStorage, sop.GrayscaleSoftcopyPresentationStateStorage,
)
_PENDING = (0xFF00, 0xFF01)
_CANCELLED = 0xFE00
_FIND_MESSAGE_ID = 1
_SUCCESS = 0x0000
_STORE_WARNINGS = (0xB000, 0xB006, 0xB007)  # coerced, elements discarded, data set does not match the class
_STATUS_WORDS = {
    0xA700: "out of resources", 0xA701: "out of resources (cannot count the matches)",
    0xA702: "out of resources (cannot send the instances)", 0xA801: "our AE title is not a known destination",
    0xA900: "the query does not fit the information model", 0xC000: "unable to process",
    0xFE00: "cancelled", 0x0122: "the archive does not support this kind of object",
    0x0124: "not authorised", 0x0211: "unrecognised operation",
}


class DimseConnection:
    def __init__(self, node: PacsNode) -> None:
        self.node = node
        self.ae = AE(ae_title=node.calling_ae.strip())
        self.ae.connection_timeout = node.connect_timeout_s
        self.ae.acse_timeout = self.ae.dimse_timeout = self.ae.network_timeout = node.read_timeout_s

    def close(self) -> None:
        self.ae.shutdown()

    def echo(self) -> str:
        with self._association("a C-ECHO", [build_context(sop.Verification)]) as association:
            status = association.send_c_echo()
            self._check(status, "a C-ECHO")
        return f"{self.node.name} answers C-ECHO at {self.node.address}"

    def search_studies(self, query: StudyQuery, limit: int) -> list[StudySummary]:
        return self._find(query.matching_keys(), "the study search", limit)

    def _find(self, keys: dict[str, str], what: str, limit: int | None = None) -> list[StudySummary]:
        """The matching studies; past `limit` of them the search is cancelled (C-CANCEL), so that an archive
        that heeds it stops sending the rest of a vague query's matches (Orthanc 1.10 does not: it logs "cannot
        handle command: 0xfff" and sends them all, which are dropped here)."""
        identifier = Dataset()
        identifier.QueryRetrieveLevel = "STUDY"
        for keyword in RETURN_KEYS:
            setattr(identifier, keyword, "")
        for keyword, value in keys.items():
            setattr(identifier, keyword, value)
        found = []
        model = sop.StudyRootQueryRetrieveInformationModelFind
        with self._association(what, [build_context(model)]) as association:
            for status, answer in association.send_c_find(identifier, model, msg_id=_FIND_MESSAGE_ID):
                if status and status.Status in _PENDING and answer is not None:
                    if limit is not None and len(found) >= limit:
                        continue  # cancelled: what still comes is dropped
                    try:
                        found.append(StudySummary.from_dataset(answer))
                    except ValueError as error:
                        raise PacsError(f"PACS “{self.node.name}” answered {what} with {error}") from error
                    if len(found) == limit:
                        association.send_c_cancel(_FIND_MESSAGE_ID, query_model=model)
                elif not (status and status.Status == _CANCELLED and limit is not None and len(found) >= limit):
                    self._check(status, what)
        return found

    def retrieve_study(self, study_uid: str, staging: StudyStaging, progress: Callable[[int, int], None],
                       cancelled: Callable[[], bool]) -> None:
        # Asked first, as C-GET answers a study it does not have with a bare "unable to process".
        matches = self._find({"StudyInstanceUID": study_uid}, f"the instances of study {study_uid}")
        if not matches or matches[0].instance_count == 0:
            raise PacsError(f"PACS “{self.node.name}” has no instances of study {study_uid}")
        progress(0, matches[0].instance_count or 0)
        problems: list[PacsError] = []

        def received(event) -> int:
            try:
                dataset = event.dataset
                dataset.file_meta = event.file_meta
                staging.add(dataset)
            except PacsError as error:
                problems.append(error)
                return 0xA700
            except Exception as error:  # noqa: BLE001 - pynetdicom's decoding of what the archive sent
                problems.append(PacsError(f"PACS “{self.node.name}” sent an instance that cannot be read ({error})"))
                return 0xC000
            return _SUCCESS

        identifier = Dataset()
        identifier.QueryRetrieveLevel = "STUDY"
        identifier.StudyInstanceUID = study_uid
        what = f"the retrieval of study {study_uid}"
        contexts = [build_context(sop.StudyRootQueryRetrieveInformationModelGet)]
        contexts += [build_context(uid, ALL_TRANSFER_SYNTAXES) for uid in RETRIEVED_CLASSES]
        roles = [build_role(uid, scp_role=True) for uid in RETRIEVED_CLASSES]
        with self._association(what, contexts, roles, [(evt.EVT_C_STORE, received)]) as association:
            for status, _ in association.send_c_get(identifier, sop.StudyRootQueryRetrieveInformationModelGet):
                if problems:
                    association.abort()
                    raise problems[0]
                if cancelled():
                    association.abort()
                    raise PacsCancelled()
                if status and status.Status in _PENDING:
                    done = sum(int(status.get(f"Number{kind}Suboperations", 0) or 0)
                               for kind in ("OfCompleted", "OfFailed", "OfWarning"))
                    progress(staging.count, done + int(status.get("NumberOfRemainingSuboperations", 0) or 0))
                    continue
                if status and status.Status == 0xB000:
                    failed = int(status.get("NumberOfFailedSuboperations", 0) or 0)
                    raise PacsError(f"PACS “{self.node.name}” failed to send {failed} instance"
                                    f"{'s' if failed != 1 else ''} of study {study_uid}")
                self._check(status, what)
        if problems:
            raise problems[0]
        if staging.count == 0:
            raise PacsError(f"PACS “{self.node.name}” has no instances of study {study_uid}")
        progress(staging.count, staging.count)

    def store(self, datasets: list[Dataset]) -> None:
        pairs = {(str(ds.SOPClassUID), str(ds.file_meta.TransferSyntaxUID)) for ds in datasets}
        contexts = [build_context(uid, syntax) for uid, syntax in sorted(pairs)]
        what = f"storing {len(datasets)} object{'s' if len(datasets) != 1 else ''}"
        refused = []
        with self._association(what, contexts) as association:
            for ds in datasets:
                try:
                    status = association.send_c_store(ds)
                except ValueError as error:  # no accepted presentation context for the object's class
                    raise PacsError(f"PACS “{self.node.name}” does not accept {ds.SOPClassUID.name} objects "
                                    f"({error})") from error
                if status and status.Status not in (_SUCCESS, *_STORE_WARNINGS):
                    refused.append(_status_text(status.Status))
                elif not status:
                    self._check(status, what)
        if refused:
            raise PacsError(f"PACS “{self.node.name}” refused {len(refused)} of {len(datasets)} objects "
                            f"({', '.join(sorted(set(refused)))})")

    @contextmanager
    def _association(self, what: str, contexts, roles=None, handlers=None):
        node = self.node
        self._probe()
        self.ae.requested_contexts = contexts
        association = self.ae.associate(node.host.strip(), node.port, ae_title=node.called_ae.strip(),
                                        ext_neg=roles, evt_handlers=handlers)
        if association.is_rejected:
            raise PacsError(f"PACS “{node.name}” at {node.address} refused the association for {what}: check the "
                            f"AE titles (ours: {node.calling_ae}, the archive's: {node.called_ae}) and that the "
                            "archive knows ours")
        if not association.is_established:
            raise PacsError(f"PACS “{node.name}” at {node.address} did not accept the association for {what} "
                            f"within {node.read_timeout_s:g} s; the server is slow, stuck or not a DICOM server")
        try:
            yield association
        finally:
            if association.is_established:
                association.release()

    def _probe(self) -> None:
        node = self.node
        try:
            with socket.create_connection((node.host.strip(), node.port), timeout=node.connect_timeout_s):
                pass
        except TimeoutError as error:
            raise PacsError(f"PACS “{node.name}” at {node.address} did not accept a connection within "
                            f"{node.connect_timeout_s:g} s; check the address and the network") from error
        except socket.gaierror as error:
            raise PacsError(f"Cannot connect to PACS “{node.name}”: unknown host {node.host!r}") from error
        except OSError as error:
            reason = error.strerror.lower() if error.strerror else str(error)
            raise PacsError(f"Cannot connect to PACS “{node.name}” at {node.address}: {reason}; check that the "
                            "server is running and the host and port are right") from error

    def _check(self, status: Dataset, what: str) -> None:
        if not status:
            raise PacsError(f"PACS “{self.node.name}” at {self.node.address} did not answer {what} within "
                            f"{self.node.read_timeout_s:g} s, or dropped the association")
        if status.Status != _SUCCESS:
            raise PacsError(f"PACS “{self.node.name}” refused {what}: {_status_text(status.Status)}")


def _status_text(code: int) -> str:
    words = _STATUS_WORDS.get(code) or next((w for c, w in _STATUS_WORDS.items() if c & 0xFF00 == code & 0xFF00
                                             and c not in (0xA700, 0xC000)), None)
    return f"status 0x{code:04X}" + (f" ({words})" if words else "")
