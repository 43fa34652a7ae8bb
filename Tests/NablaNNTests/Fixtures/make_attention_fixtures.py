"""Writes attention.safetensors, the PyTorch reference of AttentionFixtureTests.swift.

How to run it (from this directory; torch and safetensors live in a venv outside the repository):

    python3 -m venv /tmp/torchenv
    /tmp/torchenv/bin/pip install torch safetensors
    /tmp/torchenv/bin/python make_attention_fixtures.py

The committed attention.safetensors was written with torch 2.15.0+cu132 (run on the CPU),
safetensors 0.8.0 and Python 3; the versions are also stored in the file's metadata.

Every case builds a real torch.nn module (nn.MultiheadAttention, nn.TransformerEncoderLayer,
nn.TransformerEncoder, nn.TransformerDecoderLayer, nn.Transformer) after torch.manual_seed, with
PyTorch's own initialization, except that biases and layer-norm scales, which PyTorch starts at 0
and 1, are redrawn at random so that a misplaced bias cannot hide. Parameters and inputs are drawn
in float32 and only then widened, so their values are exact in both of Nabla's float types; the
module then runs in float64 and in eval mode (dropout off, although the modules are made with
dropout > 0). PyTorch's fused "fast path" kernels are switched off, so the reference is the
documented composite computation. For each case the file holds

    <case>.<name>   the module's state_dict() (in_proj_weight, out_proj.bias,
                    self_attn.in_proj_weight, linear1.weight, norm2.bias, layers.1...), exactly
                    the tensors a user would save from PyTorch;
    <case>:<item>   the inputs in the layout the module is fed, the masks, and the outputs
                    (output, and for MultiheadAttention the attention weights).

Boolean masks (True = masked out, PyTorch's MultiheadAttention convention) are stored as int64
0/1, as Nabla has no bool dtype; float masks are stored as they are (0, finite values, -inf).
"""

import platform
import warnings

import safetensors
import torch
from safetensors.torch import save_file
from torch import nn

torch.manual_seed(20240607)
# nn.Transformer with norm_first layers says it cannot use nested tensors; the fixture does not
# want them anyway.
warnings.filterwarnings("ignore", message="enable_nested_tensor is True")
if hasattr(torch.backends, "mha"):
    torch.backends.mha.set_fastpath_enabled(False)
tensors = {}
descriptions = {}


def uniform(*shape, bound=1.0):
    """Uniform values in ±bound drawn in float32 (exact in float32), returned as float64."""
    return ((torch.rand(*shape, dtype=torch.float32) * 2 - 1) * bound).double()


def make(case, module):
    """Redraws biases and norm scales, widens to float64, sets eval mode and stores the state."""
    with torch.no_grad():
        for name, parameter in module.named_parameters():
            leaf = name.rsplit(".", 1)[-1]
            is_norm = ".norm" in "." + name or name.startswith("norm")
            if is_norm and leaf == "weight":
                parameter.copy_(1 + (torch.rand_like(parameter) * 2 - 1) * 0.3)
            elif leaf.endswith("bias"):
                parameter.copy_((torch.rand_like(parameter) * 2 - 1) * 0.2)
    module = module.double().eval()
    for name, value in module.state_dict().items():
        tensors[f"{case}.{name}"] = value.detach().clone().contiguous()
    descriptions[case] = repr(module)
    return module


def store(case, **items):
    for name, value in items.items():
        if value.dtype == torch.bool:
            value = value.to(torch.int64)
        tensors[f"{case}:{name}"] = value.detach().clone().contiguous()


def causal(size):
    """PyTorch's float causal mask: 0 on and below the diagonal, -inf above."""
    return nn.Transformer.generate_square_subsequent_mask(size, dtype=torch.float64)


