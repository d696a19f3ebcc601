"""Benchmark tangentlike against a hand-written NumPy gradient and the installed peers.

    python benchmarks/run.py            # full run (~3 minutes), writes results.md, ratios.png
    python benchmarks/run.py --quick    # smoke run (seconds), writes nothing unless --out

See benchmarks/README.md for what is measured and how.
"""
import os

# Pin BLAS/OpenMP (and XLA's) threads to 1 before anything imports NumPy.
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
for _var in THREAD_VARS:
    os.environ[_var] = "1"
if "xla_cpu_multi_thread_eigen" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                               + " --xla_cpu_multi_thread_eigen=false"
                               " intra_op_parallelism_threads=1").strip()
os.environ["TANGENT_DISK_CACHE"] = "0"   # tangent-ad: no gradients reused across runs

import argparse  # noqa: E402
import datetime  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
import types  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import tangentlike as tl  # noqa: E402

import cases as cases_mod  # noqa: E402
import peers as peers_mod  # noqa: E402
from timing import measure_interleaved  # noqa: E402

TARGET = 1.2            # tangentlike's target: gradient time <= 1.2x the hand-written one
GRADIENTS = ("hand", "tangentlike") + peers_mod.PEER_NAMES
COLUMNS = ("f",) + GRADIENTS
SLOW_BUDGET = 4.0       # seconds of repeats per implementation before it gets only 3 of them


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="smoke run: tiny timing budget, one fresh process per cold timing, "
                        "no jax.jit; writes no report unless --out is given")
    p.add_argument("--cases", default="all",
                   help="comma-separated case keys (default all): "
                        + ",".join(c.key for c in cases_mod.CASES))
    p.add_argument("--peers", default=None,
                   help="comma-separated peers, 'all' (the installed ones; the default) or "
                        "'none' (the default with --quick): "
                        + ",".join(peers_mod.PEER_NAMES))
    p.add_argument("--out", default=None,
                   help="directory for results.md and ratios.png (default: benchmarks/, "
                        "or none with --quick)")
    p.add_argument("--min-time", type=float, default=None,
                   help="seconds per measurement (default 0.05, 0.002 with --quick)")
    p.add_argument("--repeat", type=int, default=None,
                   help="measurements per implementation, median reported (default 7, 3 quick)")
    p.add_argument("--jit-timeout", type=float, default=45.0,
                   help="seconds allowed for one jax.jit child process (compile + timing)")
    p.add_argument("--no-plot", action="store_true", help="do not write ratios.png")
    args = p.parse_args(argv)
    args.min_time = args.min_time or (0.002 if args.quick else 0.05)
    args.repeat = args.repeat or (3 if args.quick else 7)
    args.peers = args.peers or ("none" if args.quick else "all")
    if args.out is None and not args.quick:
        args.out = HERE
    return args


def loud(message):
    bar = "!" * 78
    print(f"\n{bar}\n{message}\n{bar}\n", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- environment


def cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_info():
    """What BLAS NumPy uses and how many threads it runs, as far as can be told."""
    try:
        import threadpoolctl
        pools = threadpoolctl.threadpool_info()
        return "; ".join(f"{p.get('internal_api')} {p.get('version') or ''} "
                         f"({os.path.basename(p.get('filepath', ''))}): "
                         f"num_threads={p.get('num_threads')}" for p in pools) or "none found"
    except ImportError:
        pass
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')} (threadpoolctl not installed: thread " \
               "count not read back)"
    except Exception:  # noqa: BLE001
        return "unknown"


def git_state(directory):
    """Commit of the checkout that holds ``directory`` and whether its tangentlike/ differs."""
    def run(*cmd):
        try:
            return subprocess.run(cmd, cwd=directory, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except Exception:  # noqa: BLE001
            return ""
    head = run("git", "rev-parse", "--short", "HEAD") or "unknown"
    dirty = run("git", "status", "--porcelain", "--", "tangentlike")
    return head, bool(dirty)


def _loadavg():
    try:
        return "%.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        return "unknown"


def environment(loaded, skipped):
    source = os.path.dirname(os.path.dirname(os.path.abspath(tl.__file__)))
    head, dirty = git_state(source)
    env = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]),
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpu": f"{cpu_model()}, {os.cpu_count()} logical cores",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas_info(),
        "tangentlike": f"{tl.__version__} at commit {head}"
                       + (" + uncommitted changes in tangentlike/" if dirty else "")
                       + ("" if source == ROOT else f", imported from {source}"),
        "threads": ", ".join(f"{v}={os.environ.get(v)}" for v in THREAD_VARS)
                   + f", XLA_FLAGS='{os.environ.get('XLA_FLAGS')}'",
        "other": ", ".join(f"{v}={os.environ[v]}" for v in ("OPENBLAS_CORETYPE",
                                                             "OPENBLAS_L2_SIZE")
                           if v in os.environ) or "none",
        "load": _loadavg(),
        "peers": {name: peer.version for name, peer in loaded.items()},
        "skipped": skipped,
    }
    return env


