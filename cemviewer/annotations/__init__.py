"""A study's annotations in and out of files: the shared records, DICOM SEG, PNG masks and lesion tables."""
