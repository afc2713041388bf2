"""Fixtures for WeftText's byte-level pre-tokeniser and BPE trainer, made by the
reference: Hugging Face `tokenizers` 0.23.3.

Run once (python3 with tokenizers==0.23.3); writes Tests/Fixtures/text/bpe/:

  hf_char_classes.txt  code-point ranges the GPT-2 pattern sees as letter (L),
                       number (N) or space (S); everything else is "other".
  splits.json          strings and the pieces of ByteLevel(add_prefix_space=False,
                       use_regex=True).pre_tokenize_str, as byte-level strings.
  corpus_small.txt     a generated corpus full of ties: few letters, repeated and
                       overlapping pairs, unicode (accents, combining marks, CJK,
                       emoji, NBSP), contractions, digits, tabs, CRLF, empty lines,
                       trailing spaces, and a last line without a newline.
  corpus_wordnet.txt   every 16th line of the WordNet 3.0 gloss corpus (made by
                       shared/bench/data/wordnet_corpus.py; pass its path as the
                       first argument).
  train_*.json         for each training configuration: the settings, and the
                       vocabulary (tokens by id) and merges of BpeTrainer, trained
                       with tokenizer.train([corpus]) as the benchmark does.
  tokenizer_*.json     the tokenizer.json that `tokenizers` saves for the small
                       configurations (the Swift writer must reproduce it byte for
                       byte).

The classes are found by asking the pre-tokeniser itself: a character c is a letter
when "a"+c+"a" stays one piece, a number when "1"+c+"1" does, other when "!"+c+"!"
does, a space when "\\t"+c+"\\t" does.
"""
import json
import os
import random
import sys

import tokenizers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "text", "bpe")
PRE = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)


def char_classes():
    ranges = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        if len(PRE.pre_tokenize_str("a" + c + "a")) == 1:
            k = "L"
        elif len(PRE.pre_tokenize_str("1" + c + "1")) == 1:
            k = "N"
        elif len(PRE.pre_tokenize_str("!" + c + "!")) == 1:
            continue
        elif len(PRE.pre_tokenize_str("\t" + c + "\t")) == 1:
            k = "S"
        else:
            raise SystemExit("unclassified U+%04X" % cp)
        if ranges and ranges[-1][1] == cp - 1 and ranges[-1][2] == k:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp, k])
    with open(os.path.join(OUT, "hf_char_classes.txt"), "w") as f:
        f.write("# first last class (hex code points; L letter, N number, S space; others: other)\n")
        for a, b, k in ranges:
            f.write("%X %X %s\n" % (a, b, k))


SPLIT_CASES = [
    "", " ", "  ", "\t", "\n", " \n", "a", "Hello world", "Hello  world", "Hello   world  ",
    "I'm you're we've they'll he'd it's don't", "'S 'T 'RE 'll 'Ll", "''s '' 's x's", "'",
    "abc'def rock'n'roll o'clock", "123 4567 1,000.50 -3e10 x2 2x", "Hello!!! ...? (a) [b] {c}",
    "a\tb\t\tc\n\nd \n e\r\nf", "end   ", "   start", "\t\t x", " \t y", "  !x", "  1x",
    "café naïve résumé ÉCOLE", "e\u0301te\u0301 n\u0303", "日本語のテキスト、東京。", "中文 字符 123",
    "مرحبا بالعالم ١٢٣", "नमस्ते दुनिया क्षत्रिय", "hi 👋🏽 there 🇫🇷 ok👍", "a\u00a0b \u00a0c",
    "x\u3000y \u3000\u3000z", "thin\u2009space\u200bzw\u2028ls\u2029ps", "ctl\x1c\x1d\x1e\x1fend",
    "nel\u0085x", "½ ² Ⅻ ⅷ ٣", "abc123def __init__ x = y+z;", "ﬁne ŉ ǅ ʰ ー",
    "Ωmega ΣΑΣ σς", "😀😀 😀", "\u0300abc \u0300", " \u0301x", "tab\t", "\x00\x01 \x7f",
    "x\u180ey \u1680z", "a\u202fb\u205fc", "emoji\u200d👩\u200d💻", "'s's'll're've'm'd",
    " ' s", "it''s", "1'2", "😀's",
]

RANDOM_POOL = list("aZ09 '\t\n\r.,!?-_sdmtlrev") + [
    "\u00a0", "\u3000", "é", "e\u0301", "日", "٣", "½", "😀", "\u0085", "\u200b", "\x1f", "ß", "İ",
    "ǅ", "Ⅻ", "\u2028", "क", "ि", "ﬁ", "\u0301",
]