# --------------------------------------------------------------------------- gradients


class Row:
    def __init__(self, case):
        self.case = case
        self.seconds = {}      # column -> seconds per call (median of the measurements)
        self.best = {}         # column -> seconds per call (minimum of the measurements)
        self.status = {}       # column -> why there is no time ("wrong: ...", "error: ...")
        self.compile_s = None  # jax.jit first call


def prepare(case, loaded, quick):
    """The timed callables of a case, each checked against the hand-written gradient."""
    args = case.args()
    want = case.hand(*args)
    impls = {"f": (case.f, args), "hand": (case.hand, args)}
    status = {}
    builders = {"tangentlike": lambda: (tl.grad(case.f, wrt=case.wrt), args, lambda g: g)}
    for name, peer in loaded.items():
        if name != "jax.jit":
            builders[name] = (lambda peer=peer: peer.gradient(case, args))
    for name, build in builders.items():
        try:
            fn, fargs, to_numpy = build()
            got = to_numpy(fn(*fargs))
            if name == "tangentlike":   # (the first call runs the generic derivative, the
                # second the version derived for these arguments: both are checked)
                mismatch = cases_mod.compare(got, want, case.wrt)
                if not mismatch:
                    got = to_numpy(fn(*fargs))
        except Exception as exc:  # noqa: BLE001 - a failing peer is reported, not fatal
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            status[name] = f"fails: {type(exc).__name__}: {first[:160]}"
            if name == "tangentlike":
                loud(f"tangentlike FAILED on case {case.key}: {type(exc).__name__}: {exc}")
            continue
        mismatch = cases_mod.compare(got, want, case.wrt)
        if mismatch:
            status[name] = f"WRONG: {mismatch}"
            loud(f"WRONG GRADIENT: {name} on case {case.key} ({case.label}) differs from the "
                 f"hand-written gradient: {mismatch}. Not timed.")
            continue
        impls[name] = (fn, fargs)
    return impls, status


def run_jit(case, args, timeout):
    cmd = [sys.executable, os.path.join(HERE, "peers.py"), "jit", case.key,
           str(args.min_time), str(args.repeat)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"not finished in {timeout:.0f} s (trace + XLA compile of the "
                         "unrolled Python loop)", "timeout": True}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"child process failed: {tail[:200]}"}
    return json.loads(lines[-1])


def bench_case(case, loaded, args):
    row = Row(case)
    impls, row.status = prepare(case, loaded, args.quick)
    gc.collect()
    samples = measure_interleaved(impls, args.min_time, args.repeat,
                                  budget=None if args.quick else SLOW_BUDGET)
    row.seconds.update({name: statistics.median(v) for name, v in samples.items()})
    row.best.update({name: min(v) for name, v in samples.items()})
    if "jax.jit" in loaded:
        if args.quick:
            row.status["jax.jit"] = "skipped (--quick)"
        else:
            result = run_jit(case, args, args.jit_timeout)
            if "seconds" in result:
                row.seconds["jax.jit"] = result["seconds"]
                row.best["jax.jit"] = result["best_seconds"]
                row.compile_s = result["compile_s"]
            elif "mismatch" in result:
                row.status["jax.jit"] = f"WRONG: {result['mismatch']}"
                loud(f"WRONG GRADIENT: jax.jit on case {case.key}: {result['mismatch']}")
            else:
                row.status["jax.jit"] = "fails: " + result["error"]
    for name in peers_mod.PEER_NAMES:
        if name not in loaded and name not in row.status:
            row.status[name] = "not installed"
    return row


# --------------------------------------------------------------------------- other numbers