# 1. Self-attention, time first [L=5, N=2, E=8], 2 heads: a boolean causal mask [L, S] and a
#    boolean key padding mask (batch element 1 ignores its last key); averaged weights.
attention = make("mha_self", nn.MultiheadAttention(8, 2, dropout=0.2))
x = uniform(5, 2, 8)
mask = torch.ones(5, 5, dtype=torch.bool).triu(1)
padding = torch.zeros(2, 5, dtype=torch.bool)
padding[1, 4] = True
output, weights = attention(x, x, x, key_padding_mask=padding, attn_mask=mask)
store("mha_self", input=x, attn_mask=mask, key_padding_mask=padding, output=output,
      weights=weights)

# 2. Attention between two sequences of the model size, batch first (query [2, 4, 12], key and
#    value [2, 6, 12]), 3 heads: a float [L, S] mask of finite biases with some -inf, a float key
#    padding mask; per-head weights.
attention = make("mha_additive", nn.MultiheadAttention(12, 3, batch_first=True))
q, k, v = uniform(2, 4, 12), uniform(2, 6, 12), uniform(2, 6, 12)
mask = uniform(4, 6)
mask[0, 3:] = float("-inf")
padding = torch.zeros(2, 6, dtype=torch.float64)
padding[0, 5] = float("-inf")
output, weights = attention(
    q, k, v, key_padding_mask=padding, attn_mask=mask, average_attn_weights=False)
store("mha_additive", query=q, key=k, value=v, attn_mask=mask, key_padding_mask=padding,
      output=output, weights=weights)

# 3. Cross-attention with other key and value sizes (kdim 6, vdim 4, so separate q/k/v
#    projection weights), batch first, 2 heads, a boolean [N * h, L, S] mask; per-head weights.
attention = make("mha_cross", nn.MultiheadAttention(8, 2, kdim=6, vdim=4, batch_first=True))
q, k, v = uniform(2, 3, 8), uniform(2, 5, 6), uniform(2, 5, 4)
mask = torch.rand(4, 3, 5) < 0.3
mask[:, :, 0] = False  # every query keeps at least one key
output, weights = attention(q, k, v, attn_mask=mask, average_attn_weights=False)
store("mha_cross", query=q, key=k, value=v, attn_mask=mask, output=output, weights=weights)

# 4. One unbatched sequence [L=4, E=6], 3 heads: a boolean per-head mask [h, L, S] and a boolean
#    key padding mask [S]; averaged weights [L, S].
attention = make("mha_unbatched", nn.MultiheadAttention(6, 3))
x = uniform(4, 6)
mask = torch.rand(3, 4, 4) < 0.3
mask[:, :, 1] = False
padding = torch.tensor([False, False, False, True])
output, weights = attention(x, x, x, key_padding_mask=padding, attn_mask=mask)
store("mha_unbatched", input=x, attn_mask=mask, key_padding_mask=padding, output=output,
      weights=weights)

# 5. No biases, time first [L=3, N=2, E=4], 2 heads, no masks; averaged weights.
attention = make("mha_nobias", nn.MultiheadAttention(4, 2, bias=False))
x = uniform(3, 2, 4)
output, weights = attention(x, x, x)
store("mha_nobias", input=x, output=output, weights=weights)

# 6. Encoder layer, post-norm, ReLU, time first [L=6, N=2, d=8], 2 heads, feed-forward 16,
#    boolean key padding mask.
layer = make("enc_post", nn.TransformerEncoderLayer(8, 2, dim_feedforward=16))
x = uniform(6, 2, 8)
padding = torch.zeros(2, 6, dtype=torch.bool)
padding[0, 4:] = True
store("enc_post", input=x, key_padding_mask=padding,
      output=layer(x, src_key_padding_mask=padding))

# 7. Encoder layer, pre-norm, GELU, batch first [N=2, L=4, d=8], 4 heads, feed-forward 12, the
#    float causal mask.
layer = make(
    "enc_pre_gelu",
    nn.TransformerEncoderLayer(
        8, 4, dim_feedforward=12, activation="gelu", batch_first=True, norm_first=True))
