"""What every pipeline shares: rows -> shuffled string batches -> padded (or bucketed) batches.

A pipeline reads its text columns as batches of strings, tokenizes a whole batch at once inside
the graph (one tokenizer call per batch, not per example), keeps the token features ragged until
padding, then pads each group of features that share a length ("tokens", or "source" and
"target") to the group's maximum length, to the batch's longest example rounded up to a multiple
of 8, or to the smallest of a few fixed widths that fits the batch ("buckets": every batch has
one of `bucket_count` shapes, so XLA on JAX and TensorFlow compiles that many train steps, not
one per batch, and a shuffled stream batches examples of one width together).
"""

import dataclasses
import numbers

import tensorflow as tf

from zoo.validation import require_choice, require_positive_int

PADDING = ("dynamic", "max_length", "buckets")
AUTOTUNE = tf.data.AUTOTUNE
# Strings tokenized per call when bucketing regroups the examples afterwards.
_TOKENIZE_CHUNK = 256


def without_autograph(function):
    """`function`, marked so that `Dataset.map` traces it as written instead of through AutoGraph.

    Every function a pipeline maps is plain TensorFlow ops (no Python `if`/`for` over tensors).
    AutoGraph would rewrite its source, and every function it calls, on each trace: about 1 s a
    pipeline on a 2-core machine, paid by every run and every `zoo evaluate` / `zoo predict`.

    Example: `dataset.map(without_autograph(lambda batch: tokenizer.tokenize(batch)))`
    """
    return tf.autograph.experimental.do_not_convert(function)


@dataclasses.dataclass(frozen=True)
class BatchOptions:
    """How a pipeline shuffles, batches and pads: the keyword options of every `*_dataset`.

    Args:
        batch_size: examples per batch.
        shuffle: shuffle the rows, in a new order on each pass over the data.
        seed: seed of the shuffling and of a pipeline's random choices (MLM masks, NSP pairs):
            the same seed gives the same batches on every run, and each pass still differs from
            the previous one. None draws fresh randomness.
        shuffle_buffer_size: rows in the shuffle buffer; None holds them all (a full shuffle).
        drop_remainder: drop a last batch smaller than `batch_size`, so the batch dimension is
            static.
        repeat: repeat the data forever (give `fit` a `steps_per_epoch`).
        padding: "dynamic" pads each batch to its longest example rounded up to a multiple of
            `pad_to_multiple_of` (never beyond the maximum length); "max_length" pads every
            batch to the maximum length; "buckets" pads each batch to the smallest of
            `bucket_count` widths that fits it (`bucket_widths`: 1/4, 2/4, 3/4 and all of each
            length group's maximum, rounded up to `pad_to_multiple_of`; the groups of a batch
            share the bucket), and a shuffled stream groups examples of one bucket into batches.
        pad_to_multiple_of: see `padding`.
        bucket_count: the number of widths of `padding="buckets"`.
        bucket_boundaries: increasing lengths; when given, examples of similar length are
            batched together (`tf.data.Dataset.bucket_by_sequence_length`), so batches hold less
            padding. Needs `padding="dynamic"`. A bucket's length is the example's longest
            token feature.

    Example:

        options = BatchOptions(batch_size=64, shuffle=True, seed=0, bucket_boundaries=(32, 64))
    """

    batch_size: int = 32
    shuffle: bool = False
    seed: int | None = None
    shuffle_buffer_size: int | None = None
    drop_remainder: bool = False
    repeat: bool = False
    padding: str = "dynamic"
    pad_to_multiple_of: int = 8
    bucket_boundaries: tuple | None = None
    bucket_count: int = 4

    def __post_init__(self):
        require_positive_int("batch_size", self.batch_size)
        require_positive_int("pad_to_multiple_of", self.pad_to_multiple_of)
        require_positive_int("bucket_count", self.bucket_count)
        require_choice("padding", self.padding, PADDING)
        if self.shuffle_buffer_size is not None:
            require_positive_int("shuffle_buffer_size", self.shuffle_buffer_size)
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, numbers.Integral)):
            raise ValueError(f"`seed` must be an int or None. Received: seed={self.seed!r}")
        if self.bucket_boundaries is not None:
            boundaries = tuple(self.bucket_boundaries)
            if (
                not boundaries
                or any(isinstance(b, bool) or not isinstance(b, numbers.Integral) or b <= 0 for b in boundaries)
                or list(boundaries) != sorted(set(boundaries))
            ):
                raise ValueError(
                    "`bucket_boundaries` must be strictly increasing positive ints. "
                    f"Received: bucket_boundaries={self.bucket_boundaries!r}"
                )
            if self.padding != "dynamic":
                raise ValueError(
                    "Bucketing pads each batch to its own length and needs padding='dynamic'. "
                    f"Received: padding={self.padding!r} with bucket_boundaries={boundaries}"
                )
            object.__setattr__(self, "bucket_boundaries", boundaries)


