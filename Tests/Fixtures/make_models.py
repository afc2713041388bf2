"""Tiny random Hugging Face models and PyTorch's answers for them, for WeftModels' tests.

Run once on a developer machine (`pip install torch transformers peft safetensors`, then
`PYTHONHASHSEED=0 python3 make_models.py`: PEFT keeps target_modules in a set); the
outputs are committed and the test suite never needs Python. For each architecture it
writes, under models/<name>/: the model folder (config.json + model.safetensors), a PEFT
LoRA adapter (adapter/), inputs (inputs.json), expected.safetensors with the logits, the
loss and the gradient of every LoRA matrix, and expected_full.safetensors with the gradient of
every base parameter (full fine-tuning). bert-tiny-cls also gets a sequence-classification
adapter whose classifier is a `modules_to_save` copy (adapter-cls/, expected_cls.safetensors). Everything in float32 on the CPU, eager attention.
"""
import json, os
import torch
from safetensors.torch import save_file
from transformers import Qwen2Config, Qwen2ForCausalLM
from transformers import BertConfig, BertForSequenceClassification, GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM
from peft import LoraConfig, get_peft_model

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models")
torch.manual_seed(0)


def write_case(name, model, lora_targets, ids, mask, labels, r=4, alpha=8, extra_inputs={}, adamw_steps=0, generate=False, **lora_extra):
    out = os.path.join(here, name)
    os.makedirs(out, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    # Full fine-tuning: the gradient of every base parameter (checkpoint names and layouts).
    model.zero_grad()
    full_loss = model(input_ids=ids, attention_mask=mask, labels=labels, **extra_inputs).loss
    full_loss.backward()
    full = {"loss": full_loss.detach().reshape(1)}
    for n, p in model.named_parameters():
        full["grad." + n] = p.grad.detach().contiguous()
    model.zero_grad()
    save_file(full, os.path.join(out, "expected_full.safetensors"))
    generated = None
    if generate:
        # Greedy generation of two left-padded prompts (before PEFT wraps the model in place).
        prompts = [[5, 17, 3], [9, 22, 31, 4, 8]]
        width = max(map(len, prompts))
        gids = torch.tensor([[0] * (width - len(p)) + p for p in prompts])
        gmask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
        with torch.no_grad():
            res = model.generate(input_ids=gids, attention_mask=gmask, max_new_tokens=6, do_sample=False, pad_token_id=0,
                                 eos_token_id=None, min_new_tokens=6)
        generated = res[:, width:].contiguous()
    peft_model = get_peft_model(model, LoraConfig(r=r, lora_alpha=alpha, target_modules=lora_targets, lora_dropout=0.0, **lora_extra))
    # PEFT starts B at zero, which would make every A gradient zero: give B values too.
    with torch.no_grad():
        for n, p in peft_model.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.2)
    peft_model.save_pretrained(os.path.join(out, "adapter"), safe_serialization=True)
    os.remove(os.path.join(out, "adapter", "README.md"))
    peft_model.train()
    res = peft_model(input_ids=ids, attention_mask=mask, labels=labels, **extra_inputs)
    res.loss.backward()
    expected = {"logits": res.logits.detach().contiguous(), "loss": res.loss.detach().reshape(1)}
    for n, p in peft_model.named_parameters():
        if p.requires_grad:
            expected["grad." + n] = p.grad.detach().contiguous()
    # Without the adapter: the base model's logits.
    with torch.no_grad():
        with peft_model.disable_adapter():
            expected["base_logits"] = peft_model(input_ids=ids, attention_mask=mask, **extra_inputs).logits.contiguous()
    # Five AdamW steps on the same batch from these LoRA weights: the loss before each step.
    if adamw_steps:
        peft_model.zero_grad()
        opt = torch.optim.AdamW([p for p in peft_model.parameters() if p.requires_grad], lr=1e-2, betas=(0.9, 0.999),
                                eps=1e-8, weight_decay=0.01)
        losses = []
        for _ in range(adamw_steps):
            opt.zero_grad()
            loss = peft_model(input_ids=ids, attention_mask=mask, labels=labels, **extra_inputs).loss
            losses.append(loss.item())
            loss.backward()
            opt.step()
        expected["adamw_losses"] = torch.tensor(losses, dtype=torch.float32)
    if generated is not None:
        expected["generated"] = generated.to(torch.int64)
    save_file(expected, os.path.join(out, "expected.safetensors"))
    with open(os.path.join(out, "inputs.json"), "w") as f:
        json.dump({"input_ids": ids.tolist(), "attention_mask": mask.tolist(), "labels": labels.tolist(),
                   **{k: v.tolist() for k, v in extra_inputs.items()}}, f)
    for root, _, files in os.walk(out):
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)