def fresh_python(code, runs, env=None):
    """Run ``code`` in ``runs`` fresh interpreters; each prints one float (or JSON)."""
    values = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             cwd=HERE, timeout=120, env=env)
        if out.returncode != 0:
            raise RuntimeError(out.stderr.strip().splitlines()[-1])
        values.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return values


COLD_TEMPLATE = """
import sys, time, json
sys.path.insert(0, {here!r})
import tangentlike as tl
import cases
f, wrt = {target}
start = time.perf_counter()
tl.grad(f, wrt=wrt)
print(json.dumps(time.perf_counter() - start))
"""


def transformation_times(selected, loaded, runs):
    """Cold: ``tl.grad(f)`` as the first derivation in a fresh process (tangentlike and
    the cases module already imported). Warm: in this process, on a fresh copy of the
    function (a cache miss). tangent-ad: warm, in this process."""
    targets = {}
    for case in selected:
        targets.setdefault((_global_name(case.f), case.wrt), (case.f, case.args))
    for name, (f, wrt, args) in cases_mod.TRANSFORM_ONLY.items():
        targets[(name, wrt)] = (f, args)
    rows = []
    for (name, wrt), (f, make_args) in targets.items():
        lines = len([ln for ln in _source_lines(f)[1:] if ln.strip()])
        code = COLD_TEMPLATE.format(here=HERE, target=f"(cases.{name}, {wrt!r})")
        try:
            cold = statistics.median(fresh_python(code, runs))
        except Exception as exc:  # noqa: BLE001
            cold = None
            loud(f"cold transformation of {name} failed: {exc}")
        warm = statistics.median(_warm(lambda: tl.grad(_copy(f), wrt=wrt)) for _ in range(5))
        # the first call runs the generic derivative, the second derives the version
        # specialized to the arguments' shapes (specialize.Dispatcher.first_sight)
        args = make_args()
        calls = [_first_calls(_copy(f), wrt, args) for _ in range(5)]
        first = statistics.median(c[0] for c in calls)
        second = statistics.median(c[1] for c in calls)
        tangent_ad = None
        if "tangent-ad" in loaded:
            try:
                # tangent-ad caches by source in memory (and on disk): time its uncached
                # entry point, as tangentlike's warm time is a cache miss too
                uncached = loaded["tangent-ad"].tangent.grad_util._grad_uncached
                wt = wrt if isinstance(wrt, tuple) else (wrt,)
                tangent_ad = statistics.median(
                    _warm(lambda: peers_mod.quietly(uncached, _copy(f), wrt=wt)) for _ in range(3))
            except Exception:  # noqa: BLE001
                tangent_ad = None
        rows.append({"function": name, "wrt": wrt, "lines": lines, "cold": cold, "warm": warm,
                     "first": first, "second": second, "tangent-ad": tangent_ad})
    return rows


def _source_lines(f):
    import inspect
    return inspect.getsource(f).splitlines()


def _global_name(f) -> str:
    """How the cases module reaches ``f``: ``twice_dot``, or ``MLP_MODEL.loss`` for a
    method of an object it holds."""
    if isinstance(f, types.MethodType):
        holder = next(name for name, value in vars(cases_mod).items() if value is f.__self__)
        return f"{holder}.{f.__name__}"
    return f.__name__


def _copy(f):
    if isinstance(f, types.MethodType):   # (the method's function copied, of the object)
        return types.MethodType(_copy(f.__func__), f.__self__)
    return types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__,
                              f.__closure__)


def _first_calls(f, wrt, args):
    """The extra cost of the first call (which runs the generic derivative) and of the
    second (which derives the version for these arguments): each one's time with the
    third call's, the gradient itself, taken off. ``f`` stays alive here: a derivative
    keeps only a weak reference to its function, and derives no version for one that
    is gone."""
    df = tl.grad(f, wrt=wrt)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        df(*args)
        times.append(time.perf_counter() - start)
    return max(times[0] - times[2], 0.0), max(times[1] - times[2], 0.0)


def _warm(build):
    start = time.perf_counter()
    build()
    return time.perf_counter() - start


IMPORT_NUMPY_THEN_TL = """
import time, json
import numpy
start = time.perf_counter()
import tangentlike
print(json.dumps(time.perf_counter() - start))
"""
IMPORT_TL = """
import time, json
start = time.perf_counter()
import tangentlike
print(json.dumps(time.perf_counter() - start))
"""
IMPORT_NUMPY = """
import time, json
start = time.perf_counter()
import numpy
print(json.dumps(time.perf_counter() - start))
"""


