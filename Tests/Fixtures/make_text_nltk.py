"""Golden files for WeftText's Porter stemmer, WordNet reader, WordNet lemmatiser and
EDA synonyms, made with NLTK 3.10.4 reading the same WordNet 3.0 files as the tests
(Debian `wordnet-base`, /usr/share/wordnet).

NLTK's WordNetCorpusReader needs a `lexnames` file, which Debian does not ship: the
script copies the data, index and exception files into a temporary folder and writes
the standard lexnames(5WN) table there. It also needs that folder on nltk.data.path
(NLTK's path sandbox) and its OMW mapping switched off (no OMW data offline).

Outputs (Tests/Fixtures/text/nltk/):
  porter_tricky.json      [[word, nltk_stem, original_stem], ...] edge cases
  porter_words.tsv        word \t nltk stem \t original stem (empty: same as nltk),
                          a deterministic subset of the vocabulary below
  lemmatizer.tsv          word \t lemma for pos n \t v \t a \t r \t s
  lemmatizer_tricky.json  [[word, pos, lemma], ...]
  synonyms.json           {word: [EDA synonyms in order]}
  synsets.json            {"word|pos": ["offset pos", ...]} (pos "" = all)
                          and a few full synsets (name, lexname, lemmas, definition, examples)
  digests.json            FNV-1a 64 digests over the whole vocabulary (see below) and
                          over every synset, so the tests cover everything with small files;
                          "stride8": the same over every 8th word/synset (debug builds)
  wordnet_import.json     counts, sizes, digests, first and last lines of the three files
                          written by /work/shared/bench/data/wordnet_corpus.py (if its
                          output folder is given with --import-dir)

Vocabulary (rebuilt the same way by the Swift tests from /usr/share/wordnet):
  every maximal run of ASCII letters [A-Za-z]+ in data.{noun,verb,adj,adv},
  index.{noun,verb,adj,adv} and {noun,verb,adj,adv}.exc, plus every lemma of the index
  files (first column, underscores kept), distinct, sorted by bytes.

Usage: python3 Tests/Fixtures/make_text_nltk.py [--wordnet-dir /usr/share/wordnet]
                                                [--import-dir /tmp/wn]
"""
import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import warnings

import nltk
from nltk.stem.porter import PorterStemmer

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "text", "nltk")
POS_FILES = ["noun", "verb", "adj", "adv"]
LEXNAMES = [
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal",
    "noun.artifact", "noun.attribute", "noun.body", "noun.cognition",
    "noun.communication", "noun.event", "noun.feeling", "noun.food",
    "noun.group", "noun.location", "noun.motive", "noun.object",
    "noun.person", "noun.phenomenon", "noun.plant", "noun.possession",
    "noun.process", "noun.quantity", "noun.relation", "noun.shape",
    "noun.state", "noun.substance", "noun.time", "verb.body", "verb.change",
    "verb.cognition", "verb.communication", "verb.competition",
    "verb.consumption", "verb.contact", "verb.creation", "verb.emotion",
    "verb.motion", "verb.perception", "verb.possession", "verb.social",
    "verb.stative", "verb.weather", "adj.ppl",
]

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK = (1 << 64) - 1


class FNV:
    """FNV-1a 64 over UTF-8 bytes (the Swift tests compute the same)."""

    def __init__(self):
        self.h = FNV_OFFSET
        self.count = 0

    def line(self, text):
        h = self.h
        for b in (text + "\n").encode("utf-8"):
            h = ((h ^ b) * FNV_PRIME) & MASK
        self.h = h
        self.count += 1

    def hex(self):
        return "%016x" % self.h


class Digest:
    """FNV-1a 64 over all lines and over every 8th line (index % 8 == 0): the Swift
    tests check the subset in debug builds, where the whole vocabulary takes minutes."""

    def __init__(self):
        self.all = FNV()
        self.stride8 = FNV()

    def line(self, index, text):
        self.all.line(text)
        if index % 8 == 0:
            self.stride8.line(text)

    def json(self):
        return {"lines": self.all.count, "fnv1a64": self.all.hex(),
                "stride8": {"lines": self.stride8.count, "fnv1a64": self.stride8.hex()}}


