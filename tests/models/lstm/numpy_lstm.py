"""NumPy reference of the LSTM family, one sentence at a time over its real tokens only.

Weights are read from the Keras layers; the arithmetic (gates i, f, c, o in Keras' order,
bidirectional stacks, the state bridge, attention and the output projections) is written
here from the papers, so a masking or wiring mistake in the models shows up as a mismatch.
"""

import numpy as np

from zoo.testing import to_numpy


def set_seeded_weights(model, scale, seed=0):
    """Every weight from `np.random.default_rng(seed)`, in `model.weights` order."""
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        weight.assign(rng.normal(0.0, scale, weight.shape).astype("float32"))


def _w(variable):
    return to_numpy(variable).astype("float64")


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_weights(lstm):
    """(kernel, recurrent_kernel, bias) of a `keras.layers.LSTM`."""
    return _w(lstm.cell.kernel), _w(lstm.cell.recurrent_kernel), _w(lstm.cell.bias)


def run_lstm(inputs, weights, hidden=None, cell=None):
    """One LSTM direction over `inputs` (T, input_dim): outputs (T, H) and the final h, c."""
    kernel, recurrent_kernel, bias = weights
    units = recurrent_kernel.shape[0]
    hidden = np.zeros(units) if hidden is None else hidden
    cell = np.zeros(units) if cell is None else cell
    outputs = []
    for x in inputs:
        z = x @ kernel + hidden @ recurrent_kernel + bias
        i, f, g, o = np.split(z, 4)
        cell = _sigmoid(f) * cell + _sigmoid(i) * np.tanh(g)
        hidden = _sigmoid(o) * np.tanh(cell)
        outputs.append(hidden)
    return np.array(outputs).reshape(len(inputs), units), hidden, cell


def run_backbone(backbone, token_ids):
    """`LSTMBackbone` on the real token ids of one sentence: outputs (T_real, D), final h (D), final c (D)."""
    x = _w(backbone.token_embedding.embeddings)[token_ids]
    for layer in backbone.lstm_layers:
        if not backbone.bidirectional:
            x, hidden, cell = run_lstm(x, lstm_weights(layer))
            continue
        forward, forward_h, forward_c = run_lstm(x, lstm_weights(layer.forward_layer))
        backward, backward_h, backward_c = run_lstm(x[::-1], lstm_weights(layer.backward_layer))
        x = np.concatenate([forward, backward[::-1]], axis=-1)
        hidden, cell = np.concatenate([forward_h, backward_h]), np.concatenate([forward_c, backward_c])
    return x, hidden, cell


def classifier_logits(classifier, token_ids, padding_mask):
    """`LSTMClassifier` logits (batch, num_classes)."""
    logits = []
    for ids, mask in zip(token_ids, padding_mask):
        outputs, hidden, _ = run_backbone(classifier.backbone, ids[mask.astype(bool)])
        pooled = {"max": lambda: outputs.max(0), "mean": lambda: outputs.mean(0), "last": lambda: hidden}
        logits.append(pooled[classifier.pooling]() @ _w(classifier.head.kernel) + _w(classifier.head.bias))
    return np.array(logits)


def _softmax(scores):
    exp = np.exp(scores - scores.max())
    return exp / exp.sum()


def _attention_scores(decoder, query, encoder_outputs):
    attention_layer = decoder.attention_layer
    if decoder.attention == "luong":  # the "general" score q . (W h_j)
        return (encoder_outputs @ _w(attention_layer.key_dense.kernel)) @ query
    projected_query = query @ _w(attention_layer.query_dense.kernel)
    keys = encoder_outputs @ _w(attention_layer.key_dense.kernel) + _w(attention_layer.key_dense.bias)
    return np.tanh(projected_query + keys) @ _w(attention_layer.score_dense.kernel)[:, 0]


def seq2seq_logits(model, encoder_token_ids, encoder_padding_mask, decoder_token_ids):
    """`LSTMSeq2Seq` teacher-forced logits (batch, T, V) for decoder inputs without padding."""
    bridge, decoder = model.state_bridge, model.decoder
    num_layers, hidden_dim = decoder.num_layers, decoder.hidden_dim
    logits = []
    for source, mask, target in zip(encoder_token_ids, encoder_padding_mask, decoder_token_ids):
        encoder_outputs, final_h, final_c = run_backbone(model.backbone, source[mask.astype(bool)])
        hidden = np.tanh(final_h @ _w(bridge.hidden_dense.kernel) + _w(bridge.hidden_dense.bias))
        cell = final_c @ _w(bridge.cell_dense.kernel) + _w(bridge.cell_dense.bias)
        hidden, cell = hidden.reshape(num_layers, hidden_dim), cell.reshape(num_layers, hidden_dim)
        x = _w(decoder.token_embedding.embeddings)[target]
        for layer, lstm in enumerate(decoder.lstm_layers):
            x, _, _ = run_lstm(x, lstm_weights(lstm), hidden[layer], cell[layer])
        if decoder.attention != "none":
            rows = []
            for query in x:
                weights = _softmax(_attention_scores(decoder, query, encoder_outputs))
                context = weights @ encoder_outputs
                rows.append(np.tanh(np.concatenate([context, query]) @ _w(decoder.attention_projection.kernel)))
            x = np.array(rows)
        logits.append(x @ _w(decoder.output_projection.kernel) + _w(decoder.output_projection.bias))
    return np.array(logits)


def causal_lm_logits(lm, token_ids):
    """`LSTMCausalLM` logits (T, V) of one sentence's real token ids."""
    outputs, _, _ = run_backbone(lm.backbone, token_ids)
    if lm.lm_head is not None:
        return outputs @ _w(lm.lm_head.kernel) + _w(lm.lm_head.bias)
    if lm.output_projection is not None:
        outputs = outputs @ _w(lm.output_projection.kernel)
    return outputs @ _w(lm.backbone.token_embedding.embeddings).T