def import_times(runs):
    """Fresh interpreters, as the environment has them (whether Python may write the
    compiled bytecode it reads next time), and once more with a bytecode cache of
    their own, written by a first import (as after a regular ``pip install``)."""
    import tempfile
    times = {"tangentlike (with numpy)": statistics.median(fresh_python(IMPORT_TL, runs)),
             "numpy alone": statistics.median(fresh_python(IMPORT_NUMPY, runs)),
             "tangentlike after numpy": statistics.median(
                 fresh_python(IMPORT_NUMPY_THEN_TL, runs))}
    with tempfile.TemporaryDirectory() as cache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        fresh_python(IMPORT_NUMPY_THEN_TL, 1, env)   # writes the cache
        times["tangentlike after numpy, bytecode cached"] = statistics.median(
            fresh_python(IMPORT_NUMPY_THEN_TL, runs, env))
    return times


def identity(x):
    return x


def call_overhead(args):
    """Per-call cost of a derived function: ``tl.grad(identity)`` against ``identity``
    itself, and against the source of the version it runs (specialized to a float)
    compiled as a plain function (which shows what the entry around it costs)."""
    derived = tl.grad(identity)
    derived(1.5)
    derived(1.5)   # (the second call with a kind derives its version)
    (version,) = derived.versions.values()
    namespace = dict(version.__globals__)
    namespace.update(zip(version.__code__.co_freevars,
                         (cell.cell_contents for cell in version.__closure__ or ())))
    exec(compile(version.source, "<generated copy>", "exec"), namespace)
    plain_copy = namespace[version.__name__]
    min_time = max(args.min_time, 0.01 if args.quick else 0.2)
    samples = measure_interleaved({"identity": (identity, (1.5,)), "derived": (derived, (1.5,)),
                                   "copy": (plain_copy, (1.5,))}, min_time, max(args.repeat, 5))
    times = {name: statistics.median(v) for name, v in samples.items()}
    return {"identity_s": times["identity"], "derived_s": times["derived"],
            "copy_s": times["copy"], "source": version.source}


def peak_memory(fn, fargs):
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        fn(*fargs)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def memory(selected):
    rows = []
    for case in selected:
        if not case.loop:
            continue
        args = case.args()
        rows.append({"case": case, "f": peak_memory(case.f, args),
                     "hand": peak_memory(case.hand, args),
                     "tangentlike": peak_memory(tl.grad(case.f, wrt=case.wrt), args)})
    return rows


# --------------------------------------------------------------------------- reporting


def fmt_time(seconds):
    us = seconds * 1e6
    if us < 10:
        return f"{us:.2f}"
    if us < 1000:
        return f"{us:.1f}"
    return f"{us:,.0f}"


def fmt_ratio(r):
    return f"{r:.2f}" if r < 10 else f"{r:.1f}" if r < 100 else f"{r:,.0f}"


def cell_time(row, col):
    if col in row.seconds:
        return fmt_time(row.seconds[col])
    status = row.status.get(col, "")
    if status.startswith("WRONG"):
        return "WRONG"
    if status.startswith("fails"):
        return "fails"
    if status == "not installed" or status.startswith("skipped"):
        return "—"
    return "?"


def cell_ratio(row, col, mark=False):
    if col not in row.seconds or "hand" not in row.seconds:
        return cell_time(row, col)
    r = row.seconds[col] / row.seconds["hand"]
    text = fmt_ratio(r)
    if mark and col == "tangentlike" and r > TARGET:
        text = f"**{text}**"
    return text


def present_columns(rows):
    return [c for c in COLUMNS if any(c in r.seconds or r.status.get(c, "").startswith(
        ("WRONG", "fails")) for r in rows)]


def text_table(headers, body):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *body)]
    line = lambda cells: "  ".join(str(c).rjust(w) if i else str(c).ljust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(b) for b in body])


def md_table(headers, body, numeric=True):
    out = ["| " + " | ".join(headers) + " |",
           "|" + "|".join("---:" if i and numeric else "---" for i in range(len(headers))) + "|"]
    out += ["| " + " | ".join(str(c) for c in b) + " |" for b in body]
    return "\n".join(out)


