import pytest

from zoo.models.lstm.backbone import LSTMBackbone
from zoo.models.lstm.classifier import LSTMClassifier
from zoo.models.lstm.presets import (
    PRESETS,
    classifier_config,
    estimate_training_flops_per_token,
    lstm_parameters,
    non_embedding_parameters,
    seq2seq_config,
    total_parameters,
)
from zoo.models.lstm.seq2seq import LSTMSeq2Seq

SMALL_CONFIGS = [
    (LSTMBackbone, {"vocabulary_size": 30, "embedding_dim": 5, "hidden_dim": 4, "num_layers": 2}),
    (LSTMClassifier, {"vocabulary_size": 30, "num_classes": 3, "embedding_dim": 5, "hidden_dim": 4, "num_layers": 2}),
    (
        LSTMClassifier,
        {"vocabulary_size": 30, "num_classes": 2, "embedding_dim": 6, "hidden_dim": 3, "bidirectional": False},
    ),
    *[
        (
            LSTMSeq2Seq,
            {
                "vocabulary_size": 30,
                "target_vocabulary_size": 17,
                "embedding_dim": 5,
                "hidden_dim": 4,
                "num_encoder_layers": 2,
                "num_decoder_layers": 3,
                "attention": attention,
            },
        )
        for attention in ("luong", "bahdanau", "none")
    ],
]


@pytest.mark.parametrize("model_cls, config", SMALL_CONFIGS)
def test_parameter_counts_match_the_built_model(model_cls, config):
    model = getattr(model_cls, "from_backbone_arguments", model_cls)(**config)
    assert total_parameters(config) == model.count_params() == total_parameters(model.get_config())
    assert 0 < non_embedding_parameters(config) < total_parameters(config)


def test_presets_build_classifier_and_seq2seq():
    assert set(PRESETS) == {"tiny", "small", "base"}
    classifier_kwargs = classifier_config("tiny", vocabulary_size=100, num_classes=4)
    classifier = LSTMClassifier.from_backbone_arguments(**classifier_kwargs)
    assert classifier.count_params() == total_parameters(classifier_kwargs) == total_parameters(classifier.get_config())
    seq2seq_kwargs = seq2seq_config("tiny", vocabulary_size=100)
    seq2seq = LSTMSeq2Seq.from_backbone_arguments(**seq2seq_kwargs)
    assert seq2seq.count_params() == total_parameters(seq2seq_kwargs) == total_parameters(seq2seq.get_config())
    sizes = [total_parameters(seq2seq_config(size, 8192)) for size in ("tiny", "small", "base")]
    assert sizes == sorted(sizes)


def test_classifier_flops_are_six_per_lstm_weight_plus_the_head_once_per_sequence():
    config = classifier_config("small", vocabulary_size=8192, num_classes=2)
    hidden, embedding = config["hidden_dim"], config["embedding_dim"]
    lstm_weights = 2 * lstm_parameters(embedding, hidden) + 2 * lstm_parameters(2 * hidden, hidden)
    head = (2 * hidden + 1) * 2
    assert estimate_training_flops_per_token(config, 128) == int(6 * lstm_weights + 6 * head / 128)


def test_seq2seq_attention_flops_grow_with_the_source_length():
    luong, none = seq2seq_config("base", 8192, attention="luong"), seq2seq_config("base", 8192, attention="none")
    hidden = luong["hidden_dim"]
    attention_weights = 2 * hidden * hidden + 3 * hidden * hidden  # general score W, then W_c [a; h]
    for length in (16, 256):
        difference = estimate_training_flops_per_token(luong, length) - estimate_training_flops_per_token(none, length)
        assert difference == 6 * attention_weights + 6 * length * 3 * hidden
