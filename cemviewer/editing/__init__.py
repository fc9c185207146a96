"""ROI editing without Qt: the lesion set of a view, its mask operations and its undo history."""