def rows_column(rows, field):
    """The `field` strings of `rows` (dicts, as the readers return them), in order."""
    rows = list(rows)
    if not rows:
        raise ValueError("A pipeline needs at least one row. Received: rows=[]")
    missing = [index for index, row in enumerate(rows) if field not in row]
    if missing:
        raise ValueError(f"Every row needs a {field!r} field; row {missing[0]} has only {sorted(rows[missing[0]])}.")
    return [row[field] for row in rows]


def shuffled(columns, options):
    """The rows of `columns` (one sequence, or a dict of equal-length ones), shuffled and repeated as asked.

    A repeated, seeded stream depends on the seed alone: pass `p` follows the permutation drawn
    from `(options.seed, p)`, so every iterator of it yields the same rows, however many
    iterators were made before (by `fit`, a peek, a resume). `Dataset.shuffle`'s
    `reshuffle_each_iteration` would instead start each new iterator on the next permutation.
    Such a stream always shuffles fully (`shuffle_buffer_size` is not needed).
    """
    rows = tf.data.Dataset.from_tensor_slices(columns)
    if not options.shuffle:
        return rows.repeat() if options.repeat else rows
    if options.repeat and options.seed is not None:
        tensors = (
            {name: tf.convert_to_tensor(column) for name, column in columns.items()}
            if isinstance(columns, dict)
            else tf.convert_to_tensor(columns)
        )
        size = len(tf.nest.flatten(tensors)[0])

        def one_pass(index):
            seed = tf.stack([tf.constant(options.seed, tf.int64), index])
            return tf.data.Dataset.from_tensor_slices(
                tf.random.experimental.stateless_shuffle(tf.range(size, dtype=tf.int64), seed=seed)
            )

        stream = (
            tf.data.Dataset.counter()
            .flat_map(without_autograph(one_pass))
            .map(without_autograph(lambda row: tf.nest.map_structure(lambda column: tf.gather(column, row), tensors)))
        )
        return stream.apply(tf.data.experimental.assert_cardinality(tf.data.INFINITE_CARDINALITY))
    size = int(rows.cardinality())
    rows = rows.shuffle(options.shuffle_buffer_size or size, seed=options.seed, reshuffle_each_iteration=True)
    return rows.repeat() if options.repeat else rows


def with_random_seeds(dataset, seed, repeated=False):
    """Pairs each element with two random non-negative int64s: a seed for `tf.random.stateless_*`.

    Stateful random ops in `Dataset.map` restart their sequence with every new iterator, so each
    epoch of `fit` would see the same "random" masks. An endless (`repeated`) seeded stream draws
    element `k`'s pair from `(seed, k)`, so every iterator of it replays the same draws; otherwise
    `Dataset.random(rerandomize_each_iteration=True)` gives each pass (iterator) fresh draws.
    """
    if repeated and seed is not None:

        def draws(index):
            pair = tf.random.stateless_uniform(
                [2], seed=tf.stack([tf.constant(seed, tf.int64), index]), minval=None, maxval=None, dtype=tf.int64
            )
            return tf.math.floormod(pair, tf.int64.max)

        return tf.data.Dataset.zip((dataset, tf.data.Dataset.counter().map(without_autograph(draws))))
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
    return tf.data.Dataset.zip((dataset, seeds))


