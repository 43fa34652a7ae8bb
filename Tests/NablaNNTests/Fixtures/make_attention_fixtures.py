"""Writes attention.safetensors, the reference the Nabla attention tests compare against.

torch cannot be installed where this was written, so the reference is NOT PyTorch itself: it is
a NumPy implementation of the equations PyTorch documents and implements for
torch.nn.MultiheadAttention (F.multi_head_attention_forward, need_weights path),
torch.nn.TransformerEncoderLayer and torch.nn.TransformerDecoderLayer, in eval mode (no dropout).
The weights are stored under PyTorch's state-dict names, prefixed by the case name
("<case>.in_proj_weight", "<case>.out_proj.bias", "<case>.self_attn.in_proj_weight", ...), so that
they load into both torch modules and Nabla's; inputs and outputs are stored as "<case>:<name>".
Inputs and outputs are float64 (the inputs hold float32 values); boolean masks are stored as 0/1 in PyTorch's MultiheadAttention convention (1 = masked
out), as Nabla has no bool dtype.

Run from this directory with numpy and safetensors installed:

    python3 -m venv /tmp/stenv && /tmp/stenv/bin/pip install safetensors numpy
    /tmp/stenv/bin/python make_attention_fixtures.py
"""

import math

import numpy as np
from safetensors.numpy import save_file

rng = np.random.default_rng(20240607)
tensors = {}


def f32(a):
    return np.asarray(a, dtype=np.float32)


def uniform(*shape, bound=0.5):
    return f32(rng.uniform(-bound, bound, size=shape))


def linear(x, w, b):
    return x @ w.T + (b if b is not None else 0.0)


def softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


def layer_norm(x, w, b, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)  # biased, as PyTorch
    return (x - mean) / np.sqrt(var + eps) * w + b


erf = np.vectorize(math.erf)


def gelu(x):
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def relu(x):
    return np.maximum(x, 0.0)


def mha_state(prefix, e, kdim=None, vdim=None):
    """Random weights under PyTorch's MultiheadAttention names."""
    kdim, vdim = kdim or e, vdim or e
    state = {}
    if kdim == e and vdim == e:
        state["in_proj_weight"] = uniform(3 * e, e)
    else:
        state["q_proj_weight"] = uniform(e, e)
        state["k_proj_weight"] = uniform(e, kdim)
        state["v_proj_weight"] = uniform(e, vdim)
    state["in_proj_bias"] = uniform(3 * e, bound=0.2)
    state["out_proj.weight"] = uniform(e, e)
    state["out_proj.bias"] = uniform(e, bound=0.2)
    for name, value in state.items():
        tensors[f"{prefix}.{name}"] = value
    return {k: v.astype(np.float64) for k, v in state.items()}


def mha_forward(s, query, key, value, heads, batch_first, attn_mask=None, key_padding_mask=None,
                average=True):
    """F.multi_head_attention_forward: inputs [L, N, E] (or [N, L, E] when batch_first).

    attn_mask: float [L, S] (added) or bool [L, S] / [N*h, L, S] (True = masked out).
    key_padding_mask: bool [N, S] (True = masked out).
    """
    if batch_first:
        query, key, value = (x.transpose(1, 0, 2) for x in (query, key, value))
    L, N, E = query.shape
    S = key.shape[0]
    hd = E // heads
    if "in_proj_weight" in s:
        wq, wk, wv = np.split(s["in_proj_weight"], 3)
    else:
        wq, wk, wv = s["q_proj_weight"], s["k_proj_weight"], s["v_proj_weight"]
    bq, bk, bv = np.split(s["in_proj_bias"], 3)
    q, k, v = linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)
    # [L, N, E] -> [N*h, L, hd], as PyTorch's view/transpose.
    q = q.reshape(L, N * heads, hd).transpose(1, 0, 2)
    k = k.reshape(S, N * heads, hd).transpose(1, 0, 2)
    v = v.reshape(S, N * heads, hd).transpose(1, 0, 2)
    mask = np.zeros((N * heads, L, S))
    if attn_mask is not None:
        if attn_mask.dtype == bool:
            mask = mask + np.where(attn_mask, -np.inf, 0.0)
        else:
            mask = mask + attn_mask
    if key_padding_mask is not None:
        pad = np.where(key_padding_mask, -np.inf, 0.0)  # [N, S]
        mask = mask + np.repeat(pad, heads, axis=0)[:, None, :]
    q_scaled = q * math.sqrt(1.0 / hd)
    weights = softmax(mask + q_scaled @ k.transpose(0, 2, 1))  # [N*h, L, S]
    out = weights @ v  # [N*h, L, hd]
    out = out.transpose(1, 0, 2).reshape(L, N, E)
    out = linear(out, s["out_proj.weight"], s["out_proj.bias"])
    weights = weights.reshape(N, heads, L, S)
    if average:
        weights = weights.mean(axis=1)
    if batch_first:
        out = out.transpose(1, 0, 2)
    return out, weights


def sub(state, prefix):
    return {k[len(prefix) + 1:]: v for k, v in state.items() if k.startswith(prefix + ".")}


def layer_state(prefix, d, ff, decoder=False):
    state = {}
    for name in ["self_attn"] + (["multihead_attn"] if decoder else []):
        for k, v in mha_state(f"{prefix}.{name}", d).items():
            state[f"{name}.{k}"] = v
    parts = {
        "linear1.weight": uniform(ff, d), "linear1.bias": uniform(ff, bound=0.2),
        "linear2.weight": uniform(d, ff), "linear2.bias": uniform(d, bound=0.2),
    }
    for n in range(1, 4 if decoder else 3):
        parts[f"norm{n}.weight"] = f32(1.0 + rng.uniform(-0.3, 0.3, size=d))
        parts[f"norm{n}.bias"] = uniform(d, bound=0.2)
    for name, value in parts.items():
        tensors[f"{prefix}.{name}"] = value
        state[name] = value.astype(np.float64)
    return state


