#!/usr/bin/env python3
"""Export the default model's GGUF (F16/F32 llama weights, as tools/model/build_model.py writes them) to a
Hugging Face transformers LlamaForCausalLM folder (config.json + model.safetensors), so that the GPU benchmark can
compare the GPU worker with `transformers` `generate` on the very same weights.

    python3 tools/gpu/gguf_to_hf.py models/tiny-kjv-chat/tiny-kjv-chat.gguf /tmp/tiny-kjv-chat-hf
    python3 tools/gpu/gguf_to_hf.py --check models/tiny-kjv-chat/tiny-kjv-chat.gguf   # reader only, numpy only

The reader needs numpy only; writing the folder needs torch and transformers (both on the GPU machine's image).

RoPE: build_model.py trains with Meta-style interleaved RoPE (pairs x[2i], x[2i+1]; llama.cpp's LLAMA_ROPE_TYPE_NORM)
and writes q/k unpermuted, as Meta's checkpoints are. transformers' Llama rotates halves, so q and k get the same
permutation that transformers' own convert_llama_weights_to_hf.py applies to Meta checkpoints.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

GGML_F32, GGML_F16 = 0, 1
SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


class Reader:
    def __init__(self, data):
        self.data, self.at = data, 0

    def take(self, fmt):
        value = struct.unpack_from(fmt, self.data, self.at)[0]
        self.at += struct.calcsize(fmt)
        return value

    def string(self):
        n = self.take("<Q")
        s = bytes(self.data[self.at:self.at + n]).decode("utf-8")
        self.at += n
        return s

    def value(self, kind):
        if kind == 8:
            return self.string()
        if kind == 9:
            item, count = self.take("<I"), self.take("<Q")
            return [self.value(item) for _ in range(count)]
        return self.take(SCALAR[kind])


def read_gguf(path):
    """Returns (metadata dict, {tensor name: float32 numpy array in PyTorch (row-major) shape})."""
    with open(path, "rb") as f:
        data = memoryview(f.read())
    r = Reader(data)
    if bytes(data[:4]) != b"GGUF":
        sys.exit(f"{path} is not a GGUF file")
    r.at = 4
    version, n_tensors, n_kv = r.take("<I"), r.take("<Q"), r.take("<Q")
    if version < 2:
        sys.exit(f"GGUF version {version} is not supported")
    meta = {}
    for _ in range(n_kv):
        key = r.string()
        meta[key] = r.value(r.take("<I"))
    infos = []
    for _ in range(n_tensors):
        name = r.string()
        dims = [r.take("<Q") for _ in range(r.take("<I"))]
        kind, offset = r.take("<I"), r.take("<Q")
        infos.append((name, dims, kind, offset))
    align = meta.get("general.alignment", 32)
    base = (r.at + align - 1) // align * align
    tensors = {}
    for name, dims, kind, offset in infos:
        count = int(np.prod(dims))
        if kind not in (GGML_F32, GGML_F16):
            sys.exit(f"tensor {name} has ggml type {kind}; only F32 and F16 are supported")
        dtype = np.float32 if kind == GGML_F32 else np.float16
        array = np.frombuffer(data, dtype=dtype, count=count, offset=base + offset)
        # ggml's ne[0] is the fastest-varying dimension: reversed, it is the row-major shape
        tensors[name] = array.reshape(list(reversed(dims))).astype(np.float32)
    return meta, tensors


def meta_to_hf_interleave(w, n_heads):
    """Meta interleaved-RoPE rows to transformers' rotate-half order (convert_llama_weights_to_hf.permute)."""
    dim1, dim2 = w.shape
    return w.reshape(n_heads, dim1 // n_heads // 2, 2, dim2).transpose(0, 2, 1, 3).reshape(dim1, dim2)


def hf_state(meta, tensors):
    heads = meta["llama.attention.head_count"]
    heads_kv = meta.get("llama.attention.head_count_kv", heads)
    state = {"model.embed_tokens.weight": tensors["token_embd.weight"],
             "model.norm.weight": tensors["output_norm.weight"],
             "lm_head.weight": tensors.get("output.weight", tensors["token_embd.weight"])}
    for i in range(meta["llama.block_count"]):
        g, p = f"blk.{i}.", f"model.layers.{i}."
        state[p + "input_layernorm.weight"] = tensors[g + "attn_norm.weight"]
        state[p + "self_attn.q_proj.weight"] = meta_to_hf_interleave(tensors[g + "attn_q.weight"], heads)
        state[p + "self_attn.k_proj.weight"] = meta_to_hf_interleave(tensors[g + "attn_k.weight"], heads_kv)
        state[p + "self_attn.v_proj.weight"] = tensors[g + "attn_v.weight"]
        state[p + "self_attn.o_proj.weight"] = tensors[g + "attn_output.weight"]
        state[p + "post_attention_layernorm.weight"] = tensors[g + "ffn_norm.weight"]
        state[p + "mlp.gate_proj.weight"] = tensors[g + "ffn_gate.weight"]
        state[p + "mlp.up_proj.weight"] = tensors[g + "ffn_up.weight"]
        state[p + "mlp.down_proj.weight"] = tensors[g + "ffn_down.weight"]
    return state


def hf_config(meta, tensors):
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": int(tensors["token_embd.weight"].shape[0]),
        "hidden_size": meta["llama.embedding_length"],
        "intermediate_size": meta["llama.feed_forward_length"],
        "num_hidden_layers": meta["llama.block_count"],
        "num_attention_heads": meta["llama.attention.head_count"],
        "num_key_value_heads": meta.get("llama.attention.head_count_kv", meta["llama.attention.head_count"]),
        "max_position_embeddings": meta["llama.context_length"],
        "rms_norm_eps": meta["llama.attention.layer_norm_rms_epsilon"],
        "rope_theta": meta.get("llama.rope.freq_base", 10000.0),
        "hidden_act": "silu",
        "tie_word_embeddings": "output.weight" not in tensors,
        "bos_token_id": meta.get("tokenizer.ggml.bos_token_id", 1),
        "eos_token_id": meta.get("tokenizer.ggml.eos_token_id", 2),
        "pad_token_id": meta.get("tokenizer.ggml.padding_token_id", 0),
        "torch_dtype": "float32",
    }


