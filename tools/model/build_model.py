#!/usr/bin/python3
"""Build the tiny-kjv-chat default model: a small llama-architecture decoder
trained from scratch on the public-domain King James Bible (Debian package
bible-kjv-text), saved as GGUF v3 for llama.cpp.

Reproduce (see tools/model/README.md):
    apt-get install -y python3-torch python3-sentencepiece python3-numpy \
        bible-kjv bible-kjv-text libopenblas0-pthread
    /usr/bin/python3 tools/model/build_model.py

Everything is seeded; the training length is a fixed number of steps (not a
wall-clock budget) so that a rerun on the same machine type produces the same
bytes.
"""
import os

# Thread counts must be fixed before numpy / torch load their BLAS.  Two cores
# in total: OpenBLAS (matmuls) gets 2 threads, torch's own OpenMP pool
# (element-wise ops) gets 1 -- with 2+2 threads the spinning BLAS threads
# starve the OpenMP ones and a step is ~2.5x slower.  Fixed counts also keep
# the floating-point reduction order, and hence the output bytes, stable.
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "2"
os.environ["MKL_NUM_THREADS"] = "2"

import argparse
import hashlib
import json
import math
import random
import re
import subprocess
import sys
import time

import numpy as np
import sentencepiece as spm
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_writer import (GGUFWriter, GGML_F16, GGML_F32, T_FLOAT32, T_INT32,  # noqa: E402
                         T_STRING)

IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIALS = [IM_START, IM_END]
CHAT_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
LICENSE = ("CC0-1.0 (weights trained by this project from scratch on the "
           "public-domain King James Bible text, Debian package bible-kjv-text)")

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


# --------------------------------------------------------------------------
# corpus
# --------------------------------------------------------------------------
def read_kjv():
    """Return a list of (book, chapter, verse, text) for all 31102 verses.

    The text is stored compressed in /usr/lib/bible.data (bible-kjv-text);
    the `bible` program (bible-kjv) decompresses it."""
    out = subprocess.run(["bible", "-l0", "gen1:1-rev22:21"], check=True,
                         capture_output=True, text=True).stdout
    verses = []
    book = chap = None
    for line in out.split("\n"):
        if not line.strip():
            continue
        m = re.match(r"^\s+(\d+) (.*)$", line)
        if m:
            verses.append((book, chap, int(m.group(1)), m.group(2).strip()))
            continue
        m = re.match(r"^(\S.*) (\d+)$", line)
        if not m:
            raise ValueError("unexpected line: %r" % line)
        book, chap = m.group(1), int(m.group(2))
    if len(verses) != 31102:
        raise ValueError("expected 31102 verses, got %d" % len(verses))
    return verses


def chapters_of(verses):
    chs, cur, key = [], [], None
    for b, c, v, t in verses:
        if (b, c) != key:
            if cur:
                chs.append((key, cur))
            key, cur = (b, c), []
        cur.append(t)
    chs.append((key, cur))
    return chs


# Well-known passages that are repeated every epoch (as plain text and as
# "Recite" chat samples) so that the demo prompts ("In the beginning",
# "Recite Genesis 1:1", "Recite John 3:16", ...) come back verbatim.  The rest of
# the Bible is seen only about once, which a 7M-parameter model cannot memorise.
MEMORIZE = [("Genesis", 1, None), ("Psalms", 23, None), ("John", 1, (1, 14)),
            ("John", 3, (16, 17)), ("Matthew", 6, (9, 13)), ("1 Corinthians", 13, None)]


def chat(user, assistant):
    return (f"{IM_START}user\n{user}{IM_END}\n"
            f"{IM_START}assistant\n{assistant}{IM_END}\n")


