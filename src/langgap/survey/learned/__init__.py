"""The learned annotator: scikit-learn models trained on human labels (the packaged reference
annotation by default, or a team's own adjudicated sheets), with calibrated probabilities.

- `vectors`: TF-IDF features that can be stored as plain arrays and rebuilt exactly.
- `heads`: linear classifiers with temperature-scaled (calibrated) probabilities.
- `mentions`: studied-vs-mentioned features for each language mention (the mention finder of
  `langgap.languages` proposes the candidates).
- `model`: the whole model, its file format and its predictions.
- `train`: gold + paper texts -> a model, and cross-validation by year.
- `annotator`: the `Annotator` used by `survey run --annotator learned`.
"""