x = uniform(2, 4, 8)
store("enc_pre_gelu", input=x, mask=causal(4), output=layer(x, src_mask=causal(4)))

# 8. Encoder layer, post-norm, GELU, batch first [N=3, L=5, d=6], 3 heads, feed-forward 10,
#    layer-norm epsilon 1e-3, a boolean per-batch-and-head mask [N * h, L, L].
layer = make(
    "enc_post_gelu",
    nn.TransformerEncoderLayer(
        6, 3, dim_feedforward=10, activation="gelu", layer_norm_eps=1e-3, batch_first=True))
x = uniform(3, 5, 6)
mask = torch.rand(9, 5, 5) < 0.3
mask[:, :, 2] = False
store("enc_post_gelu", input=x, mask=mask, output=layer(x, src_mask=mask))

# 9. Encoder layer without biases (linear layers, attention and layer norms), pre-norm, ReLU,
#    time first [L=4, N=2, d=8], 2 heads, feed-forward 16, no masks.
layer = make("enc_nobias", nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, norm_first=True,
                                                      bias=False))
x = uniform(4, 2, 8)
store("enc_nobias", input=x, output=layer(x))

# 10. Encoder layer over one unbatched sequence [L=4, d=6], pre-norm, ReLU, 2 heads,
#     feed-forward 8, a boolean [L, L] mask and a boolean key padding mask [L].
layer = make("enc_unbatched", nn.TransformerEncoderLayer(6, 2, dim_feedforward=8, norm_first=True))
x = uniform(4, 6)
mask = torch.tensor([[False, True, False, False], [False, False, False, True],
                     [True, False, False, False], [False, False, True, False]])
padding = torch.tensor([False, False, True, False])
store("enc_unbatched", input=x, mask=mask, key_padding_mask=padding,
      output=layer(x, src_mask=mask, src_key_padding_mask=padding))

# 11. Encoder stack: two post-norm ReLU layers and a final layer norm, batch first
#     [N=2, L=5, d=8], 2 heads, feed-forward 16, boolean key padding mask. Each layer's biases
#     are drawn separately, so the two layers differ.
encoder = make(
    "encoder",
    nn.TransformerEncoder(
        nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True), num_layers=2,
        norm=nn.LayerNorm(8), enable_nested_tensor=False))
x = uniform(2, 5, 8)
padding = torch.zeros(2, 5, dtype=torch.bool)
padding[1, 3:] = True
store("encoder", input=x, key_padding_mask=padding,
      output=encoder(x, src_key_padding_mask=padding))

# 12. Decoder layer, post-norm, ReLU, batch first: target [2, 4, 8], memory [2, 5, 8], 2 heads,
#     feed-forward 16, float causal target mask, boolean memory key padding mask.
layer = make("dec_post", nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, batch_first=True))
t, m = uniform(2, 4, 8), uniform(2, 5, 8)
padding = torch.zeros(2, 5, dtype=torch.bool)
padding[1, 3:] = True
store("dec_post", target=t, memory=m, target_mask=causal(4), memory_key_padding_mask=padding,
      output=layer(t, m, tgt_mask=causal(4), memory_key_padding_mask=padding))

# 13. Decoder layer, pre-norm, GELU, time first: target [3, 2, 8], memory [4, 2, 8], 4 heads,
#     feed-forward 12, boolean target key padding mask and boolean memory mask [T, S].
layer = make(
    "dec_pre_gelu",
    nn.TransformerDecoderLayer(8, 4, dim_feedforward=12, activation="gelu", norm_first=True))
t, m = uniform(3, 2, 8), uniform(4, 2, 8)
target_padding = torch.tensor([[False, False, False], [False, False, True]])
memory_mask = torch.tensor([[False, True, False, False], [False, False, True, True],
                            [True, False, False, False]])
