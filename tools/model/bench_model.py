"""Writes a benchmark model: a llama of about 214M parameters with seeded random weights and the default model's
tokenizer and chat template, as F16 and Q8_0 GGUF files.

Random weights cost per decode step exactly what trained ones do, so speed figures on this model mean what they
would on a real one of its size; its text is noise. It is written at benchmark time into a git-ignored folder and
never committed (tools/bench/bench-model.sh).

    python3 tools/model/bench_model.py <default-model.gguf> <out-dir> [--seed 42]
"""
import argparse
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_writer import (GGUFWriter, GGML_F16, GGML_F32, T_ARRAY, T_BOOL, T_FLOAT32, T_FLOAT64,  # noqa: E402
                         T_INT8, T_INT16, T_INT32, T_INT64, T_STRING, T_UINT8, T_UINT16, T_UINT32, T_UINT64)

# about 214M parameters: 16 blocks of 4·1024² attention and 3·1024·2816 feed-forward weights
SHAPE = {"n_embd": 1024, "n_layer": 16, "n_ff": 2816, "n_head": 16, "n_ctx": 2048}
_SCALAR = {T_UINT8: "<B", T_INT8: "<b", T_UINT16: "<H", T_INT16: "<h", T_UINT32: "<I", T_INT32: "<i",
           T_FLOAT32: "<f", T_BOOL: "<?", T_UINT64: "<Q", T_INT64: "<q", T_FLOAT64: "<d"}


def read_metadata(path):
    """The key/value section of a GGUF v3 file: {key: (type, value, element type)}."""
    with open(path, "rb") as f:
        def read(fmt):
            return struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]

        def string():
            return f.read(read("<Q")).decode("utf-8")

        def value(vtype):
            return string() if vtype == T_STRING else read(_SCALAR[vtype])

        if f.read(4) != b"GGUF" or read("<I") != 3:
            raise ValueError(f"{path} is not a GGUF v3 file")
        read("<Q")  # tensor count
        kv = {}
        for _ in range(read("<Q")):
            key = string()
            vtype = read("<I")
            if vtype == T_ARRAY:
                elem = read("<I")
                kv[key] = (vtype, [value(elem) for _ in range(read("<Q"))], elem)
            else:
                kv[key] = (vtype, value(vtype), None)
        return kv


def write(kv, out, seed, quantized):
    vocab = len(kv["tokenizer.ggml.tokens"][1])
    e, ff, layers, heads = SHAPE["n_embd"], SHAPE["n_ff"], SHAPE["n_layer"], SHAPE["n_head"]
    rng = np.random.default_rng(seed)
    w = GGUFWriter()
    w.add_string("general.architecture", "llama")
    w.add_string("general.name", "bench-214m-random" + ("-q8_0" if quantized else "-f16"))
    w.add_string("general.description", "Seeded random weights for speed measurements only (tools/model/bench_model.py)")
    w.add_u32("general.file_type", 7 if quantized else 1)  # LLAMA_FTYPE_MOSTLY_Q8_0 / MOSTLY_F16
    w.add_u32("general.quantization_version", 2)
    w.add_u32("llama.context_length", SHAPE["n_ctx"])
    w.add_u32("llama.embedding_length", e)
    w.add_u32("llama.block_count", layers)
    w.add_u32("llama.feed_forward_length", ff)
    w.add_u32("llama.attention.head_count", heads)
    w.add_u32("llama.attention.head_count_kv", heads)
    w.add_u32("llama.rope.dimension_count", e // heads)
    w.add_f32("llama.rope.freq_base", 10000.0)
    w.add_f32("llama.attention.layer_norm_rms_epsilon", 1e-5)
    w.add_u32("llama.vocab_size", vocab)
    for key, (vtype, value, elem) in kv.items():
        if key.startswith("tokenizer."):
            if vtype == T_ARRAY:
                w.add_array(key, elem, value)
            else:
                w.add(key, vtype, value)

    def weight(name, rows, cols):
        m = rng.standard_normal((rows, cols), dtype=np.float32) * 0.02
        if quantized:
            w.add_tensor_q8_0(name, m)
        else:
            w.add_tensor(name, m, GGML_F16)

    weight("token_embd.weight", vocab, e)
    for i in range(layers):
        p = f"blk.{i}."
        w.add_tensor(p + "attn_norm.weight", np.ones(e, dtype=np.float32), GGML_F32)
        for t in ("attn_q", "attn_k", "attn_v", "attn_output"):
            weight(p + t + ".weight", e, e)
        w.add_tensor(p + "ffn_norm.weight", np.ones(e, dtype=np.float32), GGML_F32)
        weight(p + "ffn_gate.weight", ff, e)
        weight(p + "ffn_up.weight", ff, e)
        weight(p + "ffn_down.weight", e, ff)
    w.add_tensor("output_norm.weight", np.ones(e, dtype=np.float32), GGML_F32)
    weight("output.weight", vocab, e)
    w.write(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("default_model")
    parser.add_argument("out_dir")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    kv = read_metadata(args.default_model)
    os.makedirs(args.out_dir, exist_ok=True)
    for quantized, name in ((False, "bench-214m-f16.gguf"), (True, "bench-214m-q8_0.gguf")):
        path = os.path.join(args.out_dir, name)
        write(kv, path + ".partial", args.seed, quantized)
        os.replace(path + ".partial", path)
        print(f"wrote {path} ({os.path.getsize(path) / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
