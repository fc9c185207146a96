"""Synthetic CEM studies written as real DICOM. No Qt in this package."""