store("dec_pre_gelu", target=t, memory=m, target_key_padding_mask=target_padding,
      memory_mask=memory_mask,
      output=layer(t, m, memory_mask=memory_mask, tgt_key_padding_mask=target_padding))

# 14. The whole encoder-decoder: nn.Transformer with d_model 8, 2 heads, 2 encoder and 2 decoder
#     layers, feed-forward 16, GELU, pre-norm, layer-norm epsilon 1e-3 (also in the final norms),
#     batch first; source [2, 5, 8] with key padding, target [2, 4, 8] with the causal mask,
#     memory key padding as the source's.
model = make(
    "transformer",
    nn.Transformer(8, 2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16,
                   activation="gelu", layer_norm_eps=1e-3, batch_first=True, norm_first=True))
s, t = uniform(2, 5, 8), uniform(2, 4, 8)
padding = torch.zeros(2, 5, dtype=torch.bool)
padding[0, 4] = True
store("transformer", source=s, target=t, source_key_padding_mask=padding, target_mask=causal(4),
      output=model(s, t, tgt_mask=causal(4), src_key_padding_mask=padding,
                   memory_key_padding_mask=padding))

# 15. add_bias_kv: one learned key and value (bias_k, bias_v) appended to every sequence, time
#     first [L=5, N=2, E=8], 2 heads, a boolean causal mask and a boolean key padding mask (both
#     padded by PyTorch with a visible column); averaged weights [N, L, S + 1].
attention = make("mha_bias_kv", nn.MultiheadAttention(8, 2, add_bias_kv=True))
x = uniform(5, 2, 8)
mask = torch.ones(5, 5, dtype=torch.bool).triu(1)
padding = torch.zeros(2, 5, dtype=torch.bool)
padding[0, 3:] = True
output, weights = attention(x, x, x, key_padding_mask=padding, attn_mask=mask)
store("mha_bias_kv", input=x, attn_mask=mask, key_padding_mask=padding, output=output,
      weights=weights)

# 16. add_zero_attn: a key and value of zeros appended after the heads are split, batch first,
#     query [2, 3, 6] to key and value [2, 4, 6], 3 heads, a float [N * h, L, S] mask; per-head
#     weights [N, h, L, S + 1].
attention = make("mha_zero_attn", nn.MultiheadAttention(6, 3, add_zero_attn=True,
                                                         batch_first=True))
q, k, v = uniform(2, 3, 6), uniform(2, 4, 6), uniform(2, 4, 6)
mask = uniform(6, 3, 4)
output, weights = attention(q, k, v, attn_mask=mask, average_attn_weights=False)
store("mha_zero_attn", query=q, key=k, value=v, attn_mask=mask, output=output, weights=weights)

# 17. Both, with other key and value sizes (kdim 5, vdim 3), one unbatched sequence pair, query
#     [3, 4] to key [4, 5] and value [4, 3], 2 heads, a boolean key padding mask [S]; averaged
#     weights [L, S + 2].
attention = make("mha_bias_zero", nn.MultiheadAttention(4, 2, kdim=5, vdim=3, add_bias_kv=True,
                                                        add_zero_attn=True))
q, k, v = uniform(3, 4), uniform(4, 5), uniform(4, 3)
padding = torch.tensor([False, True, False, False])
output, weights = attention(q, k, v, key_padding_mask=padding)
store("mha_bias_zero", query=q, key=k, value=v, key_padding_mask=padding, output=output,
      weights=weights)

metadata = {
    "source": "make_attention_fixtures.py",
    "torch": torch.__version__,
    "safetensors": safetensors.__version__,
    "python": platform.python_version(),
}
metadata.update({f"module.{case}": text for case, text in descriptions.items()})
save_file(tensors, "attention.safetensors", metadata=metadata)
print(f"wrote {len(tensors)} tensors for {len(descriptions)} cases to attention.safetensors "
      f"with torch {torch.__version__}")
