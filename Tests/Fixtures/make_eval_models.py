"""Small models and reference results for the `evaluate` stage's model mode.

Writes Tests/Fixtures/eval/models/:
  llama/      a 2-layer Llama (hidden 32, GQA 4/2 heads, tied embeddings) trained for a
              few hundred steps on WordNet glosses, with a byte-level BPE tokenizer.json
              (vocab 800) trained on the same text; config.json, model.safetensors,
              tokenizer.json, generation_config.json
  bert/       a 2-layer BERT sequence classifier (3 labels with names) over a WordPiece
              tokenizer.json trained on the same text; trained briefly on a toy rule
              (label = number of words mod 3, so the labels are learnable)
  expected.json
    perplexity: per text: ids, nll_sum (nats, shifted cross-entropy over tokens 2..n),
                tokens counted, utf8 bytes; corpus: exp(sum nll / sum tokens) and
                bits per byte = sum nll / ln 2 / sum bytes
    generate:   per prompt: prompt ids, greedy continuation ids (max_new_tokens 12, stops
                at <|endoftext|>), decoded text
    classify:   per text: ids, logits, predicted label name

Reference: transformers 5.x (LlamaForCausalLM, BertForSequenceClassification, generate
with do_sample=False) and tokenizers, on torch fp32, CPU. Corpus lines come from
../shared/bench/data/wordnet_corpus.py's corpus.txt (--corpus).

Usage: python3 Tests/Fixtures/make_eval_models.py [--corpus /tmp/wn/corpus.txt]
"""
import argparse
import json
import math
import os

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers, processors, normalizers
from transformers import (BertConfig, BertForSequenceClassification, LlamaConfig,
                          LlamaForCausalLM)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eval", "models")


def byte_bpe(lines):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=800, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(lines, trainer)
    return tok


def wordpiece(lines):
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(vocab_size=600, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
                                        show_progress=False)
    tok.train_from_iterator(lines, trainer)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.BertProcessing(("[SEP]", sep), ("[CLS]", cls))
    return tok


def train_llama(tok, lines):
    eos = tok.token_to_id("<|endoftext|>")
    cfg = LlamaConfig(vocab_size=tok.get_vocab_size(), hidden_size=32, intermediate_size=64,
                      num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                      max_position_embeddings=128, tie_word_embeddings=True, rope_theta=10000.0,
                      bos_token_id=eos, eos_token_id=eos, pad_token_id=eos)
    model = LlamaForCausalLM(cfg)
    ids = []
    for l in lines[:4000]:
        ids += tok.encode(l).ids + [eos]
    data = torch.tensor(ids)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(1)
    for step in range(400):
        starts = torch.randint(0, len(ids) - 65, (16,), generator=g)
        batch = torch.stack([data[s:s + 64] for s in starts])
        loss = model(input_ids=batch, labels=batch).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    return model, loss.item()


def train_bert(tok, lines):
    names = ["even", "odd", "third"]
    cfg = BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
                     num_attention_heads=4, intermediate_size=64, max_position_embeddings=128,
                     num_labels=3, id2label={i: n for i, n in enumerate(names)},
                     label2id={n: i for i, n in enumerate(names)})
    model = BertForSequenceClassification(cfg)
    texts = lines[:2000]
    labels = [len(t.split()) % 3 for t in texts]
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(2)
    for step in range(150):
        idx = torch.randint(0, len(texts), (16,), generator=g).tolist()
        enc = [tok.encode(texts[i]).ids[:48] for i in idx]
        width = max(len(e) for e in enc)
        input_ids = torch.tensor([e + [0] * (width - len(e)) for e in enc])
        mask = torch.tensor([[1] * len(e) + [0] * (width - len(e)) for e in enc])
        loss = model(input_ids=input_ids, attention_mask=mask, labels=torch.tensor([labels[i] for i in idx])).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    return model, names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="/tmp/wn/corpus.txt")
    a = ap.parse_args()
    torch.manual_seed(0)
    with open(a.corpus, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f][:20000]
    os.makedirs(OUT, exist_ok=True)
    expected = {}

    tok = byte_bpe(lines)
    llama, final_loss = train_llama(tok, lines)
    d = os.path.join(OUT, "llama")
    llama.save_pretrained(d, safe_serialization=True)
    tok.save(os.path.join(d, "tokenizer.json"))
    eos = tok.token_to_id("<|endoftext|>")
    texts = lines[10000:10010] + ["a", "The café’s crème brûlée, 1,000.50 €!", "x" * 40]
    ppl = []
    with torch.no_grad():
        for t in texts:
            ids = tok.encode(t).ids
            if len(ids) < 2:
                nll, n = 0.0, 0
            else:
                out = llama(input_ids=torch.tensor([ids]), labels=torch.tensor([ids]))
                n = len(ids) - 1
                nll = float(out.loss) * n
            ppl.append({"text": t, "ids": ids, "nll_sum": nll, "tokens": n, "bytes": len(t.encode())})
    tot_nll = sum(p["nll_sum"] for p in ppl)
    tot_n = sum(p["tokens"] for p in ppl)
    tot_b = sum(p["bytes"] for p in ppl)
    expected["perplexity"] = {"texts": ppl, "perplexity": math.exp(tot_nll / tot_n),
                              "bits_per_byte": tot_nll / math.log(2) / tot_b, "train_loss": final_loss}
    gens = []
    with torch.no_grad():
        for p in ["a small", "the act of", "an animal that", "relating to the", "x", "used to make"]:
            ids = tok.encode(p).ids
            out = llama.generate(torch.tensor([ids]), max_new_tokens=12, do_sample=False,
                                 eos_token_id=eos, pad_token_id=eos)[0].tolist()[len(ids):]
            gens.append({"prompt": p, "ids": ids, "new_ids": out, "text": tok.decode(out)})
    expected["generate"] = gens

    wp = wordpiece(lines)
    bert, names = train_bert(wp, lines)
    d = os.path.join(OUT, "bert")
    bert.save_pretrained(d, safe_serialization=True)
    wp.save(os.path.join(d, "tokenizer.json"))
    cls = []
    with torch.no_grad():
        for t in lines[12000:12012] + ["", "Ünïcödé wörds ánd ñ"]:
            ids = wp.encode(t).ids
            logits = bert(input_ids=torch.tensor([ids])).logits[0].tolist()
            cls.append({"text": t, "ids": ids, "logits": logits,
                        "label": names[max(range(3), key=lambda i: logits[i])],
                        "rule": names[len(t.split()) % 3]})
    expected["classify"] = cls
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
