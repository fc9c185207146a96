"""Radiomics of one lesion ROI on the LE and recombined images of a view (pyradiomics in 2-D). No Qt here.

    extractor = RadiomicsExtractor()                 # parameters from resources/radiomics.yaml
    features = extractor.extract(le, rec, mask, spacing_mm=(0.1, 0.1))
    features["le_original_glcm_Contrast"], features["rec_original_firstorder_Mean"],
    features["original_shape2D_MeshSurface"]        # mm²; the ROI's shape is computed once, without prefix

A bad ROI raises RoiError, whose message is meant for the user ("The outline is empty: draw a lesion first").
"""

from cemviewer.radiomics.extraction import IMAGE_PREFIXES, RadiomicsExtractor
from cemviewer.radiomics.parameters import RESOURCES_ENV, load_parameters, parameters_hash, resources_dir
from cemviewer.radiomics.roi import RadiomicsError, RoiError

__all__ = ["IMAGE_PREFIXES", "RESOURCES_ENV", "RadiomicsError", "RadiomicsExtractor", "RoiError", "load_parameters",
           "parameters_hash", "resources_dir"]
