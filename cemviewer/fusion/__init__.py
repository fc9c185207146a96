"""Radiomics classifier (XGBoost), its training, and the fusion with the deep-learning lesion classifier. No Qt.

    model = RadiomicsModel.load()                          # models/radiomics_xgb.json + .meta.json
    result = assess_lesion(le, rec, mask, spacing_mm, dl_classifier, model, age=54)
    result.fused_prob, result.threshold, result.call, result.contributions

The viewer and `cemviewer analyze` both go through assess_lesion; `cemviewer train radiomics` through
cemviewer.fusion.train.train_radiomics.
"""

from cemviewer.fusion.assess import LesionAssessment, age_years, assess_lesion, dense_bright, fuse
from cemviewer.fusion.model import RadiomicsModel

__all__ = ["LesionAssessment", "RadiomicsModel", "age_years", "assess_lesion", "dense_bright", "fuse"]