def tables(rows):
    cols = present_columns(rows)
    times_headers = ["case"] + list(cols)
    times_body = [[r.case.label] + [cell_time(r, c) for c in cols] for r in rows]
    ratio_cols = [c for c in cols if c != "hand"]
    ratio_headers = ["case"] + ratio_cols + ["tangentlike/f"]
    ratio_body = []
    for r in rows:
        tl_over_f = (fmt_ratio(r.seconds["tangentlike"] / r.seconds["f"])
                     if "tangentlike" in r.seconds else "—")
        ratio_body.append([r.case.label] + [cell_ratio(r, c) for c in ratio_cols] + [tl_over_f])
    return times_headers, times_body, ratio_headers, ratio_body


def best_ratio_table(rows):
    cols = [c for c in present_columns(rows) if c not in ("f", "hand")]
    body = []
    for r in rows:
        cells = [r.case.label]
        for c in ["f"] + cols:
            if c in r.best and "hand" in r.best:
                cells.append(fmt_ratio(r.best[c] / r.best["hand"]))
            else:
                cells.append(cell_time(r, c))
        body.append(cells)
    return ["case (min-based)", "f"] + cols, body


def print_report(env, rows, transforms, imports, overhead, mem):
    print()
    print(f"threads: {env['threads']}")
    print(f"numpy {env['numpy']}, BLAS: {env['blas']}")
    print("peers: " + (", ".join(f"{k} {v}" for k, v in env["peers"].items()) or "none")
          + ("; skipped: " + ", ".join(f"{k} ({v})" for k, v in env["skipped"].items())
             if env["skipped"] else ""))
    th, tb, rh, rb = tables(rows)
    print("\nGradient time per call, microseconds (median):\n")
    print(text_table(th, tb))
    print(f"\nRatio to the hand-written gradient (target for tangentlike: <= {TARGET}):\n")
    print(text_table(rh, rb))
    print("\nThe same from the fastest measurement (less sensitive to other load):\n")
    print(text_table(*best_ratio_table(rows)))
    compiles = [(r.case.label, r.compile_s) for r in rows if r.compile_s is not None]
    if compiles:
        print("\njax.jit first call (trace + compile + run), s: "
              + ", ".join(f"{label}: {s:.2f}" for label, s in compiles))
    problems = [(r.case.key, c, s) for r in rows for c, s in r.status.items()
                if s.startswith(("WRONG", "fails"))]
    if problems:
        print("\nnot timed:")
        for key, col, s in problems:
            print(f"  {key:12s} {col:11s} {s}")
    if transforms:
        print("\nTransformation time, ms (cold = first tl.grad in a fresh process):")
        print(text_table(*transform_table(transforms)))
    if imports:
        print("\nImport time, ms (median of fresh processes): "
              + ", ".join(f"{k}: {v * 1e3:.1f}" for k, v in imports.items()))
    if overhead:
        print("\nPer-call overhead of tl.grad(identity): "
              f"{(overhead['derived_s'] - overhead['identity_s']) * 1e6:.3f} µs over "
              f"identity itself ({overhead['identity_s'] * 1e9:.0f} ns vs "
              f"{overhead['derived_s'] * 1e9:.0f} ns); the same generated source compiled as "
              f"a plain function: {overhead['copy_s'] * 1e9:.0f} ns")
    if mem:
        print("\nPeak memory (tracemalloc), KiB:")
        print(text_table(*memory_table(mem)))


def transform_table(transforms):
    headers = ["function", "wrt", "lines", "cold ms", "warm ms", "first call ms",
               "second call ms", "tangent-ad warm ms"]
    body = [[t["function"], str(t["wrt"]), t["lines"],
             "failed" if t["cold"] is None else f"{t['cold'] * 1e3:.1f}",
             f"{t['warm'] * 1e3:.1f}", f"{t['first'] * 1e3:.1f}", f"{t['second'] * 1e3:.1f}",
             "—" if t["tangent-ad"] is None else f"{t['tangent-ad'] * 1e3:.1f}"]
            for t in transforms]
    return headers, body


def memory_table(mem):
    headers = ["case", "f", "hand gradient", "tangentlike gradient", "tangentlike/hand"]
    body = [[m["case"].label, f"{m['f'] / 1024:,.1f}", f"{m['hand'] / 1024:,.1f}",
             f"{m['tangentlike'] / 1024:,.1f}",
             f"{m['tangentlike'] / max(m['hand'], 1):.1f}"] for m in mem]
    return headers, body


