"""Per-study reports of the annotated lesions: an HTML summary with key images and a DICOM Structured Report
(TID 1500) that references the lesions' DICOM SEG."""
