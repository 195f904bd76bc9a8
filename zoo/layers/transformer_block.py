"""What the encoder and decoder blocks share: arguments, config, sublayer factories, residuals."""

import keras

from zoo.layers.attention import MultiHeadAttention
from zoo.layers.feed_forward import FeedForward
from zoo.layers.norms import NORM_KINDS, build_norm
from zoo.validation import require_choice, require_positive_int, require_rate


class TransformerBlock(keras.layers.Layer):
    """Base of `TransformerEncoderBlock` and `TransformerDecoderBlock`; not used on its own.

    Holds the shared arguments (documented on the subclasses), validates them, and builds
    attention, feed-forward and norm sublayers with the block's dtype policy.
    """

    def __init__(
        self,
        num_heads,
        intermediate_dim,
        head_dim=None,
        num_key_value_heads=None,
        activation="gelu",
        dropout=0.0,
        attention_dropout=0.0,
        norm="layer_norm",
        norm_epsilon=1e-5,
        norm_first=True,
        use_bias=True,
        rotary_max_wavelength=None,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_heads = require_positive_int("num_heads", num_heads)
        self.intermediate_dim = require_positive_int("intermediate_dim", intermediate_dim)
        self.head_dim = None if head_dim is None else require_positive_int("head_dim", head_dim)
        self.num_key_value_heads = num_key_value_heads
        self.activation = activation
        self.dropout = require_rate("dropout", dropout)
        self.attention_dropout = require_rate("attention_dropout", attention_dropout)
        self.norm = require_choice("norm", norm, NORM_KINDS)
        self.norm_epsilon = norm_epsilon
        self.norm_first = bool(norm_first)
        self.use_bias = bool(use_bias)
        self.rotary_max_wavelength = rotary_max_wavelength
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.supports_masking = True

    def _head_dim(self, hidden_dim):
        if self.head_dim is not None:
            return self.head_dim
        if hidden_dim % self.num_heads:
            raise ValueError(
                f"hidden_dim={hidden_dim} is not divisible by num_heads={self.num_heads}; pass head_dim explicitly."
            )
        return hidden_dim // self.num_heads

    def _build_attention(self, name, hidden_dim, rotary_max_wavelength):
        return MultiHeadAttention(
            num_heads=self.num_heads,
            head_dim=self._head_dim(hidden_dim),
            num_key_value_heads=self.num_key_value_heads,
            output_dim=hidden_dim,
            use_bias=self.use_bias,
            dropout=self.attention_dropout,
            rotary_max_wavelength=rotary_max_wavelength,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name=name,
        )

    def _build_norm(self, name, shape):
        norm = build_norm(self.norm, self.norm_epsilon, name=name, dtype=self.dtype_policy)
        norm.build(shape)
        return norm

    def _build_feed_forward(self, shape):
        self.feed_forward = FeedForward(
            hidden_dim=self.intermediate_dim,
            activation=self.activation,
            dropout=self.dropout,
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="feed_forward",
        )
        self.feed_forward.build(shape)
        self.feed_forward_norm = self._build_norm("feed_forward_norm", shape)
        self.residual_dropout = keras.layers.Dropout(self.dropout, dtype=self.dtype_policy, name="residual_dropout")

    def _residual(self, x, sublayer, norm, training):
        """`x + sublayer(norm(x))` (pre-LN) or `norm(x + sublayer(x))` (post-LN)."""
        if self.norm_first:
            return x + self.residual_dropout(sublayer(norm(x)), training=training)
        return norm(x + self.residual_dropout(sublayer(x), training=training))

    def _feed_forward_residual(self, x, training):
        return self._residual(x, lambda h: self.feed_forward(h, training=training), self.feed_forward_norm, training)

    def compute_mask(self, inputs, mask=None, **kwargs):
        return mask

    def remat_problem(self, backend):
        """Why this block cannot be rematerialized on `backend`, or None.

        On TensorFlow and JAX the recomputation draws new dropout masks (Keras' seed generators
        advance again), so the gradients would not be those of the forward pass; torch's
        checkpointing replays the same masks.
        """
        if backend != "torch" and (self.dropout or self.attention_dropout):
            return (
                f"rematerialization with dropout > 0 runs on the torch backend only: on {backend} the "
                "recomputed block would draw new dropout masks. Use dropout 0 (`zoo train --dropout 0`), "
                "or the torch backend."
            )
        return None

    def rematerialized_call(self, layer_call, *args, **kwargs):
        """The block's call, recomputed in the backward pass when a `keras.RematScope` selects the block.

        Keras' own wrapper hands every argument to the backend's checkpointing, and
        `tf.recompute_grad` / `jax.checkpoint` take tensors only (keyword arguments, `None` masks and
        the `training` flag fail there). So the block closes over its other arguments and
        checkpoints a function of its tensor arguments alone: only the block's inputs are kept, and
        its activations are recomputed from them.

        Example: `with keras.RematScope(mode="list_of_layers", layer_names=["decoder_block_0"]):`
        around the model's construction checkpoints that block.
        """
        if super().rematerialized_call(layer_call, *args, **kwargs) is layer_call:
            return layer_call  # the scope does not select this block
        problem = self.remat_problem(keras.backend.backend())
        if problem:
            raise ValueError(f"{self.name}: {problem}")

        def call_on_tensors(*call_args, **call_kwargs):
            leaves = keras.tree.flatten((call_args, call_kwargs))
            positions = [i for i, leaf in enumerate(leaves) if keras.ops.is_tensor(leaf)]

            def recomputed(*tensors):
                filled = list(leaves)
                for position, tensor in zip(positions, tensors):
                    filled[position] = tensor
                args_again, kwargs_again = keras.tree.pack_sequence_as((call_args, call_kwargs), filled)
                return layer_call(*args_again, **kwargs_again)

            return keras.remat(recomputed)(*(leaves[i] for i in positions))

        return call_on_tensors

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "intermediate_dim": self.intermediate_dim,
                "head_dim": self.head_dim,
                "num_key_value_heads": self.num_key_value_heads,
                "activation": self.activation,
                "dropout": self.dropout,
                "attention_dropout": self.attention_dropout,
                "norm": self.norm,
                "norm_epsilon": self.norm_epsilon,
                "norm_first": self.norm_first,
                "use_bias": self.use_bias,
                "rotary_max_wavelength": self.rotary_max_wavelength,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            }
        )
        return config
