"""Training recipes (classification, translation, summarization, pretraining) built on `model.fit`."""
