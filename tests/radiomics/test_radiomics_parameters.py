"""resources/radiomics.yaml is found, overridable, and changes what the extractor computes."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from cemviewer.radiomics import RESOURCES_ENV, RadiomicsExtractor, load_parameters, parameters_hash, resources_dir


def test_repository_parameters_enable_the_seven_classes_in_2d():
    parameters = load_parameters()
    assert (resources_dir() / "radiomics.yaml").is_file()
    assert set(parameters["featureClass"]) == {"firstorder", "shape2D", "glcm", "glrlm", "glszm", "gldm", "ngtdm"}
    assert parameters["setting"]["force2D"] is True
    assert len(parameters["setting"]["resampledPixelSpacing"]) == 2


def test_environment_override_is_read_and_changes_the_features(tmp_path, monkeypatch):
    parameters = load_parameters()
    repository_hash = parameters_hash(parameters)
    parameters["featureClass"] = {"firstorder": None, "shape2D": None}
    (tmp_path / "radiomics.yaml").write_text(yaml.safe_dump(parameters))
    monkeypatch.setenv(RESOURCES_ENV, str(tmp_path))
    assert resources_dir() == tmp_path
    extractor = RadiomicsExtractor()
    assert extractor.parameters_hash == parameters_hash(parameters) != repository_hash
    image = np.full((80, 80), 1000, np.uint16)
    image[:, 60:] = 0
    image[20:50, 20:50] += np.arange(30, dtype=np.uint16)
    mask = np.zeros(image.shape, dtype=bool)
    mask[20:50, 20:50] = True
    features = extractor.extract(image, None, mask, (0.5, 0.5))
    assert features and not any("glcm" in name for name in features)


def test_missing_parameters_file_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv(RESOURCES_ENV, str(tmp_path))
    with pytest.raises(FileNotFoundError, match=RESOURCES_ENV):
        load_parameters()


def test_hash_ignores_key_order_but_not_values():
    parameters = load_parameters()
    reordered = dict(reversed(list(parameters.items())))
    assert parameters_hash(reordered) == parameters_hash(parameters)
    changed = {**parameters, "setting": {**parameters["setting"], "binCount": 64}}
    assert parameters_hash(changed) != parameters_hash(parameters)