def split_cases():
    rng = random.Random(5)
    cases = list(SPLIT_CASES)
    for _ in range(300):
        n = rng.randint(1, 24)
        cases.append("".join(rng.choice(RANDOM_POOL) for _ in range(n)))
    rows = []
    for s in cases:
        rows.append({"text": s, "pieces": [p for p, _ in PRE.pre_tokenize_str(s)]})
    with open(os.path.join(OUT, "splits.json"), "w") as f:
        f.write('{"tokenizers": "%s", "cases": [\n' % tokenizers.__version__)
        f.write(",\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
        f.write("\n]}\n")


def small_corpus():
    rng = random.Random(7)
    units = ["a", "b", "ab", "ba", "aa", "c", "abc", "é", "e\u0301", "日", "本", "😀", "ñ", "x", "'s",
             "'ll", "1", "23", "!", "..."]
    lines = []
    for n in range(1500):
        words = []
        for _ in range(rng.randint(0, 9)):
            w = "".join(rng.choice(units) for _ in range(rng.randint(1, 5)))
            words.append(w)
        sep = rng.choice([" ", " ", " ", "  ", "\t", "\u00a0"])
        line = sep.join(words)
        if rng.random() < 0.1:
            line += rng.choice([" ", "  ", "\t"])
        if rng.random() < 0.05:
            line = " " + line
        lines.append(line + ("\r\n" if rng.random() < 0.05 else "\n"))
    # Special tokens inside the text are plain text to the trainer (it does not extract
    # added tokens), so these lines are split like any other.
    lines.append("<|endoftext|> <pad> <s>ab</s>\n")
    lines.append("the last line has no newline")
    with open(os.path.join(OUT, "corpus_small.txt"), "w", encoding="utf-8", newline="") as f:
        f.write("".join(lines))


def wordnet_corpus(path):
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.readlines()
    with open(os.path.join(OUT, "corpus_wordnet.txt"), "w", encoding="utf-8", newline="") as f:
        f.write("".join(lines[::16]))


# name, corpus, vocab_size, min_frequency, special tokens, all 256 bytes as initial alphabet
CONFIGS = [
    ("small_300", "corpus_small.txt", 300, 0, ["<|endoftext|>", "<pad>"], True),
    ("small_1000_f2", "corpus_small.txt", 1000, 2, [], True),
    ("small_seen_400", "corpus_small.txt", 400, 0, ["<s>", "a", "<s>", "ab", "é", "\"q\\\x01\n"], False),
    ("small_minfreq_stop", "corpus_small.txt", 5000, 40, ["<|endoftext|>"], True),
    ("wordnet_2000", "corpus_wordnet.txt", 2000, 0, ["<|endoftext|>"], True),
    ("wordnet_4000_f3", "corpus_wordnet.txt", 4000, 3, ["<s>", "</s>", "<unk>"], True),
]
SAVE_FULL = {"small_300", "small_seen_400"}

def train(name, corpus, vocab, minf, specials, all_bytes):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tr = trainers.BpeTrainer(vocab_size=vocab, min_frequency=minf, special_tokens=specials,
                             initial_alphabet=pre_tokenizers.ByteLevel.alphabet() if all_bytes else [],
                             show_progress=False)
    tok.train([os.path.join(OUT, corpus)], tr)
    saved = json.loads(tok.to_str())
    model = saved["model"]
    by_id = sorted(model["vocab"].items(), key=lambda kv: kv[1])
    assert [i for _, i in by_id] == list(range(len(by_id)))
    row = {"name": name, "corpus": corpus, "vocab_size": vocab, "min_frequency": minf,
           "special_tokens": specials, "initial_alphabet_bytes": all_bytes,
           "vocab": [t for t, _ in by_id], "merges": model["merges"]}
    with open(os.path.join(OUT, "train_%s.json" % name), "w", encoding="utf-8") as f:
        f.write("{")
        head = {k: v for k, v in row.items() if k not in ("vocab", "merges")}
        f.write(json.dumps(head, ensure_ascii=False)[1:-1])
        f.write(',\n"vocab": [\n' + ",\n".join(json.dumps(t, ensure_ascii=False) for t in row["vocab"]))
        f.write('],\n"merges": [\n' + ",\n".join(json.dumps(m, ensure_ascii=False) for m in row["merges"]))
        f.write("]}\n")
    print(name, "vocab", len(by_id), "merges", len(model["merges"]), file=sys.stderr)
    if name in SAVE_FULL:
        tok.save(os.path.join(OUT, "tokenizer_%s.json" % name))


if __name__ == "__main__":
    assert tokenizers.__version__ == "0.23.3", tokenizers.__version__
    os.makedirs(OUT, exist_ok=True)
    char_classes()
    split_cases()
    small_corpus()
    wordnet_corpus(sys.argv[1] if len(sys.argv) > 1 else "/tmp/wn/corpus.txt")
    for cfg in CONFIGS:
        train(*cfg)
