"""Radiomics feature names as a reader sees them: 'rec_original_glcm_Contrast' -> 'Rec GLCM Contrast'. Shared by
the assessment panel and the reports."""

from __future__ import annotations

from cemviewer.fusion.model import AGE_FEATURE
from cemviewer.radiomics import IMAGE_PREFIXES

CLASS_NAMES = {"firstorder": "First order", "shape2D": "Shape", "glcm": "GLCM", "glrlm": "GLRLM", "glszm": "GLSZM",
               "gldm": "GLDM", "ngtdm": "NGTDM"}


def split_name(name: str) -> tuple[str | None, str]:
    """('le' | 'rec' | None, the pyradiomics name) of a feature name of cemviewer.radiomics."""
    prefix, _, rest = name.partition("_")
    return (prefix, rest) if prefix in IMAGE_PREFIXES and rest else (None, name)


def readable_name(pyradiomics_name: str) -> str:
    """'original_glcm_Contrast' -> 'GLCM Contrast'."""
    parts = pyradiomics_name.split("_")
    if len(parts) == 3:
        return f"{feature_class(pyradiomics_name)} {parts[2]}"
    return "Age" if pyradiomics_name == AGE_FEATURE else pyradiomics_name


def contribution_label(feature: str) -> str:
    """'rec_original_glcm_Contrast' -> 'Rec GLCM Contrast'; shape and age features have no image."""
    image, name = split_name(feature)
    return f"{'LE' if image == 'le' else 'Rec'} {readable_name(name)}" if image else readable_name(name)


def feature_class(pyradiomics_name: str) -> str:
    """'original_glcm_Contrast' -> 'GLCM'."""
    parts = pyradiomics_name.split("_")
    return CLASS_NAMES.get(parts[1], parts[1]) if len(parts) == 3 else "Other"