def fnv_file(path):
    h = FNV_OFFSET
    with open(path, "rb") as f:
        data = f.read()
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & MASK
    return "%016x" % h


def open_wordnet(wordnet_dir):
    root = tempfile.mkdtemp(prefix="wn-nltk-")
    for pos in POS_FILES:
        for name in ("data." + pos, "index." + pos, pos + ".exc"):
            shutil.copy(os.path.join(wordnet_dir, name), root)
    with open(os.path.join(root, "lexnames"), "w") as f:
        for i, name in enumerate(LEXNAMES):
            f.write("%02d\t%s\t%d\n" % (i, name, {"adj": 3, "adv": 4, "noun": 1, "verb": 2}[name.split(".")[0]]))
    nltk.data.path.append(root)
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    class Reader(WordNetCorpusReader):
        def map_wn(self, version="wordnet"):  # no OMW data offline
            return None

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wn = Reader(root, None)
    # WordNetLemmatizer reads nltk.corpus.wordnet: point it at this reader.
    import nltk.corpus as nltk_corpus
    nltk_corpus.wordnet = wn
    return wn, root


def vocabulary(wordnet_dir):
    words = set()
    for pos in POS_FILES:
        for name in ("data." + pos, "index." + pos, pos + ".exc"):
            with open(os.path.join(wordnet_dir, name), encoding="utf-8") as f:
                words.update(re.findall(r"[A-Za-z]+", f.read()))
        with open(os.path.join(wordnet_dir, "index." + pos), encoding="utf-8") as f:
            for line in f:
                if not line.startswith(" "):
                    words.add(line.split(" ", 1)[0])
    return sorted(words, key=lambda w: w.encode("utf-8"))


def sample(words, modulus):
    """Deterministic subset: words whose FNV-1a 64 is 0 mod `modulus`."""
    out = []
    for w in words:
        h = FNV_OFFSET
        for b in w.encode("utf-8"):
            h = ((h ^ b) * FNV_PRIME) & MASK
        if h % modulus == 0:
            out.append(w)
    return out


