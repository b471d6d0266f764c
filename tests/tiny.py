"""The tiny HALI configuration shared by fast tests (random text tower with MiniLM's vocabulary size)."""

TINY_HALI = {
    "projection_dim": 32,
    "pose_config": {
        "part_hidden_size": 16,
        "hidden_size": 32,
        "num_temporal_layers": 1,
        "num_graph_layers": 1,
    },
    "text_config": {
        "vocab_size": 30522,
        "hidden_size": 32,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 64,
    },
}
