"""The annotator's work kept safe between runs: autosaved sessions in a store outside the study folder."""