PORTER_TRICKY = [
    "", "a", "i", "s", "y", "e", "as", "is", "us", "by", "ay", "oy", "yy", "yyy", "yyyy", "ys", "sy",
    "ye", "yes", "yet", "eye", "eyes", "aye", "ayes", "toy", "toys", "syzygy", "syzygies", "ion",
    "sky", "skies", "Skies", "SKY", "dying", "Dying", "lying", "tying", "news", "NEWS", "innings",
    "inning", "outings", "outing", "cannings", "canning", "howe", "proceed", "proceeded",
    "proceeds", "exceed", "exceeded", "succeed", "succeeds", "succeeded",
    # paper examples
    "caresses", "ponies", "ties", "caress", "cats", "feed", "agreed", "plastered", "bled",
    "motoring", "sing", "conflated", "troubled", "sized", "hopping", "tanned", "falling",
    "hissing", "fizzed", "failing", "filing", "happy", "relational", "conditional",
    "rational", "valenci", "hesitanci", "digitizer", "conformabli", "radicalli",
    "differentli", "vileli", "analogousli", "vietnamization", "predication", "operator",
    "feudalism", "decisiveness", "hopefulness", "callousness", "formaliti", "sensitiviti",
    "sensibiliti", "triplicate", "formative", "formalize", "electriciti", "electrical",
    "hopeful", "goodness", "revival", "allowance", "inference", "airliner", "gyroscopic",
    "adjustable", "defensible", "irritant", "replacement", "adjustment", "dependent",
    "adoption", "homologou", "communism", "activate", "angulariti", "homologous",
    "effective", "bowdlerize", "probate", "rate", "cease", "controll", "roll",
    # NLTK extensions
    "dies", "pies", "lies", "flies", "died", "tied", "cried", "spied", "ied", "ies",
    "eed", "bleed", "ing", "bring", "ring", "hoping", "spy", "fly", "try", "say", "enjoy",
    "enjoyment", "finalli", "rationalli", "generalli", "fulli", "hopefulli", "carefulli",
    "analogi", "logi", "ologi", "biologi", "apologi", "ables", "abli", "bli", "sensibli",
    "possibli", "alli", "ational", "tional", "ization", "ation", "ator", "ement", "ment",
    "ent", "ion", "sion", "tion", "ou", "al", "er", "ic", "ll", "all", "ball", "fall",
    "generously", "generous", "national", "nationality", "nationalities", "nationalize",
    "oed", "aed", "ued", "ated", "bled", "ized", "ating", "bling", "izing", "hopped",
    "hoped", "filed", "filled", "hissed", "buzzed", "fizzing", "rolled", "rolling",
    "petted", "wed", "red", "bed", "bing", "ping", "ding", "king", "thing", "things",
    "yelling", "yed", "yying", "ayed", "played", "playing", "enjoyed", "stayed", "boyed",
    "crying", "trying", "flying", "dyed", "eyed", "eyeing", "fee", "fees", "agree",
    "agreement", "cvc", "hop", "hope", "wil", "tax", "taxes", "bow", "bows", "days",
    # capitals, digits, punctuation, spaces
    "Running", "RUNNING", "CARESSES", "McDonald's", "Apple", "iPhone", "NASA", "U.S.",
    "e.g.", "don't", "it's", "'s", "o'clock", "rock'n'roll", "1990s", "123", "3rd", "42nd",
    "4x4", "mp3s", "covid-19", "well-being", "self-driving", "e-mail", "e-mails", "x-rays",
    "hello world", "two  spaces", " leading", "trailing ", "tab\there", "new\nline",
    "x*ded", "a*ding", "b*d", "*d", "*ded", "**ing", "under_score", "under_scores",
    "antidisestablishmentarianism", "supercalifragilisticexpialidocious",
    "pneumonoultramicroscopicsilicovolcanoconiosis", "a" * 300, "ies" * 100, "y" * 257,
    # non-ASCII
    "café", "cafés", "naïve", "naïvely", "résumé", "résumés", "Straße", "STRASSE", "İstanbul",
    "İs", "İ", "ΟΔΟΣ", "ΣΑΣ", "Σ", "ΣΣ", "Σa", "aΣ", "aΣb", "ǅemal", "ǄEMAL", "ﬁshing", "ﬂying",
    "Ⅻ", "Kelvin", "\u212aelvin", "\u212a", "Ωmega", "straßes", "niño", "niños", "über",
    "übered", "ééing", "ééed", "xééing", "zoë", "coöperation", "δοκιμή", "тестирование",
    "日本語", "😀", "😀s", "😀ing", "a😀ed", "ŉ", "ŉs", "ΐ", "Ǉ", "ǈ", "ǉ", "\u0130stanbul",
]