def encoder_layer(s, x, heads, batch_first, norm_first, activation, mask=None, padding=None):
    """TransformerEncoderLayer.forward in eval mode."""
    def sa(y):
        return mha_forward(sub(s, "self_attn"), y, y, y, heads, batch_first, mask, padding)[0]

    def ff(y):
        return linear(activation(linear(y, s["linear1.weight"], s["linear1.bias"])),
                      s["linear2.weight"], s["linear2.bias"])

    def norm(n, y):
        return layer_norm(y, s[f"norm{n}.weight"], s[f"norm{n}.bias"])

    if norm_first:
        x = x + sa(norm(1, x))
        return x + ff(norm(2, x))
    x = norm(1, x + sa(x))
    return norm(2, x + ff(x))


def decoder_layer(s, x, memory, heads, batch_first, norm_first, tgt_mask=None, memory_padding=None):
    """TransformerDecoderLayer.forward in eval mode with a ReLU feed-forward."""
    def sa(y):
        return mha_forward(sub(s, "self_attn"), y, y, y, heads, batch_first, tgt_mask)[0]

    def ca(y):
        return mha_forward(sub(s, "multihead_attn"), y, memory, memory, heads, batch_first,
                           None, memory_padding)[0]

    def ff(y):
        return linear(relu(linear(y, s["linear1.weight"], s["linear1.bias"])),
                      s["linear2.weight"], s["linear2.bias"])

    def norm(n, y):
        return layer_norm(y, s[f"norm{n}.weight"], s[f"norm{n}.bias"])

    if norm_first:
        x = x + sa(norm(1, x))
        x = x + ca(norm(2, x))
        return x + ff(norm(3, x))
    x = norm(1, x + sa(x))
    x = norm(2, x + ca(x))
    return norm(3, x + ff(x))


def store(case, **arrays):
    for name, value in arrays.items():
        # Contiguous: safetensors writes a transposed view's memory, not its logical order.
        tensors[f"{case}:{name}"] = np.ascontiguousarray(value, dtype=np.float64)


def causal_float(n):
    return np.triu(np.full((n, n), -np.inf), k=1)


# 1. Self-attention, sequence first [L=5, N=2, E=8], 2 heads, an additive causal mask and a key
#    padding mask (batch element 1 ignores its last key), averaged weights.
s = mha_state("mha_self", 8)
x = uniform(5, 2, 8, bound=1.0).astype(np.float64)
padding = np.zeros((2, 5), dtype=bool)
padding[1, 4] = True
out, w = mha_forward(s, x, x, x, 2, False, causal_float(5), padding)
store("mha_self", input=x, key_padding_mask=padding, output=out, weights=w)

# 2. Cross-attention, batch first, kdim 6 and vdim 4 (separate projections), 2 heads, a boolean
#    [N*h, L, S] mask (True = masked out), per-head weights.
s = mha_state("mha_cross", 8, kdim=6, vdim=4)
q = uniform(2, 3, 8, bound=1.0).astype(np.float64)
k = uniform(2, 5, 6, bound=1.0).astype(np.float64)
v = uniform(2, 5, 4, bound=1.0).astype(np.float64)
blocked = rng.uniform(size=(4, 3, 5)) < 0.3
blocked[:, :, 0] = False  # every query keeps at least one key
out, w = mha_forward(s, q, k, v, 2, True, blocked, None, average=False)
store("mha_cross", query=q, key=k, value=v, attn_mask=blocked, output=out, weights=w)

# 3. Encoder layer, post-norm, ReLU, sequence first [L=6, N=2, d=8], 2 heads, ff 16, key padding.
s = layer_state("enc_post", 8, 16)
x = uniform(6, 2, 8, bound=1.0).astype(np.float64)
padding = np.zeros((2, 6), dtype=bool)
padding[0, 5] = padding[0, 4] = True
store("enc_post", input=x, key_padding_mask=padding,
      output=encoder_layer(s, x, 2, False, False, relu, None, padding))

# 4. Encoder layer, pre-norm, GELU, batch first [N=2, L=4, d=8], 4 heads, ff 12, causal mask.
s = layer_state("enc_pre", 8, 12)
x = uniform(2, 4, 8, bound=1.0).astype(np.float64)
store("enc_pre", input=x, output=encoder_layer(s, x, 4, True, True, gelu, causal_float(4)))

# 5. Decoder layer, post-norm, ReLU, batch first: target [2, 4, 8], memory [2, 5, 8], causal
#    target mask, memory padding.
s = layer_state("dec_post", 8, 16, decoder=True)
t = uniform(2, 4, 8, bound=1.0).astype(np.float64)
m = uniform(2, 5, 8, bound=1.0).astype(np.float64)
padding = np.zeros((2, 5), dtype=bool)
padding[1, 3:] = True
store("dec_post", target=t, memory=m, memory_key_padding_mask=padding,
      output=decoder_layer(s, t, m, 2, True, False, causal_float(4), padding))

save_file(tensors, "attention.safetensors", metadata={"source": "make_attention_fixtures.py"})
print(f"wrote {len(tensors)} tensors to attention.safetensors")