cfg = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=64, rms_norm_eps=1e-6, rope_theta=10000.0,
                  tie_word_embeddings=False, attn_implementation="eager", torch_dtype="float32")
model = LlamaForCausalLM(cfg).float()
with torch.no_grad():
    for p in model.parameters():
        p.normal_(0, 0.3)  # larger than the default init, so every layer matters
ids = torch.tensor([[5, 17, 3, 42, 8, 60, 1], [9, 22, 31, 4, 0, 0, 0]])
mask = torch.tensor([[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0]])
labels = ids.clone()
labels[mask == 0] = -100
labels[0, 2] = -100
write_case("llama-tiny", model, ["q_proj", "v_proj", "o_proj", "gate_proj", "down_proj"], ids, mask, labels, adamw_steps=5, generate=True)

gcfg = GPT2Config(vocab_size=64, n_positions=32, n_embd=32, n_layer=2, n_head=4, activation_function="gelu_new",
                  resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, attn_implementation="eager")
gmodel = GPT2LMHeadModel(gcfg).float()
with torch.no_grad():
    for p in gmodel.parameters():
        p.normal_(0, 0.3)
write_case("gpt2-tiny", gmodel, ["c_attn", "c_proj", "c_fc"], ids, mask, labels, adamw_steps=5, generate=True, fan_in_fan_out=True)

bcfg = BertConfig(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48,
                  max_position_embeddings=32, type_vocab_size=2, hidden_act="gelu", hidden_dropout_prob=0.0,
                  attention_probs_dropout_prob=0.0, num_labels=3, attn_implementation="eager")
bmodel = BertForSequenceClassification(bcfg).float()
with torch.no_grad():
    for p in bmodel.parameters():
        p.normal_(0, 0.3)
types = torch.tensor([[0, 0, 0, 1, 1, 1, 1], [0, 0, 1, 1, 0, 0, 0]])
write_case("bert-tiny-cls", bmodel, ["query", "value", "dense"], ids, mask, torch.tensor([2, 0]),
           extra_inputs={"token_type_ids": types})

# Llama 3 style RoPE scaling, and Qwen2 (q/k/v biases) with tied embeddings: base logits and LoRA gradients.
rcfg = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                   num_key_value_heads=4, max_position_embeddings=64, rms_norm_eps=1e-5, tie_word_embeddings=True,
                   rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
                                    "high_freq_factor": 4.0, "original_max_position_embeddings": 4},
                   attn_implementation="eager")
rmodel = LlamaForCausalLM(rcfg).float()
with torch.no_grad():
    for p in rmodel.parameters():
        p.normal_(0, 0.3)
write_case("llama3-rope-tied", rmodel, ["k_proj", "up_proj"], ids, mask, labels, generate=True)

qcfg = Qwen2Config(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                   num_key_value_heads=2, max_position_embeddings=64, rms_norm_eps=1e-6, tie_word_embeddings=True,
                   attn_implementation="eager")
qmodel = Qwen2ForCausalLM(qcfg).float()
with torch.no_grad():
    for p in qmodel.parameters():
        p.normal_(0, 0.3)
write_case("qwen2-tiny", qmodel, ["q_proj", "k_proj", "v_proj"], ids, mask, labels, generate=True)

# A sequence-classification adapter as PEFT writes one: LoRA on query/value plus a trained copy
# of the classifier (modules_to_save), which replaces the base's head.
out = os.path.join(here, "bert-tiny-cls")
bmodel = BertForSequenceClassification.from_pretrained(out, attn_implementation="eager").float()
cls_model = get_peft_model(bmodel, LoraConfig(task_type="SEQ_CLS", r=4, lora_alpha=8, target_modules=["query", "value"], lora_dropout=0.0))
with torch.no_grad():
    for n, p in cls_model.named_parameters():
        if "lora_B" in n or "modules_to_save" in n:
            p.normal_(0, 0.3)
cls_model.save_pretrained(os.path.join(out, "adapter-cls"), safe_serialization=True)
os.remove(os.path.join(out, "adapter-cls", "README.md"))
cls_model.eval()
with torch.no_grad():
    logits = cls_model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits.contiguous()
save_file({"logits": logits}, os.path.join(out, "expected_cls.safetensors"))
for root, _, files in os.walk(os.path.join(out, "adapter-cls")):
    for name in files:
        os.chmod(os.path.join(root, name), 0o644)