LEMMA_TRICKY = [
    "", "geese", "went", "better", "best", "us", "Dogs", "dogs", "DOGS", "hardrock", "abaci",
    "aardwolves", "churches", "hot dogs", "hot_dogs", "hot-dogs", "ice creams", "ice_creams",
    "United States", "united_states", "New_York", "new_york", "car", "cars", "axes", "saw",
    "leaves", "feet", "wolves", "mice", "oxen", "criteria", "data", "is", "are", "was", "were",
    "been", "being", "has", "had", "ran", "running", "runs", "saw", "seen", "sees", "fishing",
    "fished", "fishes", "happier", "happiest", "bigger", "biggest", "larger", "largest",
    "nicer", "nicest", "worse", "worst", "more", "most", "less", "least", "farther",
    "further", "furthest", "well", "better", "best", "fast", "faster", "fastest", "hardest",
    "café", "cafés", "naïve", "İstanbul", "Zürich", " dogs", "dogs ", "dog s", "s", "es",
    "ses", "ies", "xes", "men", "women", "mens", "ing", "ed", "er", "est", "bed", "bring",
    "sing", "cling", "ceiling", "boxes", "buses", "glasses", "classes", "wives", "lives",
    "knives", "halves", "potatoes", "heroes", "echoes", "matches", "dishes", "babies",
    "ladies", "flies", "studies", "studied", "studying", "tried", "cried", "spied",
    "hoping", "hopped", "hopping", "lying", "dying", "tying", "ties", "dies", "quizzes",
    "fizzes", "a", "i", "I", "A", "ones", "twos", "1990s", "3rd", "don't", "o'clock",
    "U.S.", "e-mails", "x-rays", "well-being", "self-driving", "men's", "at_least",
    "in_front_of", "look_after", "looked_after", "gave_up", "give_up", "giving_up",
    "brothers-in-law", "mothers-in-law", "attorneys_general", "lay", "laid", "lain",
]

SYNONYM_WORDS = [
    "good", "bad", "happy", "sad", "big", "small", "fast", "slow", "run", "walk", "dog",
    "cat", "car", "house", "home", "quick", "brown", "fox", "jumps", "over", "lazy",
    "the", "a", "an", "is", "was", "be", "have", "do", "say", "get", "make", "go", "know",
    "take", "see", "come", "think", "look", "want", "give", "use", "find", "tell", "ask",
    "work", "seem", "feel", "try", "leave", "call", "film", "movie", "great", "terrible",
    "awful", "excellent", "amazing", "boring", "funny", "love", "hate", "like", "enjoy",
    "story", "plot", "actor", "actors", "acting", "character", "characters", "scene",
    "scenes", "director", "music", "beautiful", "ugly", "time", "year", "people", "way",
    "day", "man", "men", "woman", "women", "child", "children", "world", "life", "hand",
    "part", "place", "case", "week", "company", "system", "program", "question",
    "government", "number", "night", "point", "water", "room", "mother", "area", "money",
    "fact", "month", "lot", "right", "study", "book", "eye", "job", "word", "business",
    "issue", "side", "kind", "head", "service", "friend", "father", "power", "hour",
    "game", "line", "end", "member", "law", "city", "community", "name", "president",
    "team", "minute", "idea", "kid", "body", "information", "back", "parent", "face",
    "others", "level", "office", "door", "health", "person", "art", "war", "history",
    "party", "result", "change", "morning", "reason", "research", "girl", "guy", "moment",
    "air", "teacher", "force", "education", "ten", "one", "first", "second", "1", "10",
    "New", "York", "Dog", "RUN", "running", "ran", "better", "best", "geese", "went",
    "dogs", "cats", "houses", "quickly", "slowly", "very", "really", "not", "no", "yes",
    "zzzzz", "qwerty", "xylophone", "hot dog", "hot_dog", "ice-cream", "well-being", "",
    "café", "u", "us", "it", "he", "she", "they", "we", "i", "you", "of", "in", "on", "at",
    "hardly", "angry", "calm", "strong", "weak", "rich", "poor", "old", "young", "new",
]

SYNSET_WORDS = [
    "dog", "dogs", "better", "good", "well", "run", "ran", "running", "bank", "saw", "axes",
    "geese", "went", "car", "hot_dog", "hot dog", "Dog", "happy", "fast", "hard", "light",
    "set", "lie", "lay", "bass", "close", "lead", "wind", "tear", "live", "content", "object",
    "present", "record", "minute", "desert", "entity", "zzzz", "", "ten", "10", "us", "u",
    "more", "most", "best", "worst", "later", "leaves", "feet", "mice", "data", "criteria",
    "bigger", "biggest", "funnier", "quickly", "ill", "able", "abler", "ablest",
]


