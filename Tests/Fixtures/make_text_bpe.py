"""Fixtures for WeftText's byte-level pre-tokeniser and BPE trainer, made by the
reference: Hugging Face `tokenizers` 0.23.3.

Run once (python3 with tokenizers==0.23.3); writes Tests/Fixtures/text/bpe/:

  hf_char_classes.txt  code-point ranges the GPT-2 pattern sees as letter (L),
                       number (N) or space (S); everything else is "other".
  splits.json          strings and the pieces of ByteLevel(add_prefix_space=False,
                       use_regex=True).pre_tokenize_str, as byte-level strings.
  (trainer fixtures: see `trainer_fixtures` below)

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


if __name__ == "__main__":
    assert tokenizers.__version__ == "0.23.3", tokenizers.__version__
    os.makedirs(OUT, exist_ok=True)
    char_classes()
    split_cases()
