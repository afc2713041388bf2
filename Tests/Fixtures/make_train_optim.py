"""Reference trajectories for WeftTrain's optimisers and learning-rate schedules.

Writes Tests/Fixtures/train/optim.json:
  "cases": for each optimiser configuration, the initial float32 parameters (a 4x6 matrix and
           a 5-vector), the float32 gradients fed at each of 6 steps, and the parameters after
           every step, computed by the reference implementation in float32 on the CPU:
             sgd        torch.optim.SGD (momentum, nesterov, weight decay)
             adamw      torch.optim.AdamW
             lion       lion-pytorch 0.2.5 (the Lion paper authors' reference update)
             adafactor  transformers.optimization.Adafactor (what the HF Trainer's "adafactor"
                        uses; factored second moments for the matrix, relative step or fixed lr)
  "clip":  torch.nn.utils.clip_grad_norm_ on the two gradients of the first case's first step for
           several max_norm values: the returned total norm and the clipped gradients.
  "schedules": learning-rate multipliers of transformers' get_{constant,linear,cosine}_schedule
           _with_warmup (and plain constant) for each step 0..total, as LambdaLR applies them.

Usage: python3 Tests/Fixtures/make_train_optim.py   (torch, transformers, lion-pytorch installed)
"""
import json
import math
import os

import torch
from lion_pytorch import Lion
from transformers.optimization import (Adafactor, get_constant_schedule, get_constant_schedule_with_warmup,
                                       get_cosine_schedule_with_warmup, get_linear_schedule_with_warmup)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "train", "optim.json")
STEPS = 6


def f32(values):
    return torch.tensor(values, dtype=torch.float32)


def case(name, make, **kw):
    torch.manual_seed(len(name) * 7 + len(kw))
    m = (torch.randn(4, 6) * 0.5).float()
    v = (torch.randn(5) * 0.5).float()
    pm, pv = torch.nn.Parameter(m.clone()), torch.nn.Parameter(v.clone())
    opt = make([pm, pv], **kw)
    grads, after = [], []
    for s in range(STEPS):
        gm = f32([[math.sin(0.37 * (i * 6 + j + 1) * (s + 1)) * 0.1 for j in range(6)] for i in range(4)])
        gv = f32([math.cos(0.53 * (i + 1) * (s + 1)) * 0.2 for i in range(5)])
        if s == 3:
            gv[2] = 0.0  # an exact zero gradient (Lion's sign, SGD's buffer)
        pm.grad, pv.grad = gm.clone(), gv.clone()
        opt.step()
        grads.append([gm.flatten().tolist(), gv.tolist()])
        after.append([pm.detach().flatten().tolist(), pv.detach().tolist()])
    return {"name": name, "options": kw, "initial": [m.flatten().tolist(), v.tolist()], "shapes": [[4, 6], [5]],
            "grads": grads, "after": after}


def main():
    cases = [
        case("sgd", torch.optim.SGD, lr=0.1),
        case("sgd", torch.optim.SGD, lr=0.05, momentum=0.9),
        case("sgd", torch.optim.SGD, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
        case("sgd", torch.optim.SGD, lr=0.05, momentum=0.8, dampening=0.1, weight_decay=0.1),
        case("adamw", torch.optim.AdamW, lr=0.01, weight_decay=0.01),
        case("adamw", torch.optim.AdamW, lr=0.003, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1),
        case("lion", Lion, lr=1e-3, weight_decay=0.0),
        case("lion", Lion, lr=3e-4, betas=(0.95, 0.98), weight_decay=0.1),
        case("adafactor", Adafactor, lr=None),
        case("adafactor", Adafactor, lr=1e-2, scale_parameter=False, relative_step=False),
        case("adafactor", Adafactor, lr=1e-2, scale_parameter=True, relative_step=False, beta1=0.9, weight_decay=0.01),
        case("adafactor", Adafactor, lr=None, warmup_init=True, clip_threshold=0.5),
    ]
    schedules = []
    for name, fn, kw in [("constant", get_constant_schedule, {}),
                         ("constant", get_constant_schedule_with_warmup, {"num_warmup_steps": 3}),
                         ("linear", get_linear_schedule_with_warmup, {"num_warmup_steps": 3, "num_training_steps": 12}),
                         ("linear", get_linear_schedule_with_warmup, {"num_warmup_steps": 0, "num_training_steps": 7}),
                         ("cosine", get_cosine_schedule_with_warmup, {"num_warmup_steps": 2, "num_training_steps": 11}),
                         ("cosine", get_cosine_schedule_with_warmup, {"num_warmup_steps": 0, "num_training_steps": 5})]:
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=1.0)
        sch = fn(opt, **kw)
        total = kw.get("num_training_steps", 10)
        factors = []
        for _ in range(total + 2):
            factors.append(opt.param_groups[0]["lr"])
            opt.step()
            sch.step()
        schedules.append({"name": name, "warmup": kw.get("num_warmup_steps", 0), "total": total, "factors": factors})
    clip = []
    for max_norm in (0.05, 0.3, 10.0):
        g = [f32(x) for x in cases[0]["grads"][0]]
        ps = [torch.nn.Parameter(torch.zeros_like(x)) for x in g]
        for p, x in zip(ps, g):
            p.grad = x.clone()
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm)
        clip.append({"max_norm": max_norm, "total_norm": float(total), "grads": [p.grad.tolist() for p in ps]})
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"cases": cases, "schedules": schedules, "clip": clip}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