def porter_part(words):
    nl = PorterStemmer(PorterStemmer.NLTK_EXTENSIONS)
    og = PorterStemmer(PorterStemmer.ORIGINAL_ALGORITHM)
    tricky = [[w, nl.stem(w), og.stem(w)] for w in PORTER_TRICKY]
    with open(os.path.join(OUT, "porter_tricky.json"), "w", encoding="utf-8") as f:
        f.write("[\n" + ",\n".join(json.dumps(t, ensure_ascii=False) for t in tricky) + "\n]\n")
    subset = sample(words, 12)
    with open(os.path.join(OUT, "porter_words.tsv"), "w", encoding="utf-8") as f:
        for w in subset:
            a, b = nl.stem(w), og.stem(w)
            f.write("%s\t%s\t%s\n" % (w, a, "" if b == a else b))
    digests = {}
    for name, st in (("nltk", nl), ("original", og)):
        h = Digest()
        for i, w in enumerate(words):
            h.line(i, w + "\t" + st.stem(w))
        digests[name] = h.json()
    print("porter: %d tricky, %d sampled, %d in digests" % (len(tricky), len(subset), len(words)))
    return digests


def lemmatizer_part(words):
    from nltk.stem import WordNetLemmatizer

    lem = WordNetLemmatizer()
    poses = ["n", "v", "a", "r", "s"]
    exc_forms = set()
    for pos in POS_FILES:
        with open(os.path.join(WORDNET_DIR, pos + ".exc"), encoding="utf-8") as f:
            for line in f:
                exc_forms.add(line.split()[0])
    chosen = sorted(set(sample(words, 100)) | set(sample(sorted(exc_forms), 8)), key=lambda w: w.encode())
    with open(os.path.join(OUT, "lemmatizer.tsv"), "w", encoding="utf-8") as f:
        for w in chosen:
            f.write("\t".join([w] + [lem.lemmatize(w, p) for p in poses]) + "\n")
    tricky = [[w, p, lem.lemmatize(w, p)] for w in LEMMA_TRICKY for p in poses]
    with open(os.path.join(OUT, "lemmatizer_tricky.json"), "w", encoding="utf-8") as f:
        f.write("[\n" + ",\n".join(json.dumps(t, ensure_ascii=False) for t in tricky) + "\n]\n")
    digests = {}
    for p in poses:
        h = Digest()
        for i, w in enumerate(words):
            h.line(i, w + "\t" + lem.lemmatize(w, p))
        digests[p] = h.json()
    print("lemmatizer: %d words x 5 pos, %d tricky rows" % (len(chosen), len(tricky)))
    return digests


def eda_synonyms(wn, word):
    """EDA's get_synonyms (Wei & Zou 2019), in first-seen order instead of a set, and
    without synonyms that have no letter left (EDA would keep an empty string)."""
    out, seen = [], set()
    for syn in wn.synsets(word):
        for lemma in syn.lemmas():
            s = lemma.name().replace("_", " ").replace("-", " ").lower()
            s = "".join(c for c in s if c in " qwertyuiopasdfghjklzxcvbnm")
            if s == word or not s.strip() or s in seen:
                continue
            seen.add(s)
            out.append(s)
    return out


def synonyms_part(wn, words):
    table = {w: eda_synonyms(wn, w) for w in SYNONYM_WORDS}
    with open(os.path.join(OUT, "synonyms.json"), "w", encoding="utf-8") as f:
        f.write("{\n" + ",\n".join(
            json.dumps(k, ensure_ascii=False) + ": " + json.dumps(v, ensure_ascii=False)
            for k, v in table.items()) + "\n}\n")
    h = Digest()
    for i, w in enumerate(words):
        h.line(i, w + "\t" + "|".join(eda_synonyms(wn, w)))
    print("synonyms: %d words, digest over %d" % (len(table), h.all.count))
    return h.json()


def synset_key(s):
    return "%08d %s" % (s.offset(), s.pos())