def write_markdown(path, env, rows, transforms, imports, overhead, mem, plot_name):
    th, tb, rh, rb = tables(rows)
    rb = [[b[0]] + [cell_ratio(r, c, mark=True) for c in rh[1:-1]] + [b[-1]]
          for r, b in zip(rows, rb)]
    out = ["# tangentlike benchmark results", "",
           f"Generated by `python {env['command']}` on {env['date']}. Times are medians of "
           "`timeit` measurements taken in rounds across implementations, each measurement "
           "at least the given minimum long; every gradient was checked against the "
           "hand-written one before it was timed.", "",
           "## Machine", "",
           f"- machine: {env['machine']}; CPU: {env['cpu']}",
           f"- Python {env['python']}, NumPy {env['numpy']}; BLAS: {env['blas']}",
           f"- thread settings: {env['threads']}",
           f"- other BLAS settings in the environment: {env['other']}",
           f"- tangentlike {env['tangentlike']}",
           f"- load average (1, 5, 15 min) at the start: {env['load']}; at the end: "
           f"{_loadavg()}",
           "- peers: " + (", ".join(f"{k} {v}" for k, v in env["peers"].items()) or "none"),
           ]
    if env["skipped"]:
        out.append("- peers skipped: " + ", ".join(f"{k} ({v})" for k, v in env["skipped"].items()))
    out += ["", "## Gradient time per call (µs, median)", "", md_table(th, tb), "",
            "`f` is the function itself; `hand` the hand-written NumPy gradient "
            "(`benchmarks/cases.py`); `jax` is eager `jax.grad`, `jax.jit` the jitted "
            "`jax.grad` after its first call (timed in a child process); `torch` is eager "
            "`torch.autograd.grad`. All float64.", "",
            f"## Ratio to the hand-written gradient (target for tangentlike: ≤ {TARGET})", "",
            md_table(rh, rb), "", "Bold: tangentlike above the target.", "",
            "The same ratios from the fastest of the measurements instead of the median (less "
            "sensitive to other load on the machine; a large difference from the table above "
            "means that case was measured while the machine was busy):", "",
            md_table(*best_ratio_table(rows)), ""]
    if plot_name:
        out += [f"![ratio to hand-written gradient]({plot_name})", ""]
    compiles = [(r.case.label, r.compile_s) for r in rows if r.compile_s is not None]
    if compiles:
        out += ["## jax.jit first call (trace + compile + one run)", "",
                md_table(["case", "seconds"], [[l, f"{s:.2f}"] for l, s in compiles]), ""]
    problems = [(r.case.label, c, s) for r in rows for c, s in r.status.items()
                if s.startswith(("WRONG", "fails"))]
    if problems:
        out += ["## Not timed (wrong result or failure)", "",
                md_table(["case", "implementation", "why"],
                         [[l, c, s.replace("|", "\\|")] for l, c, s in problems],
                         numeric=False), ""]
    if transforms:
        out += ["## Transformation time", "",
                "cold: the first `tl.grad(f, wrt)` in a fresh process (tangentlike already "
                "imported), median of fresh processes; warm: again in the same process on a "
                "fresh copy of the function (cache miss); first call: the extra time of the "
                "first call, which runs the generic derivative; second call: the extra time "
                "of the second, which derives the version specialized to the arguments' "
                "shapes (warm). tangent-ad: warm, in-process.", "",
                md_table(*transform_table(transforms)), ""]
    if imports:
        out += ["## Import time (median of fresh processes)", "",
                md_table(["what", "ms"], [[k, f"{v * 1e3:.1f}"] for k, v in imports.items()]),
                "", "The first rows are as this environment runs Python (with "
                f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', 'unset')}"
                ", an interpreter that may not cache compiled bytecode compiles tangentlike's "
                "sources at every import); the last, with a bytecode cache written by a first "
                "import, as a regular install has.", ""]
    if overhead:
        out += ["## Per-call overhead of a derived function", "",
                f"`tl.grad(identity)(1.5)`: {overhead['derived_s'] * 1e9:.0f} ns; "
                f"`identity(1.5)`: {overhead['identity_s'] * 1e9:.0f} ns; difference "
                f"**{(overhead['derived_s'] - overhead['identity_s']) * 1e6:.3f} µs**. The "
                "same generated source compiled as a plain function: "
                f"{overhead['copy_s'] * 1e9:.0f} ns (so nothing wraps the generated code). "
                "Generated code:", "", "```python", overhead["source"].rstrip(), "```", ""]
    if mem:
        out += ["## Peak memory of loop gradients (tracemalloc, KiB)", "",
                md_table(*memory_table(mem)), ""]
    with open(path, "w") as fh:
        fh.write("\n".join(out))


