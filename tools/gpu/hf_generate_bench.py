#!/usr/bin/env python3
"""Decode throughput of Hugging Face transformers `generate` on the GPU, the reference for the GPU worker.

    python3 tools/gpu/gguf_to_hf.py models/tiny-kjv-chat/tiny-kjv-chat.gguf /tmp/tiny-kjv-chat-hf
    python3 tools/gpu/hf_generate_bench.py /tmp/tiny-kjv-chat-hf [tokens-per-sequence] [repeats] [prompt-ids]

Same conditions as the worker's DecodeBench: greedy, the same prompt token ids (default: "And God said" in the
default model's vocabulary), batch 1 and 8 (the same prompt in every row, so no padding), stop at the model's
end-of-sequence token, best of `repeats` after a warm-up; generated tokens of all rows per second of wall time.
"""
import sys
import time

import torch
from transformers import AutoModelForCausalLM


def run(model, prompt, batch, tokens):
    ids = torch.tensor([prompt] * batch, device="cuda")
    torch.cuda.synchronize()
    started = time.perf_counter()
    with torch.no_grad():
        out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=tokens, do_sample=False,
                             eos_token_id=model.config.eos_token_id, pad_token_id=model.config.pad_token_id)
    torch.cuda.synchronize()
    seconds = time.perf_counter() - started
    new = out[:, len(prompt):]
    eos = model.config.eos_token_id
    # tokens up to and including the first end-of-sequence token of each row (the worker counts that one too)
    generated = 0
    for row in new.tolist():
        generated += (row.index(eos) + 1) if eos in row else len(row)
    return generated, seconds


def main():
    folder = sys.argv[1]
    tokens = int(sys.argv[2]) if len(sys.argv) > 2 else 128
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    prompt = [int(t) for t in (sys.argv[4] if len(sys.argv) > 4 else "309,407,409").split(",")]
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float16).to("cuda").eval()
    print(f"device={torch.cuda.get_device_name()} torch={torch.__version__}")
    for batch in (1, 8):
        run(model, prompt, batch, 16)  # warm-up
        best, generated = 0.0, 0
        for _ in range(repeats):
            generated, seconds = run(model, prompt, batch, tokens)
            best = max(best, generated / seconds)
        print(f"batch={batch} prompt_tokens={len(prompt)} generated_tokens={generated} decode_tokens_per_second={best:.1f}")


if __name__ == "__main__":
    main()
