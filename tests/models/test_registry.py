import pytest

import zoo.models
from zoo.models.bert import BertBackbone
from zoo.models.gpt import GPTBackbone
from zoo.models.lstm import LSTMBackbone
from zoo.models.seq2seq import Seq2SeqBackbone


@pytest.mark.parametrize(
    "family, backbone_cls",
    [("bert", BertBackbone), ("gpt", GPTBackbone), ("lstm", LSTMBackbone), ("transformer", Seq2SeqBackbone)],
)
def test_build_gives_the_family_backbone_at_the_preset_size(family, backbone_cls):
    backbone = zoo.models.build(family, "tiny", vocabulary_size=100)
    assert isinstance(backbone, backbone_cls)
    assert backbone.get_config()["vocabulary_size"] == 100
    assert zoo.models.count_parameters(backbone) == backbone.count_params()


def test_overrides_replace_preset_arguments():
    backbone = zoo.models.build("bert", "tiny", vocabulary_size=100, num_layers=1)
    assert backbone.get_config()["num_layers"] == 1


def test_bert_base_is_bert_base():
    base = zoo.models.preset("bert", "base")
    assert (base["num_layers"], base["hidden_dim"], base["num_heads"]) == (12, 768, 12)


@pytest.mark.parametrize("family", ["lstm", "bert", "gpt", "seq2seq"])
def test_flops_grow_with_size(family):
    flops = [zoo.models.training_flops_per_token(family, size, 8192, 128) for size in zoo.models.SIZES]
    assert flops == sorted(flops) and flops[0] > 0


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: zoo.models.build("rnn", "tiny", vocabulary_size=10), "family='rnn'"),
        (lambda: zoo.models.build("bert", "huge", vocabulary_size=10), "size='huge'"),
        (lambda: zoo.models.build("bert", "tiny", vocabulary_size=0), "vocabulary_size=0"),
    ],
)
def test_bad_names_are_quoted(call, message):
    with pytest.raises(ValueError, match=message):
        call()
