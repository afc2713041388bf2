#!/usr/bin/env python3
"""Weft's side of the DVC benchmarks in ../shared/bench/dvc (same workspaces, same harness).

usage: Benchmarks/bench_weft.py --weft .build/release/weft --scratch DIR --lock LOCKFILE
                                [--parts pipeline,parallel,data] [--sizes 100,500] [--reps 3]
                                [--json OUT.json] [--md OUT.md]
       Benchmarks/bench_weft.py --table-from OUT.json [--md OUT.md]   (table only)

Pipelines come from the shared `gen_workspace.py --no-dvc` (identical dvc.yaml,
params.yaml and inputs to the ones DVC was measured on), timed with the shared
`benchlib.Bench` (benchmark flock, CPU-quiet wait, GNU time for CPU and peak RSS).
Weft counts stages the same way the DVC harness does: `Running stage '` lines.

Data: Weft has no `add`; a 1 GiB file and a folder of 10,000 4 KiB files become
stage outputs (the stage `mv`s them into place, O(1)), so the timed `weft repro`
is hash + store + link back, as `dvc add` is. Checkout is `weft checkout` after
deleting the output.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "bench", "dvc"))


def load_benchlib(shared):
    sys.path.insert(0, shared)
    import benchlib  # noqa: E402
    return benchlib


def gen(bl, shared, ws, shape, n, env, extra=()):
    if os.path.exists(ws):
        shutil.rmtree(ws)
    subprocess.run([sys.executable, os.path.join(shared, "gen_workspace.py"), ws, "--shape", shape, "--n", str(n), "--no-dvc"]
                   + list(extra), env=env, check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(ws, "bench_meta.json")) as f:
        return json.load(f)


def bump_input(ws, rel, tag):
    with open(os.path.join(ws, rel), "a") as f:
        f.write(f"bump {tag}\n")


def set_seed(ws, value):
    p = os.path.join(ws, "params.yaml")
    with open(p) as f:
        lines = f.read().splitlines()
    out, in_leaf = [], False
    for line in lines:
        if line.startswith("leaf:"):
            in_leaf = True
        elif line and not line.startswith(" "):
            in_leaf = False
        if in_leaf and line.strip().startswith("seed:"):
            line = line[: len(line) - len(line.lstrip())] + f"seed: {value}"
        out.append(line)
    with open(p, "w") as f:
        f.write("\n".join(out) + "\n")


def summary(bl, runs):
    s = bl.summarize(runs)
    s["maxrss_mib"] = max((r.get("maxrss_mib", 0) for r in runs), default=0)
    s["ran"] = [r.get("ran") for r in runs]
    return s


def pipeline(bl, a, bench, env, res):
    for shape in a.shapes.split(","):
        for n in [int(x) for x in a.sizes.split(",")]:
            print(f"== {shape} N={n}", file=sys.stderr, flush=True)
            ws = os.path.join(a.scratch, f"ws_{shape}_{n}")
            case = {"shape": shape, "n": n}
            first = []
            for r in range(a.reps):
                meta = gen(bl, a.shared, ws, shape, n, env)
                x = bench.run([a.weft, "repro"], ws, env, label=f"{shape}{n} first#{r}")
                x["ran"] = bl.count_ran(x["output"])
                first.append(x)
            noop, status, leaf, param = [], [], [], []
            for r in range(a.reps):
                x = bench.run([a.weft, "repro"], ws, env, label=f"{shape}{n} noop#{r}")
                x["ran"] = bl.count_ran(x["output"])
                noop.append(x)
            for r in range(a.reps):
                x = bench.run([a.weft, "status"], ws, env, label=f"{shape}{n} status#{r}")
                x["ran"] = 0 if "up to date" in x["output"] else -1
                status.append(x)
            for r in range(a.reps):
                bump_input(ws, meta["probe_input"], r)
                x = bench.run([a.weft, "repro"], ws, env, label=f"{shape}{n} leaf#{r}")
                x["ran"] = bl.count_ran(x["output"])
                leaf.append(x)
            for r in range(a.reps):
                set_seed(ws, 100 + r)
                x = bench.run([a.weft, "repro"], ws, env, label=f"{shape}{n} param#{r}")
                x["ran"] = bl.count_ran(x["output"])
                param.append(x)
            final = bl.sh([a.weft, "status"], cwd=ws, env=env)
            case["final_up_to_date"] = "up to date" in final
            case["expected_reruns"] = meta["expected_reruns"]
            for k, runs in [("a_first_repro", first), ("b_noop_repro", noop), ("c_status", status),
                            ("d_leaf_input_repro", leaf), ("e_param_repro", param)]:
                case[k] = summary(bl, runs)
            case["per_stage_s"] = case["a_first_repro"]["median"] / n
            res["pipeline"].append(case)
            print(json.dumps({k: (v["median"] if isinstance(v, dict) and "median" in v else v) for k, v in case.items()}),
                  file=sys.stderr, flush=True)


def parallel(bl, a, bench, env, res):
    ws = os.path.join(a.scratch, "ws_sleep")
    runs = []
    for r in range(a.reps):
        gen(bl, a.shared, ws, "sleep", 8, env, ["--sleep", "1"])
        x = bench.run([a.weft, "repro", "-j", "8"], ws, env, label=f"sleep8 -j8 #{r}")
        x["ran"] = bl.count_ran(x["output"])
        runs.append(x)
    res["parallel"] = summary(bl, runs)


def data(bl, a, bench, env, res):
    src = os.path.join(a.scratch, "src")
    os.makedirs(src, exist_ok=True)
    big = os.path.join(src, "big.bin")
    if not (os.path.exists(big) and os.path.getsize(big) == a.size_mib << 20):
        with open(big, "wb") as f:
            for _ in range(a.size_mib):
                f.write(os.urandom(1 << 20))
    smalls = os.path.join(src, "smalls")
    if not (os.path.isdir(smalls) and sum(len(f) for _, _, f in os.walk(smalls)) == a.nfiles):
        shutil.rmtree(smalls, ignore_errors=True)
        for i in range(a.nfiles):
            sub = os.path.join(smalls, f"d{i // 1000:02d}")
            os.makedirs(sub, exist_ok=True)
            with open(os.path.join(sub, f"f{i:05d}.bin"), "wb") as f:
                f.write(os.urandom(a.file_kib << 10))
    nbig = os.path.getsize(big)
    out = {}
    for ct in a.cache_types.split(","):
        e = dict(env)
        e["WEFT_CACHE_TYPE"] = ct
        steps = {}

        def rec(name, x, amount):
            steps.setdefault(name, []).append(x)
            x["amount"] = amount

        for r in range(a.reps):
            ws = os.path.join(a.scratch, f"ws_data_{ct}")
            shutil.rmtree(ws, ignore_errors=True)
            os.makedirs(os.path.join(ws, "pipelines"))
            os.makedirs(os.path.join(ws, "staging"))
            with open(os.path.join(ws, "pipelines", "data.yaml"), "w") as f:
                f.write("stages:\n"
                        "  big:\n    cmd: mv staging/big.bin big.bin\n    outs: [big.bin]\n"
                        "  smalls:\n    cmd: mv staging/smalls smalls\n    outs: [smalls]\n")
            bl.sh(["cp", big, os.path.join(ws, "staging", "big.bin")])
            bl.sh(["cp", "-r", smalls, os.path.join(ws, "staging", "smalls")])
            bl.sh("sync")
            rec("cache big file (repro: mv + hash + store + link)", bench.run([a.weft, "repro", "-s", "big"], ws, e, label=f"{ct} big#{r}"), nbig)
            bl.sh("sync")
            rec("cache dir of small files (repro)", bench.run([a.weft, "repro", "-s", "smalls"], ws, e, label=f"{ct} smalls#{r}"), a.nfiles)
            rec("status, unchanged (both)", bench.run([a.weft, "status"], ws, e, label=f"{ct} status#{r}"), 0)
            bl.sh(["rm", "-rf", os.path.join(ws, "big.bin"), os.path.join(ws, "smalls")])
            bl.sh("sync")
            rec("checkout big file (deleted)", bench.run([a.weft, "checkout", "big"], ws, e, label=f"{ct} co big#{r}"), nbig)
            rec("checkout dir of small files (deleted)", bench.run([a.weft, "checkout", "smalls"], ws, e, label=f"{ct} co smalls#{r}"), a.nfiles)
            rec("status after checkout", bench.run([a.weft, "status"], ws, e, label=f"{ct} status2#{r}"), 0)
        out[ct] = {}
        for k, runs in steps.items():
            s = summary(bl, runs)
            amount = runs[0]["amount"]
            if "big" in k:
                s["GB_per_s"] = amount / s["median"] / 1e9
            elif amount:
                s["files_per_s"] = amount / s["median"]
            out[ct][k] = s
    res["data"] = out


# DVC 3.67.1's figures on this machine, from ../shared/bench/dvc/RESULTS.md (medians of 3).
DVC = {
    "status500": 2.213, "noop500": 6.25, "first500": 327.0, "first100": 16.4, "leaf500": 8.05, "param500": 8.13,
    "wide_status500": 1.957, "wide_noop500": 4.57, "wide_first500": 257.0,
    "sleep8": 8.94, "rss_status500": 62,
    "big_hardlink": 2.046, "big_copy": 6.644, "smalls_hardlink": 4127, "smalls_copy": 1469,
    "co_smalls_hardlink": 8151, "co_smalls_copy": 1214,
    "status_both_hardlink": 0.685, "status_both_copy": 0.766, "status_co_hardlink": 0.740, "status_co_copy": 0.787,
}


def table(res):
    """The README's benchmark table: DVC's figure, Weft's, the ratio, and the issue's bar."""
    pipe = {(c["shape"], c["n"]): c for c in res.get("pipeline", [])}
    rows = []

    def ms(x):
        return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"

    def row(what, dvc, weft, ratio, bar, ok):
        rows.append(f"| {what} | {dvc} | {weft} | {ratio} | {bar} | {'yes' if ok else '**no**'} |")

    c5, c1 = pipe.get(("chain", 500)), pipe.get(("chain", 100))
    if c5:
        st, no, fi, lf, pa = (c5[k]["median"] for k in ("c_status", "b_noop_repro", "a_first_repro",
                                                          "d_leaf_input_repro", "e_param_repro"))
        row("no-op `status`, 500-stage chain", ms(DVC["status500"]), ms(st), f"{DVC['status500'] / st:.0f}×",
            "≥ 50× (≤ 45 ms)", st <= 0.045)
        row("no-op `repro`, 500-stage chain", ms(DVC["noop500"]), ms(no), f"{DVC['noop500'] / no:.0f}×",
            "≥ 50× (≤ 125 ms)", no <= 0.125)
        row("first full `repro`, 500-stage chain", ms(DVC["first500"]), ms(fi), f"{DVC['first500'] / fi:.0f}×",
            "≥ 20×", DVC["first500"] / fi >= 20)
        if c1:
            p1, p5 = c1["per_stage_s"], c5["per_stage_s"]
            row("time per stage of the first `repro`, chain at 100 / 500", "164 / 654 ms",
                f"{p1 * 1000:.1f} / {p5 * 1000:.1f} ms", f"{0.164 / p1:.0f}× / {0.654 / p5:.0f}×",
                "linear", p5 <= 1.5 * p1)
        row("one leaf input changed, 500-stage chain", ms(DVC["leaf500"]), ms(lf), f"{DVC['leaf500'] / lf:.0f}×",
            "≥ 20×", DVC["leaf500"] / lf >= 20)
        row("one param changed, 500-stage chain", ms(DVC["param500"]), ms(pa), f"{DVC['param500'] / pa:.0f}×",
            "—", True)
        rss = c5["c_status"]["maxrss_mib"]
        row("peak memory of no-op `status`, 500 stages", f"{DVC['rss_status500']} MiB", f"{rss:.1f} MiB",
            f"{DVC['rss_status500'] / rss:.1f}×", "< 50 MiB", rss < 50)
    w5 = pipe.get(("wide", 500))
    if w5:
        for key, k, what in (("wide_status500", "c_status", "no-op `status`"), ("wide_noop500", "b_noop_repro", "no-op `repro`"),
                             ("wide_first500", "a_first_repro", "first full `repro`")):
            x = w5[k]["median"]
            row(f"{what}, 500 independent stages", ms(DVC[key]), ms(x), f"{DVC[key] / x:.0f}×", "—", True)
    par = res.get("parallel")
    if par:
        x = par["median"]
        row("8 independent `sleep 1` stages, `-j 8`", f"{DVC['sleep8']:.2f} s (serial)", ms(x),
            f"{DVC['sleep8'] / x:.1f}×", "< 1.3 s", x < 1.3)
    data = res.get("data", {})
    big = "cache big file (repro: mv + hash + store + link)"
    for ct in ("hardlink", "copy"):
        d = data.get(ct)
        if not d:
            continue
        b = d[big]
        gbs = b["GB_per_s"]
        dvc_b = DVC["big_" + ct]
        row(f"cache a 1 GiB file ({ct}): hash + store + link back", f"{dvc_b:.2f} s ({1.073741824 / dvc_b:.2f} GB/s)",
            f"{b['median']:.2f} s ({gbs:.2f} GB/s)", f"{dvc_b / b['median']:.1f}×",
            "≥ 1.5 GB/s" if ct == "hardlink" else "—", gbs >= 1.5 if ct == "hardlink" else True)
        sm = d["cache dir of small files (repro)"]["files_per_s"]
        co = d["checkout dir of small files (deleted)"]["files_per_s"]
        row(f"cache a folder of 10,000 4 KiB files ({ct})", f"{DVC['smalls_' + ct]:,} files/s", f"{sm:,.0f} files/s",
            f"{sm / DVC['smalls_' + ct]:.0f}×", "≥ 20k files/s", sm >= 20000)
        row(f"check out that folder after deleting it ({ct})", f"{DVC['co_smalls_' + ct]:,} files/s", f"{co:,.0f} files/s",
            f"{co / DVC['co_smalls_' + ct]:.0f}×", "≥ 20k files/s", co >= 20000)
        st = d["status, unchanged (both)"]["median"]
        row(f"`status` with both unchanged ({ct})", ms(DVC["status_both_" + ct]), ms(st),
            f"{DVC['status_both_' + ct] / st:.0f}×", "< 0.1 s", st < 0.1)
        st2 = d["status after checkout"]["median"]
        row(f"`status` right after both were checked out ({ct})", ms(DVC["status_co_" + ct]), ms(st2),
            f"{DVC['status_co_' + ct] / st2:.0f}×", "—", True)
    head = ["| what (2 cores, ext4, medians of 3) | DVC 3.67.1 | Weft | Weft faster by | bar | met |",
            "| --- | --- | --- | --- | --- | --- |"]
    return "\n".join(head + rows) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weft")
    ap.add_argument("--scratch")
    ap.add_argument("--lock")
    ap.add_argument("--shared", default=SHARED)
    ap.add_argument("--parts", default="pipeline,parallel,data")
    ap.add_argument("--shapes", default="chain")
    ap.add_argument("--sizes", default="100,500")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--nfiles", type=int, default=10000)
    ap.add_argument("--file-kib", type=int, default=4)
    ap.add_argument("--cache-types", default="hardlink,copy")
    ap.add_argument("--json")
    ap.add_argument("--md", help="also write the README's benchmark table here")
    ap.add_argument("--table-from", help="only print the table of an earlier --json result")
    a = ap.parse_args()
    if a.table_from:
        with open(a.table_from) as f:
            text = table(json.load(f))
        if a.md:
            with open(a.md, "w") as f:
                f.write(text)
        print(text, end="")
        return
    if not (a.weft and a.scratch and a.lock):
        ap.error("--weft, --scratch and --lock are required to run the benchmarks")
    a.weft = os.path.abspath(a.weft)
    a.scratch = os.path.abspath(a.scratch)
    os.makedirs(a.scratch, exist_ok=True)
    bl = load_benchlib(a.shared)
    env = bl.isolated_env(a.scratch)
    bench = bl.Bench(a.lock)
    res = {"tool": subprocess.run([a.weft, "--help"], capture_output=True, text=True).stdout.splitlines()[0],
           "machine": bl.machine_info(), "pipeline": []}
    parts = a.parts.split(",")
    if "pipeline" in parts:
        pipeline(bl, a, bench, env, res)
    if "parallel" in parts:
        parallel(bl, a, bench, env, res)
    if "data" in parts:
        data(bl, a, bench, env, res)
    text = json.dumps(res, indent=1, default=str)
    if a.json:
        with open(a.json, "w") as f:
            f.write(text)
    print(text)
    if a.md:
        with open(a.md, "w") as f:
            f.write(table(res))


if __name__ == "__main__":
    main()
