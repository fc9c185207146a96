"""Talking to a DICOM archive (PACS): the configured nodes, study queries, retrieval into the local study cache and
storing our SEG/SR objects back, over DICOMweb (dicomweb-client) or DIMSE (pynetdicom). No Qt here:
cemviewer.services.pacs_worker runs these calls off the UI thread."""
