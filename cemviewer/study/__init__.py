"""Finding, classifying and decoding CEM DICOM studies. No Qt in this package."""
