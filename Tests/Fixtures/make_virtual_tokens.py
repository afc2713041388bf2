"""Prompt tuning and prefix tuning (PEFT PROMPT_TUNING / PREFIX_TUNING) on the tiny causal fixture models.

What: for llama-tiny, gpt2-tiny and qwen2-tiny (Tests/Fixtures/models/, made by make_models.py) and each
method, builds a peft model with 3 virtual tokens whose `prompt_embeddings` are seeded N(0, 1) values
(torch.manual_seed per case; N(0, 1) is also peft's own initialisation: torch.nn.Embedding's default),
runs the model's inputs.json batch (right padding, labels with -100) and writes under
virtual/<model>-<prompt|prefix>/:
  - the adapter folder as `save_pretrained` writes it (adapter_config.json + adapter_model.safetensors;
    its model-card README.md is removed), base_model_name_or_path = the base folder relative to the
    repository root;
  - expected.safetensors: `logits` for the real tokens only [B, T, V] (prompt tuning returns P more
    positions in front; they are dropped here), `loss` [1] and `grad` = d loss / d prompt_embeddings.
The script also reloads every adapter with `peft.PeftModel.from_pretrained` and checks that it gives
the same logits as the model it was saved from.

Generation (second section): each saved adapter, loaded with `PeftModel.from_pretrained`, runs peft's
greedy `generate` (DynamicCache) on two prompts of different lengths, left-padded with 0 as transformers
pads, 8 new tokens (eos off, min_new_tokens 8), and virtual/<model>-<method>/generated.safetensors holds
`prompts` [2, T] and `mask` [2, T] (int64, as fed), `generated` [2, 8] (int64, new tokens only) and
`logits` [8, 2, V] (float32, each step's raw logits, `output_logits`). What peft does there (0.21.2 with
transformers 5.23): prefix tuning puts the prefix in cache slots 0..P-1 and offsets transformers'
mask-derived position ids (cumsum(mask) - 1) by P; prompt tuning feeds [P virtual embeddings, prompt
embeddings] on the first step and drops position ids, so positions are arange(P + T) + cache length,
padding included.

Versions: torch 2.15.0, transformers 5.23.0, peft 0.21.2; float32 on the CPU, eager attention.
Rerun: `python3 Tests/Fixtures/make_virtual_tokens.py` (from anywhere); outputs are committed and the
Swift suite never needs Python.
"""
import os
import torch
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM
from peft import PeftModel, PrefixTuningConfig, PromptTuningConfig, get_peft_model
import json

here = os.path.dirname(os.path.abspath(__file__))
P = 3


def base(name):
    return AutoModelForCausalLM.from_pretrained(os.path.join(here, "models", name), attn_implementation="eager",
                                                dtype=torch.float32)


def case(name, method, seed):
    with open(os.path.join(here, "models", name, "inputs.json")) as f:
        x = json.load(f)
    ids, mask, labels = (torch.tensor(x[k]) for k in ("input_ids", "attention_mask", "labels"))
    cfg = (PromptTuningConfig if method == "prompt" else PrefixTuningConfig)(task_type="CAUSAL_LM", num_virtual_tokens=P)
    pm = get_peft_model(base(name), cfg)
    table = pm.prompt_encoder["default"].embedding.weight
    torch.manual_seed(seed)
    with torch.no_grad():
        table.copy_(torch.randn(table.shape))
    out = pm(input_ids=ids, attention_mask=mask, labels=labels)
    out.loss.backward()
    logits = out.logits.detach()
    if method == "prompt":
        assert logits.shape[1] == ids.shape[1] + P
        logits = logits[:, P:]
    assert logits.shape[1] == ids.shape[1]
    folder = os.path.join(here, "virtual", f"{name}-{method}")
    pm.peft_config["default"].base_model_name_or_path = f"Tests/Fixtures/models/{name}"
    pm.save_pretrained(folder)
    os.remove(os.path.join(folder, "README.md"))  # peft's model card template: nothing a test reads
    save_file({"logits": logits.contiguous(), "loss": out.loss.detach().reshape(1), "grad": table.grad.detach().contiguous()},
              os.path.join(folder, "expected.safetensors"))
    # The saved adapter, loaded as users load it, gives the same logits.
    loaded = PeftModel.from_pretrained(base(name), folder)
    with torch.no_grad():
        again = loaded(input_ids=ids, attention_mask=mask).logits
    if method == "prompt":
        again = again[:, P:]
    d = (again - logits).abs().max().item()
    assert d < 1e-6, d
    print(f"{name}-{method}: loss {out.loss.item():.6f}, reload max |dlogit| {d:.2e}, table {tuple(table.shape)}")


for i, name in enumerate(["llama-tiny", "gpt2-tiny", "qwen2-tiny"]):
    for j, method in enumerate(["prompt", "prefix"]):
        case(name, method, seed=100 + 10 * i + j)


# Generation: peft's greedy generate with each saved adapter on a left-padded batch of two prompts.
GEN_PROMPTS = [[5, 17, 3], [9, 22, 31, 4, 8]]
GEN_NEW = 8


def generation(name, method):
    folder = os.path.join(here, "virtual", f"{name}-{method}")
    width = max(map(len, GEN_PROMPTS))
    gids = torch.tensor([[0] * (width - len(p)) + p for p in GEN_PROMPTS])
    gmask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in GEN_PROMPTS])
    pm = PeftModel.from_pretrained(base(name), folder)
    with torch.no_grad():
        res = pm.generate(input_ids=gids, attention_mask=gmask, max_new_tokens=GEN_NEW, min_new_tokens=GEN_NEW, do_sample=False,
                          pad_token_id=0, eos_token_id=None, output_logits=True, return_dict_in_generate=True)
    assert torch.equal(res.sequences[:, :width], gids)
    new = res.sequences[:, width:].contiguous()
    logits = torch.stack(res.logits).contiguous()
    assert new.shape == (2, GEN_NEW) and logits.shape[:2] == (GEN_NEW, 2)
    assert torch.equal(logits.argmax(-1).T, new)
    save_file({"prompts": gids.to(torch.int64), "mask": gmask.to(torch.int64), "generated": new.to(torch.int64),
               "logits": logits.float()}, os.path.join(folder, "generated.safetensors"))
    print(f"{name}-{method}: generated {new.tolist()}")


for name in ["llama-tiny", "gpt2-tiny", "qwen2-tiny"]:
    for method in ["prompt", "prefix"]:
        generation(name, method)
