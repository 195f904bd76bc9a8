"""How many XLA programs a run compiled: `CompilationCounter`, on the JAX backend.

JAX compiles a jitted step once per input shape, so a run whose batches come in many widths
spends its first minutes compiling (a new program per batch shape). JAX reports every backend
compilation to `jax.monitoring` listeners; this counts them. Other backends report None:
TensorFlow without XLA and PyTorch run the step eagerly, whatever the shape.

Example:

    with CompilationCounter() as counter:
        model.fit(...)
    counter.count  # train and validation steps, per batch shape 8
"""

import keras

_JAX_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"


class CompilationCounter:
    """Counts the XLA compilations made inside its `with` block on JAX; `count` is None elsewhere."""

    def __init__(self):
        self.count = 0 if keras.backend.backend() == "jax" else None

    def _listen(self, event, duration_secs, **kwargs):
        if event == _JAX_COMPILE_EVENT:
            self.count += 1

    def __enter__(self):
        if self.count is not None:
            import jax

            jax.monitoring.register_event_duration_secs_listener(self._listen)
        return self

    def __exit__(self, *exc_info):
        if self.count is not None:
            import jax

            jax.monitoring.unregister_event_duration_listener(self._listen)
        return False