def make_docs(verses, chapters, rng, chat_frac, mem_repeats):
    """One 'epoch' of documents: every chapter as plain text plus ChatML
    samples (recite-by-reference / continue-a-verse) for a random subset of
    verses, plus `mem_repeats` copies of the MEMORIZE passages. Shuffled with
    the seeded rng."""
    docs = []
    for b0, c0, rg in MEMORIZE:
        sel = [(b, c, v, t) for b, c, v, t in verses
               if b == b0 and c == c0 and (rg is None or rg[0] <= v <= rg[1])]
        assert sel, (b0, c0)
        for _ in range(mem_repeats):
            docs.append(f"{b0} {c0}\n" + "\n".join(t for _, _, _, t in sel) + "\n\n")
            for b, c, v, t in sel:
                docs.append(chat(f"Recite {b} {c}:{v}", t))
    for (b, c), texts in chapters:
        docs.append(f"{b} {c}\n" + "\n".join(texts) + "\n\n")
    for b, c, v, t in verses:
        if rng.random() >= chat_frac:
            continue
        words = t.split(" ")
        if len(words) >= 6 and rng.random() < 0.5:
            k = rng.randint(len(words) // 3, (2 * len(words)) // 3)
            docs.append(chat("Continue: " + " ".join(words[:k]), " ".join(words[k:])))
        else:
            docs.append(chat(f"Recite {b} {c}:{v}", t))
    rng.shuffle(docs)
    return docs


# --------------------------------------------------------------------------
# tokenizer
# --------------------------------------------------------------------------
def train_tokenizer(verses, workdir, vocab_size):
    inp = os.path.join(workdir, "tokenizer_input.txt")
    with open(inp, "w", encoding="utf-8") as f:
        for b, c, v, t in verses:
            f.write(t + "\n")
            # chat scaffolding words so they get compact pieces
            f.write(f"Recite {b} {c}:{v}\n")
        for _ in range(2000):
            f.write("user\nassistant\nContinue:\n")
    prefix = os.path.join(workdir, "tokenizer")
    spm.SentencePieceTrainer.train(
        input=inp, model_prefix=prefix, model_type="bpe", vocab_size=vocab_size,
        character_coverage=1.0, byte_fallback=True,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        control_symbols=SPECIALS,
        normalization_rule_name="identity", remove_extra_whitespaces=False,
        add_dummy_prefix=False, split_digits=True,
        input_sentence_size=0, shuffle_input_sentence=False,
        num_threads=1, minloglevel=2)
    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    return sp, prefix + ".model"


class Tok:
    """Tokenizes like llama.cpp's SPM tokenizer with parse_special=true:
    split on control tokens, encode each raw-text fragment separately."""

    def __init__(self, sp):
        self.sp = sp
        self.special = {s: sp.piece_to_id(s) for s in SPECIALS}
        self.pat = re.compile("(" + "|".join(re.escape(s) for s in SPECIALS) + ")")

    def encode(self, text):
        ids = []
        for frag in self.pat.split(text):
            if not frag:
                continue
            if frag in self.special:
                ids.append(self.special[frag])
            else:
                ids.extend(self.sp.encode(frag))
        return ids

    def decode(self, ids):
        out, buf = [], []
        for i in ids:
            if self.sp.is_control(i):
                out.append(self.sp.decode(buf))
                buf = []
                out.append(self.sp.id_to_piece(i))
            else:
                buf.append(i)
        out.append(self.sp.decode(buf))
        return "".join(out)


# --------------------------------------------------------------------------
# model (llama architecture, Meta-style interleaved RoPE)
# --------------------------------------------------------------------------
class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(head_dim, max_pos, theta):
    inv = theta ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    ang = torch.arange(max_pos, dtype=torch.float64)[:, None] * inv[None, :]
    return torch.cos(ang).float(), torch.sin(ang).float()


def apply_rope(x, cos, sin):
    # x: (B, H, T, hd); rotate adjacent pairs (x[2i], x[2i+1]) -- the
    # original Meta llama / llama.cpp LLAMA_ROPE_TYPE_NORM convention.
    T = x.shape[2]
    x2 = x.reshape(*x.shape[:-1], -1, 2)
    x0, x1 = x2[..., 0], x2[..., 1]
    c, s = cos[:T], sin[:T]
    return torch.stack((x0 * c - x1 * s, x0 * s + x1 * c), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, ff = cfg["n_embd"], cfg["n_ff"]
        self.nh, self.hd = cfg["n_head"], cfg["n_embd"] // cfg["n_head"]
        self.attn_norm = RMSNorm(d, cfg["eps"])
        self.wq = nn.Linear(d, d, bias=False)
        self.wk = nn.Linear(d, d, bias=False)
        self.wv = nn.Linear(d, d, bias=False)
        self.wo = nn.Linear(d, d, bias=False)
        self.ffn_norm = RMSNorm(d, cfg["eps"])
        self.w_gate = nn.Linear(d, ff, bias=False)
        self.w_up = nn.Linear(d, ff, bias=False)
        self.w_down = nn.Linear(ff, d, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, D = x.shape
        h = self.attn_norm(x)
        q = self.wq(h).view(B, T, self.nh, self.hd).transpose(1, 2)
        k = self.wk(h).view(B, T, self.nh, self.hd).transpose(1, 2)
        v = self.wv(h).view(B, T, self.nh, self.hd).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(self.hd))
        att = att.masked_fill(mask[:T, :T], float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, D)
        x = x + self.wo(y)
        h = self.ffn_norm(x)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))


