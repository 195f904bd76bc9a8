"""Named sizes of the GRU fixture family."""

PRESETS = {
    "tiny": {"embedding_dim": 16, "hidden_dim": 16},
    "small": {"embedding_dim": 64, "hidden_dim": 128},
    "base": {"embedding_dim": 128, "hidden_dim": 256},
}