def write_plot(path, rows):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as exc:  # noqa: BLE001
        print(f"\nmatplotlib not available ({type(exc).__name__}): no plot written")
        return False
    impls = [c for c in GRADIENTS[1:] if any(c in r.seconds for r in rows)]
    labels = [r.case.label for r in rows]
    width = 0.8 / max(len(impls), 1)
    fig, ax = plt.subplots(figsize=(max(9, 1.1 * len(rows) + 3), 5.5))
    for j, impl in enumerate(impls):
        xs = [i + (j - (len(impls) - 1) / 2) * width for i in range(len(rows))]
        ys = [r.seconds[impl] / r.seconds["hand"] if impl in r.seconds else np.nan for r in rows]
        ax.bar(xs, ys, width=width, label=impl)
    ax.set_yscale("log")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.axhline(TARGET, color="red", linewidth=0.8, linestyle="--", label=f"target {TARGET}x")
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("gradient time / hand-written gradient time (log)")
    ax.set_title("Gradient time relative to a hand-written NumPy gradient (lower is better)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# --------------------------------------------------------------------------- main


def main(argv=None):
    args = parse_args(argv)
    started = time.perf_counter()
    selected = (cases_mod.CASES if args.cases == "all"
                else [cases_mod.BY_KEY[k] for k in args.cases.split(",")])
    names = (peers_mod.PEER_NAMES if args.peers == "all"
             else () if args.peers == "none" else tuple(args.peers.split(",")))
    loaded, skipped = peers_mod.load(names)
    env = environment(loaded, skipped)
    print(f"threads: {env['threads']}", flush=True)
    print("peers: " + (", ".join(f"{k} {v}" for k, v in env["peers"].items()) or "none")
          + ("; skipped: " + ", ".join(f"{k} ({v})" for k, v in skipped.items())
             if skipped else ""), flush=True)

    # transformation first, in a process that has imported the peers but not yet run
    # them: measured after all the gradient timings, the same derivations took about
    # 1.5x as long (15 ms instead of 10 for the 20-line function; cause not pinned down)
    runs = 1 if args.quick else 3
    print("transformation times ...", flush=True)
    transforms = transformation_times(selected, loaded, runs)

    rows = []
    for case in selected:
        t0 = time.perf_counter()
        rows.append(bench_case(case, loaded, args))
        r = rows[-1]
        summary = ", ".join(f"{c} {fmt_time(r.seconds[c])}" for c in COLUMNS if c in r.seconds)
        print(f"  {case.key:12s} ({time.perf_counter() - t0:5.1f} s) µs: {summary}", flush=True)

    print("import times ...", flush=True)
    imports = import_times(2 if args.quick else 5)
    overhead = call_overhead(args)
    mem = memory(selected)
    print_report(env, rows, transforms, imports, overhead, mem)

    wrong = [(r.case.key, c) for r in rows for c, s in r.status.items() if s.startswith("WRONG")]
    tl_failed = [r.case.key for r in rows if "tangentlike" not in r.seconds]
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        plot_name = None
        if not args.no_plot and write_plot(os.path.join(args.out, "ratios.png"), rows):
            plot_name = "ratios.png"
        write_markdown(os.path.join(args.out, "results.md"), env, rows, transforms, imports,
                       overhead, mem, plot_name)
        print(f"\nwrote {os.path.join(args.out, 'results.md')}"
              + (f" and {plot_name}" if plot_name else ""))
    print(f"total {time.perf_counter() - started:.0f} s")
    if wrong:
        loud("WRONG GRADIENTS (not timed): " + ", ".join(f"{k}/{c}" for k, c in wrong))
    if tl_failed:
        loud("tangentlike gave no timed gradient on: " + ", ".join(tl_failed))
    return 1 if any(c == "tangentlike" for _, c in wrong) or tl_failed else 0


if __name__ == "__main__":
    sys.exit(main())