def numpy_greedy(meta, state, config, prompt, n):
    """Greedy decoding with transformers' Llama arithmetic (rotate-half RoPE) in numpy, on the exported tensors:
    checks the export without torch. Returns the generated token ids."""
    heads, d = config["num_attention_heads"], config["hidden_size"]
    hd, eps, theta = d // heads, config["rms_norm_eps"], config["rope_theta"]

    def norm(x, w):
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w

    def rope(x, pos):  # x: (T, H, hd); rotate halves as transformers does
        inv = theta ** (-np.arange(0, hd, 2, dtype=np.float64) / hd)
        ang = np.concatenate([pos[:, None] * inv[None, :]] * 2, axis=-1)[:, None, :]
        half = np.concatenate([-x[..., hd // 2:], x[..., :hd // 2]], axis=-1)
        return (x * np.cos(ang) + half * np.sin(ang)).astype(np.float32)

    ids = list(prompt)
    out = []
    for _ in range(n):
        T = len(ids)
        x = state["model.embed_tokens.weight"][ids]
        pos = np.arange(T, dtype=np.float64)
        mask = np.triu(np.full((T, T), -np.inf, dtype=np.float32), 1)
        for i in range(config["num_hidden_layers"]):
            p = f"model.layers.{i}."
            h = norm(x, state[p + "input_layernorm.weight"])
            q = rope((h @ state[p + "self_attn.q_proj.weight"].T).reshape(T, heads, hd), pos)
            k = rope((h @ state[p + "self_attn.k_proj.weight"].T).reshape(T, heads, hd), pos)
            v = (h @ state[p + "self_attn.v_proj.weight"].T).reshape(T, heads, hd)
            att = np.einsum("thd,shd->hts", q, k) / np.sqrt(hd) + mask
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            y = np.einsum("hts,shd->thd", att, v).reshape(T, d)
            x = x + y @ state[p + "self_attn.o_proj.weight"].T
            h = norm(x, state[p + "post_attention_layernorm.weight"])
            g = h @ state[p + "mlp.gate_proj.weight"].T
            x = x + ((g / (1 + np.exp(-g))) * (h @ state[p + "mlp.up_proj.weight"].T)) @ state[p + "mlp.down_proj.weight"].T
        logits = norm(x[-1], state["model.norm.weight"]) @ state["lm_head.weight"].T
        token = int(np.argmax(logits))
        out.append(token)
        ids.append(token)
        if token == config["eos_token_id"]:
            break
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("gguf")
    parser.add_argument("out", nargs="?")
    parser.add_argument("--check", action="store_true", help="read and map the tensors only (numpy), write nothing")
    parser.add_argument("--greedy", metavar="IDS", help="comma-separated prompt token ids: print 16 greedy tokens "
                                                       "computed in numpy with transformers' arithmetic")
    args = parser.parse_args()
    meta, tensors = read_gguf(args.gguf)
    state, config = hf_state(meta, tensors), hf_config(meta, tensors)
    print(f"{len(tensors)} GGUF tensors -> {len(state)} transformers tensors; config {json.dumps(config)}")
    if args.greedy:
        prompt = [int(t) for t in args.greedy.split(",")]
        generated = numpy_greedy(meta, state, config, prompt, 16)
        pieces = meta.get("tokenizer.ggml.tokens", [])
        print("greedy ids:", ",".join(map(str, generated)))
        print("greedy text:", repr("".join(pieces[t] for t in generated).replace("\u2581", " ")))
    if args.check or args.greedy:
        return
    if not args.out:
        sys.exit("give an output folder (or --check)")
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM
    model = LlamaForCausalLM(LlamaConfig(**config))
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()},
                                                strict=False)
    # rotary inverse frequencies are buffers, not weights; anything else missing is an export error
    missing = [k for k in missing if "rotary_emb" not in k]
    if missing or unexpected:
        sys.exit(f"export mismatch: missing {missing}, unexpected {unexpected}")
    os.makedirs(args.out, exist_ok=True)
    model.save_pretrained(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