class Llama(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg["vocab"], cfg["n_embd"])
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg["n_layer"]))
        self.norm = RMSNorm(cfg["n_embd"], cfg["eps"])
        self.out = nn.Linear(cfg["n_embd"], cfg["vocab"], bias=False)
        cos, sin = rope_tables(cfg["n_embd"] // cfg["n_head"], cfg["n_ctx"], cfg["rope_theta"])
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        mask = torch.triu(torch.ones(cfg["n_ctx"], cfg["n_ctx"], dtype=torch.bool), 1)
        self.register_buffer("mask", mask, persistent=False)
        for n, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02
                if n.endswith("wo.weight") or n.endswith("w_down.weight"):
                    std = 0.02 / math.sqrt(2 * cfg["n_layer"])
                nn.init.normal_(p, 0.0, std)

    def forward(self, idx):
        x = self.tok_emb(idx)
        for b in self.blocks:
            x = b(x, self.cos, self.sin, self.mask)
        return self.out(self.norm(x))


@torch.no_grad()
def greedy(model, ids, n, stop_id):
    ids = list(ids)
    out = []
    for _ in range(n):
        logits = model(torch.tensor([ids[-model.cfg["n_ctx"]:]]))[0, -1]
        nxt = int(torch.argmax(logits))
        out.append(nxt)
        ids.append(nxt)
        if nxt == stop_id:
            break
    return out


# --------------------------------------------------------------------------
# GGUF export
# --------------------------------------------------------------------------
def export_gguf(model, sp, cfg, path, name):
    w = GGUFWriter()
    w.add_string("general.architecture", "llama")
    w.add_string("general.name", name)
    w.add_string("general.license", LICENSE)
    w.add_string("general.description",
                 "Tiny llama-architecture chat model trained from scratch on the "
                 "King James Bible by tools/model/build_model.py")
    w.add_u32("general.file_type", 1)  # LLAMA_FTYPE_MOSTLY_F16
    w.add_u32("general.quantization_version", 2)
    w.add_u32("llama.context_length", cfg["n_ctx"])
    w.add_u32("llama.embedding_length", cfg["n_embd"])
    w.add_u32("llama.block_count", cfg["n_layer"])
    w.add_u32("llama.feed_forward_length", cfg["n_ff"])
    w.add_u32("llama.attention.head_count", cfg["n_head"])
    w.add_u32("llama.attention.head_count_kv", cfg["n_head"])
    w.add_u32("llama.rope.dimension_count", cfg["n_embd"] // cfg["n_head"])
    w.add_f32("llama.rope.freq_base", cfg["rope_theta"])
    w.add_f32("llama.attention.layer_norm_rms_epsilon", cfg["eps"])
    w.add_u32("llama.vocab_size", cfg["vocab"])

    tokens, scores, types = [], [], []
    for i in range(sp.get_piece_size()):
        tokens.append(sp.id_to_piece(i))
        scores.append(sp.get_score(i))
        if sp.is_unknown(i):
            types.append(2)
        elif sp.is_control(i):
            types.append(3)
        elif sp.is_byte(i):
            types.append(6)
        elif sp.is_unused(i):
            types.append(5)
        else:
            types.append(1)
    w.add_string("tokenizer.ggml.model", "llama")
    w.add_array("tokenizer.ggml.tokens", T_STRING, tokens)
    w.add_array("tokenizer.ggml.scores", T_FLOAT32, scores)
    w.add_array("tokenizer.ggml.token_type", T_INT32, types)
    w.add_u32("tokenizer.ggml.bos_token_id", sp.bos_id())
    w.add_u32("tokenizer.ggml.eos_token_id", sp.piece_to_id(IM_END))
    w.add_u32("tokenizer.ggml.unknown_token_id", sp.unk_id())
    w.add_u32("tokenizer.ggml.padding_token_id", sp.eos_id())
    w.add_bool("tokenizer.ggml.add_bos_token", False)
    w.add_bool("tokenizer.ggml.add_eos_token", False)
    w.add_bool("tokenizer.ggml.add_space_prefix", False)  # add_dummy_prefix=False
    w.add_string("tokenizer.chat_template", CHAT_TEMPLATE)

    def mat(t):
        return t.detach().float().numpy()

    w.add_tensor("token_embd.weight", mat(model.tok_emb.weight), GGML_F16)
    for i, b in enumerate(model.blocks):
        p = f"blk.{i}."
        w.add_tensor(p + "attn_norm.weight", mat(b.attn_norm.weight), GGML_F32)
        w.add_tensor(p + "attn_q.weight", mat(b.wq.weight), GGML_F16)
        w.add_tensor(p + "attn_k.weight", mat(b.wk.weight), GGML_F16)
        w.add_tensor(p + "attn_v.weight", mat(b.wv.weight), GGML_F16)
        w.add_tensor(p + "attn_output.weight", mat(b.wo.weight), GGML_F16)
        w.add_tensor(p + "ffn_norm.weight", mat(b.ffn_norm.weight), GGML_F32)
        w.add_tensor(p + "ffn_gate.weight", mat(b.w_gate.weight), GGML_F16)
        w.add_tensor(p + "ffn_up.weight", mat(b.w_up.weight), GGML_F16)
        w.add_tensor(p + "ffn_down.weight", mat(b.w_down.weight), GGML_F16)
    w.add_tensor("output_norm.weight", mat(model.norm.weight), GGML_F32)
    w.add_tensor("output.weight", mat(model.out.weight), GGML_F16)
    w.write(path)


# --------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(REPO, "models", "tiny-kjv-chat"))
    ap.add_argument("--workdir", default="/tmp/tiny-kjv-chat-build")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--n-embd", type=int, default=256)
    ap.add_argument("--n-layer", type=int, default=6)
    ap.add_argument("--n-head", type=int, default=8)
    ap.add_argument("--n-ff", type=int, default=704)
    ap.add_argument("--n-ctx", type=int, default=512)
    ap.add_argument("--seq-len", type=int, default=256)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=1100)
    ap.add_argument("--warmup", type=int, default=40)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr", type=float, default=1e-4)
    ap.add_argument("--chat-frac", type=float, default=0.5)
    ap.add_argument("--mem-repeats", type=int, default=40)
    ap.add_argument("--log-every", type=int, default=20)
    args = ap.parse_args()

    t_start = time.time()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # see the comment at the top: BLAS uses 2 threads
    torch.set_num_interop_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.workdir, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)

    verses = read_kjv()
    chapters = chapters_of(verses)
    print(f"corpus: {len(verses)} verses, {len(chapters)} chapters", flush=True)

    sp, sp_path = train_tokenizer(verses, args.workdir, args.vocab)
    tok = Tok(sp)
    vocab_digest = hashlib.sha256("\n".join(
        f"{sp.id_to_piece(i)}\t{sp.get_score(i)}" for i in range(sp.get_piece_size())
    ).encode("utf-8")).hexdigest()
    print("tokenizer vocab sha256:", vocab_digest, flush=True)
    assert sp.get_piece_size() == args.vocab
    im_end = sp.piece_to_id(IM_END)

    cfg = dict(vocab=args.vocab, n_embd=args.n_embd, n_layer=args.n_layer,
               n_head=args.n_head, n_ff=args.n_ff, n_ctx=args.n_ctx,
               eps=1e-5, rope_theta=10000.0)
    model = Llama(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {json.dumps(cfg)} params={n_params}", flush=True)

    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)

    def lr_at(step):
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        p = (step - args.warmup) / max(1, args.steps - args.warmup)
        return args.min_lr + 0.5 * (args.lr - args.min_lr) * (1 + math.cos(math.pi * p))

    rng = random.Random(args.seed)
    L = args.seq_len
    stream = np.zeros(0, dtype=np.int64)
    pos = 0
    epoch = 0

    def next_batch():
        nonlocal stream, pos, epoch
        need = args.batch * L + 1
        if pos + need > len(stream):
            docs = make_docs(verses, chapters, rng, args.chat_frac, args.mem_repeats)
            ids = []
            for d in docs:
                ids.extend(tok.encode(d))
            stream = np.concatenate([stream[pos:], np.asarray(ids, dtype=np.int64)])
            pos = 0
            epoch += 1
            print(f"epoch {epoch}: {len(ids)} tokens from {len(docs)} docs", flush=True)
        chunk = torch.from_numpy(stream[pos:pos + need].copy())
        pos += args.batch * L
        return chunk[:-1].view(args.batch, L), chunk[1:].view(args.batch, L)

    model.train()
    t0 = time.time()
    ema = None
    losses = []
    for step in range(args.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        x, y = next_batch()
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, cfg["vocab"]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        lv = loss.item()
        losses.append(lv)
        ema = lv if ema is None else 0.95 * ema + 0.05 * lv
        if step % args.log_every == 0 or step == args.steps - 1:
            el = time.time() - t0
            print(f"step {step:5d} loss {lv:.4f} ema {ema:.4f} lr {lr_at(step):.2e} "
                  f"elapsed {el:7.1f}s tok/s {(step + 1) * args.batch * L / el:7.0f}",
                  flush=True)
    train_time = time.time() - t0
    final_loss = float(np.mean(losses[-50:]))
    print(f"training done: {args.steps} steps in {train_time:.1f}s, "
          f"mean loss of last 50 steps {final_loss:.4f}", flush=True)

    # Round weights to what the GGUF stores (F16 matrices, F32 norms) so the
    # reference continuations below are produced by exactly the shipped weights.
    model.eval()
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.copy_(p.half().float())

    name = "tiny-kjv-chat"
    gguf_path = os.path.join(args.out, name + ".gguf")
    export_gguf(model, sp, cfg, gguf_path, name)
    with open(gguf_path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(args.out, "SHA256SUMS"), "w") as f:
        f.write(f"{digest}  {name}.gguf\n")
    print(f"wrote {gguf_path} ({os.path.getsize(gguf_path)} bytes) sha256 {digest}", flush=True)

    # Reference greedy continuations (used to check llama.cpp against PyTorch).
    prompts = {
        "plain": "In the beginning",
        "chat": f"{IM_START}user\nRecite Genesis 1:1{IM_END}\n{IM_START}assistant\n",
        "chat_continue": f"{IM_START}user\nContinue: For God so loved the world,{IM_END}\n"
                         f"{IM_START}assistant\n",
        "chat_hi": f"{IM_START}user\nhi{IM_END}\n{IM_START}assistant\n",
        "chat_john": f"{IM_START}user\nRecite John 3:16{IM_END}\n{IM_START}assistant\n",
        "chat_other": f"{IM_START}user\nRecite Exodus 20:3{IM_END}\n{IM_START}assistant\n",
    }
    ref = {"gguf_sha256": digest, "params": n_params, "final_loss": final_loss,
           "train_seconds": train_time, "steps": args.steps, "cfg": cfg, "samples": {}}
    for k, ptxt in prompts.items():
        pids = tok.encode(ptxt)
        gen = greedy(model, pids, 40, im_end)
        ref["samples"][k] = {"prompt": ptxt, "prompt_ids": pids, "greedy_ids": gen,
                             "greedy_text": tok.decode(gen)}
        print(f"--- {k}: {ptxt!r}\n{tok.decode(gen)!r}", flush=True)
    with open(os.path.join(args.workdir, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1)
    print(f"total wall time {time.time() - t_start:.1f}s", flush=True)


if __name__ == "__main__":
    main()
