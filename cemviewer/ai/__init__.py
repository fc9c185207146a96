"""Lesion AI: preprocessing, the LE + recombined lesion segmenter, its training and evaluation (no Qt)."""