def padded_batches(examples, encode, lengths, options):
    """Batches of dense, padded features from `examples` (a dataset of dicts, one per row).

    `encode(batch)` maps a batch of those dicts (e.g. the rows' strings) to a dict of features:
    ragged `(B, None)` int32 token features and dense `(B,)` ones. `lengths` maps each token
    feature to its length group and the group's maximum length, e.g.
    `{"token_ids": ("tokens", 128)}`; every feature of a group is padded (with 0) to one length.
    """
    grouped_by_width = options.padding == "buckets" and options.shuffle
    if options.bucket_boundaries is None and not grouped_by_width:
        batches = examples.batch(options.batch_size, drop_remainder=options.drop_remainder)
        return batches.map(
            without_autograph(lambda batch: pad_features(encode(batch), lengths, options)), num_parallel_calls=AUTOTUNE
        )
    tokenized = examples.batch(_TOKENIZE_CHUNK).map(without_autograph(encode), num_parallel_calls=AUTOTUNE).unbatch()
    # Unbatched ragged rows are rank-0-ragged specs that `padded_batch` refuses; identity makes them dense.
    dense = without_autograph(lambda features: {name: tf.identity(value) for name, value in features.items()})
    tokenized = tokenized.map(dense)
    if grouped_by_width:  # one group per bucket: the "length" is the bucket's index
        length, boundaries = (
            lambda features: _bucket_index(features, lengths, options, axis=0),
            list(range(1, options.bucket_count)),
        )
    else:
        length, boundaries = (lambda features: _longest(features, lengths)), list(options.bucket_boundaries)
    buckets = tokenized.bucket_by_sequence_length(
        element_length_func=without_autograph(length),
        bucket_boundaries=boundaries,
        bucket_batch_sizes=[options.batch_size] * (len(boundaries) + 1),
        drop_remainder=options.drop_remainder,
    )
    return buckets.map(
        without_autograph(lambda features: pad_features(features, lengths, options)), num_parallel_calls=AUTOTUNE
    )


def bucket_widths(max_length, options):
    """The `options.bucket_count` widths of a length group: `(i + 1) / bucket_count` of `max_length`, rounded up.

    Each is rounded up to `pad_to_multiple_of` and capped at `max_length`, so a short maximum
    repeats widths.

    Example: `bucket_widths(64, BatchOptions(padding="buckets"))` is `[16, 32, 48, 64]`, and
    `bucket_widths(12, ...)` is `[8, 8, 12, 12]`.
    """
    multiple, count = options.pad_to_multiple_of, options.bucket_count
    return [min(max_length, -(-max_length * (i + 1) // (count * multiple)) * multiple) for i in range(count)]


def _bucket_index(features, lengths, options, axis):
    """The smallest bucket whose widths fit every length group of `features` (one example: axis 0; a batch: 1)."""
    index = tf.constant(0, tf.int32)
    for name, (_, max_length) in lengths.items():
        length = tf.shape(features[name])[0] if axis == 0 else _batch_length(features[name])
        widths = tf.constant(bucket_widths(max_length, options), tf.int32)
        index = tf.maximum(index, tf.reduce_sum(tf.cast(widths < length, tf.int32)))
    return index


def pad_features(features, lengths, options):
    """`features` with every token feature padded to its group's length (see `padded_batches`)."""
    group_lengths = {}
    if options.padding == "buckets":
        index = _bucket_index(features, lengths, options, axis=1)
    for name, (group, max_length) in lengths.items():
        if options.padding == "max_length":
            group_lengths[group] = max_length
        elif options.padding == "buckets":
            group_lengths[group] = tf.gather(tf.constant(bucket_widths(max_length, options), tf.int32), index)
        else:
            longest = tf.maximum(group_lengths.get(group, 0), _batch_length(features[name]))
            group_lengths[group] = longest
    padded = dict(features)
    for name, (group, max_length) in lengths.items():
        length = group_lengths[group]
        if options.padding == "dynamic":
            multiple = options.pad_to_multiple_of
            length = tf.minimum((length + multiple - 1) // multiple * multiple, max_length)
        padded[name] = _pad(features[name], length)
    if options.drop_remainder:
        for value in padded.values():
            value.set_shape([options.batch_size, *value.shape[1:]])
    return padded


def prefetched(dataset, to_fit_inputs):
    """`dataset` mapped to `model.fit`'s `(x, y[, sample_weight])` and prefetched."""
    return dataset.map(without_autograph(to_fit_inputs), num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE)


def _batch_length(tokens):
    if isinstance(tokens, tf.RaggedTensor):
        return tf.cast(tokens.bounding_shape(axis=1), tf.int32)
    return tf.shape(tokens)[1]


def _pad(tokens, length):
    if isinstance(length, int):
        return tokens.to_tensor(default_value=0, shape=[None, length])
    dense = tokens.to_tensor(default_value=0) if isinstance(tokens, tf.RaggedTensor) else tokens
    return tf.pad(dense, [[0, 0], [0, length - tf.shape(dense)[1]]])


def _longest(features, lengths):
    return tf.reduce_max(tf.stack([tf.shape(features[name])[0] for name in lengths]))