def synsets_part(wn, words):
    table = {}
    for w in SYNSET_WORDS:
        for p in ["", "n", "v", "a", "s", "r"]:
            table[w + "|" + p] = [synset_key(s) for s in wn.synsets(w, p or None)]
    full = []
    for w in ["dog", "good", "run", "entity", "able", "quickly"]:
        for s in wn.synsets(w)[:3]:
            full.append({"offset": s.offset(), "pos": s.pos(), "name": s.name(), "lexname": s.lexname(),
                         "lemmas": s.lemma_names(), "definition": s.definition(),
                         "examples": s.examples()})
    with open(os.path.join(OUT, "synsets.json"), "w", encoding="utf-8") as f:
        f.write('{"lookups": {\n' + ",\n".join(
            json.dumps(k, ensure_ascii=False) + ": " + json.dumps(v) for k, v in table.items()))
        f.write('\n},\n"synsets": [\n' + ",\n".join(json.dumps(s, ensure_ascii=False) for s in full) + "\n]}\n")
    # every word's synsets (all POS)
    hw = Digest()
    for i, w in enumerate(words):
        hw.line(i, w + "\t" + " ".join(synset_key(s) for s in wn.synsets(w)))
    # every synset's fields, in data-file order
    hs = Digest()
    index = 0
    for pos in POS_FILES:
        with open(os.path.join(WORDNET_DIR, "data." + pos), encoding="utf-8") as f:
            for line in f:
                if line.startswith(" "):
                    continue
                off = int(line[:8])
                s = wn.synset_from_pos_and_offset({"noun": "n", "verb": "v", "adj": "a", "adv": "r"}[pos], off)
                hs.line(index, "\t".join([synset_key(s), s.name(), s.lexname(), "|".join(s.lemma_names()),
                                          s.definition(), "|".join(s.examples())]))
                index += 1
    print("synsets: %d lookups, %d word digest lines, %d synsets" % (len(table), hw.all.count, hs.all.count))
    return hw.json(), hs.json()


def import_part(import_dir):
    out = {}
    with open(os.path.join(import_dir, "stats.json")) as f:
        out["stats"] = json.load(f)
    # label counts in Counter.most_common order, as a list (JSON objects lose order in Swift)
    out["labels"] = [[k, v] for k, v in out["stats"]["labels"].items()]
    for name in ("corpus.txt", "definitions.jsonl", "supersense.jsonl"):
        path = os.path.join(import_dir, name)
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        assert lines[-1] == ""
        out[name] = {"bytes": os.path.getsize(path), "lines": len(lines) - 1, "fnv1a64": fnv_file(path),
                     "first": lines[:3], "last": lines[-4:-1]}
    with open(os.path.join(OUT, "wordnet_import.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("import: reference files summarised")


def main():
    global WORDNET_DIR
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wordnet-dir", default="/usr/share/wordnet")
    ap.add_argument("--import-dir", default=None)
    ap.add_argument("--skip", default="", help="comma-separated parts to skip")
    a = ap.parse_args()
    WORDNET_DIR = a.wordnet_dir
    skip = set(a.skip.split(","))
    assert nltk.__version__ == "3.10.4", nltk.__version__
    os.makedirs(OUT, exist_ok=True)
    words = vocabulary(WORDNET_DIR)
    print("vocabulary: %d words" % len(words))
    wn, root = open_wordnet(WORDNET_DIR)
    digests_path = os.path.join(OUT, "digests.json")
    digests = {}
    if os.path.exists(digests_path):
        with open(digests_path) as f:
            digests = json.load(f)
    digests["vocabulary"] = len(words)
    if "porter" not in skip:
        digests["porter"] = porter_part(words)
    if "lemmatizer" not in skip:
        digests["lemmatizer"] = lemmatizer_part(words)
    if "synonyms" not in skip:
        digests["synonyms"] = synonyms_part(wn, words)
    if "synsets" not in skip:
        digests["synsets_by_word"], digests["synsets"] = synsets_part(wn, words)
    with open(digests_path, "w") as f:
        json.dump(digests, f, indent=1, sort_keys=True)
        f.write("\n")
    if a.import_dir:
        import_part(a.import_dir)
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
