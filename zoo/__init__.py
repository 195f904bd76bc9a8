"""keras-zoo: Keras 3 NLP models that run the same code on TensorFlow, JAX and PyTorch."""

__version__ = "0.1.0"
