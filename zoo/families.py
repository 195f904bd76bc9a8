"""The family table: every model family's package. One line here (plus its folder) adds a family.

Kept free of Keras: the safe-loading checks (`zoo.preflight`) read it before Keras is imported,
to know which packages' classes a saved model may name (keras, keras_hub, zoo and these).
`zoo.models.registry` builds on it (sizes, task models, `--model` choices).

Example:

    MODEL_ONLY_FAMILIES["gru"] = "my_package.gru"   # a family with no shared backbone
"""

# family -> (package, backbone class). The order is the order `task_families` lists a task's families in.
FAMILIES = {
    "lstm": ("zoo.models.lstm", "LSTMBackbone"),
    "bert": ("zoo.models.bert", "BertBackbone"),
    "seq2seq": ("zoo.models.seq2seq", "Seq2SeqBackbone"),
    "gpt": ("zoo.models.gpt", "GPTBackbone"),
}
# Families of one task model and no shared backbone: family -> package.
MODEL_ONLY_FAMILIES = {"fasttext": "zoo.models.fasttext"}


def family_packages():
    """`{family: package}` of every family, backbone or not, in table order."""
    return {**{family: package for family, (package, _) in FAMILIES.items()}, **MODEL_ONLY_FAMILIES}
