"""Timing done honestly, for the GPU chapter: warm-up, synchronisation, the median; GFLOP/s;
the ladder of convolution implementations on the chapter's layers; and the committed GPU
measurement.

    ladder(...)             every rung on the chapter's layers: median time, GFLOP/s, % of peak
    load_gpu_timings()      data/gpu-timings.json, or None if none is committed

Nothing here is an answer to the exercise: the ladder's own rungs are written for its layers
alone (3x3 filters, stride 1, padding 1, no bias) or are PyTorch's, and its timing loop is
written out inside `ladder` (the exercise asks for a general `benchmark`). torch is imported
only where it is used.
"""

import contextlib
import datetime
import html
import json
import platform
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GPU_TIMINGS = ROOT / "data" / "gpu-timings.json"
GPU_COMMAND = "python benchmarks/gpu_ladder.py --out data/gpu-timings.json"
NO_GPU = "no GPU on this machine"

# The chapter's layers: (x shape (N, C_in, H, W), w shape (C_out, C_in, kh, kw), stride, padding).
# All are 3x3 filters with stride 1 and padding 1 ("same" layers: the output is H x W).
LAYERS = {
    "small": ((8, 3, 32, 32), (16, 3, 3, 3), 1, 1),  # a first layer on CIFAR-sized images
    "ResNet-like": ((32, 64, 56, 56), (64, 64, 3, 3), 1, 1),  # a 3x3 layer of ResNet's first stage
}


def float32_mode(tf32):
    """A context in which float32 matrix products and cuDNN convolutions may use TF32 (tf32=True)
    or must not (tf32=False); the previous settings come back afterwards. Uses the calls that keep
    PyTorch's old and new precision settings in step (torch 2.9 and later refuse a mix)."""
    import contextlib
    import warnings

    import torch

    @contextlib.contextmanager
    def mode():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            matmul = torch.get_float32_matmul_precision()
            try:
                cudnn = torch.backends.cudnn.allow_tf32
            except RuntimeError:  # set through the new API elsewhere: restore PyTorch's default
                cudnn = True
            torch.set_float32_matmul_precision("high" if tf32 else "highest")
            torch.backends.cudnn.allow_tf32 = bool(tf32)
        try:
            yield
        finally:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.set_float32_matmul_precision(matmul)
                torch.backends.cudnn.allow_tf32 = cudnn

    return mode()


def layer_flops(x_shape, w_shape, stride=1, padding=1):
    """Floating-point operations of one of the chapter's layers (3x3 filters, stride 1,
    padding 1, so H_out = H and W_out = W), counting a multiply-add as 2:
    2 * N * C_out * H * W * C_in * 3 * 3. The bias is not counted. Raises ValueError for any
    other layer."""
    (N, C_in, H, W), (C_out, C_w, kh, kw) = x_shape, w_shape
    if (kh, kw, stride, padding) != (3, 3, 1, 1) or C_w != C_in:
        raise ValueError(
            f"the ladder's layers are 3x3 filters, stride 1, padding 1 (got x {tuple(x_shape)}, "
            f"w {tuple(w_shape)}, stride {stride}, padding {padding})"
        )
    return 2 * N * C_out * H * W * C_in * kh * kw


def cuda_available():
    """True where PyTorch is installed and sees a CUDA GPU."""
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


class SimulatedDevice:
    """A stand-in for a GPU's queue of work, made of a thread, to show asynchronous timing on any
    machine: `launch(seconds)` queues that much work and returns at once, as a CUDA kernel launch
    does; `synchronize()` waits until all queued work is done, as torch.cuda.synchronize() does."""

    def __init__(self):
        import queue
        import threading

        self._queue = queue.Queue()
        threading.Thread(target=self._work, daemon=True).start()

    def _work(self):
        while True:
            seconds = self._queue.get()
            time.sleep(seconds)
            self._queue.task_done()

    def launch(self, seconds):
        self._queue.put(seconds)

    def synchronize(self):
        self._queue.join()


def gflops(flops, seconds):
    """Achieved speed in GFLOP/s (10^9 floating-point operations per second)."""
    return flops / seconds / 1e9


def _cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _driver_version():
    """The NVIDIA driver's version (e.g. "550.54.15"), or None."""
    try:
        text = Path("/proc/driver/nvidia/version").read_text()
        for word in text.split():
            if word.count(".") >= 1 and word.replace(".", "").isdigit():
                return word
    except OSError:
        pass
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
        ).stdout.split()
        return out[0] if out else None
    except (OSError, subprocess.SubprocessError):
        return None


def device_info():
    """What a timing needs beside it: date, versions, CPU, and the GPU if there is one (its
    name, compute capability, driver, and the half precision the ladder uses on it)."""
    import torch

    info = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cpu": _cpu_name(),
        "cpu_threads": torch.get_num_threads(),
        "gpu": None,
    }
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        info.update(
            gpu=props.name,
            capability=f"{props.major}.{props.minor}",
            multiprocessors=props.multi_processor_count,
            gpu_memory_gib=round(props.total_memory / 2**30, 1),
            cudnn=torch.backends.cudnn.version(),
            driver=_driver_version(),
            half_precision=half_precision()[0],
        )
    return info


def describe(info):
    """One line: the device and versions a figure was measured with."""
    where = info["gpu"] or f"CPU only ({info['cpu']}, {info['cpu_threads']} threads)"
    cuda = f", CUDA {info['cuda']}" if info.get("cuda") else ""
    return f"{where}; torch {info['torch']}{cuda}, numpy {info['numpy']}; {info['date']}"


def bf16_supported():
    """Whether the GPU computes in bfloat16 natively (compute capability 8.0 and later).
    torch.cuda.is_bf16_supported() alone also says yes where bf16 is only emulated (a T4):
    emulation is not what the ladder measures."""
    import inspect

    import torch

    if not torch.cuda.is_available():
        return False
    if "including_emulation" in inspect.signature(torch.cuda.is_bf16_supported).parameters:
        return torch.cuda.is_bf16_supported(including_emulation=False)
    return torch.cuda.is_bf16_supported()


def half_precision():
    """("bfloat16", "") where the GPU has bf16; ("float16", why) where it has not (a T4, sm_75):
    the ladder's 16-bit row then runs in float16, labelled so."""
    if bf16_supported():
        return "bfloat16", ""
    return "float16", "fp16 instead of bf16: this GPU has no bf16 (torch.cuda.is_bf16_supported() is False)"


# Peak arithmetic speed in TFLOP/s (dense: no structured sparsity) for each precision of the
# ladder, from NVIDIA's data sheets. float32 is the CUDA cores' rate; tf32, bfloat16 and float16
# are the tensor cores' (dense figures: the data sheets of Hopper and Ada quote twice these,
# "with sparsity"). Matched against torch.cuda.get_device_name() in this order.
PEAKS = [
    ("H200 NVL", dict(float32=60, tf32=417, bfloat16=835, float16=835), "NVIDIA H200 data sheet (H200 NVL)"),
    ("H200", dict(float32=67, tf32=495, bfloat16=989, float16=989), "NVIDIA H200 data sheet (H200 SXM)"),
    ("H100 PCIe", dict(float32=51, tf32=378, bfloat16=756, float16=756), "NVIDIA H100 data sheet (H100 PCIe)"),
    ("H100 NVL", dict(float32=60, tf32=417, bfloat16=835, float16=835), "NVIDIA H100 data sheet (H100 NVL)"),
    ("H100", dict(float32=67, tf32=495, bfloat16=989, float16=989), "NVIDIA H100 data sheet (H100 SXM)"),
    ("A100", dict(float32=19.5, tf32=156, bfloat16=312, float16=312), "NVIDIA A100 data sheet"),
    ("L40S", dict(float32=91.6, tf32=183, bfloat16=362, float16=362), "NVIDIA L40S data sheet"),
    ("L4", dict(float32=30.3, tf32=60, bfloat16=121, float16=121), "NVIDIA L4 data sheet"),
    ("A10", dict(float32=31.2, tf32=62.5, bfloat16=125, float16=125), "NVIDIA A10 data sheet"),
    ("V100", dict(float32=15.7, float16=125), "NVIDIA V100 data sheet (V100 SXM2)"),
    ("T4", dict(float32=8.1, float16=65), "NVIDIA T4 data sheet"),
]


def peak_tflops(gpu_name, precision):
    """(peak TFLOP/s, source) of a GPU for a precision ("float32", "tf32", "bfloat16",
    "float16"), or (None, why) when the table above does not have it."""
    for key, peaks, source in PEAKS:
        if key.lower() in (gpu_name or "").lower():
            if precision in peaks:
                return peaks[precision], source
            return None, f"{source} gives no {precision} figure for this GPU"
    return None, f"no peak figure for {gpu_name} in cnn_course.timing.PEAKS"


def _methods(gpu, capability):
    """(name, device, dtype, how) for every rung of the ladder. `how` is one of: loops, im2col,
    torch, unfold; None marks a rung that cannot run here, with the reason in its place."""
    cpu = [
        ("Python loops (numpy per output)", "cpu", "float64", "loops"),
        ("numpy im2col + matmul", "cpu", "float32", "im2col"),
        ("torch unfold + matmul", "cpu", "float32", "unfold"),
        ("torch F.conv2d", "cpu", "float32", "torch"),
    ]
    if not gpu:
        return cpu + [
            (name, "cuda", dtype, None)
            for name, dtype in [
                ("torch unfold + matmul", "float32"),
                ("torch F.conv2d", "float32"),
                ("torch F.conv2d", "tf32"),
                ("torch F.conv2d", "bfloat16"),
                ("torch F.conv2d, not synchronised (wrong)", "tf32"),
            ]
        ]
    tensor_cores = capability >= (8, 0)
    half = half_precision()[0]  # float16 where the GPU has no bf16 (a T4): it has fp16 tensor cores
    return cpu + [
        ("torch unfold + matmul", "cuda", "float32", "unfold"),
        ("torch F.conv2d", "cuda", "float32", "torch"),
        ("torch F.conv2d", "cuda", "tf32", "torch" if tensor_cores else None),
        ("torch F.conv2d", "cuda", half, "torch"),
        ("torch F.conv2d, not synchronised (wrong)", "cuda", "tf32" if tensor_cores else "float32", "torch"),
    ]


def _rungs(x, w, device, dtype):
    """{how: zero-argument function} computing the layer x * w (3x3 filters, stride 1,
    padding 1, no bias) one way each, on `device` in `dtype`. Written for these arrays only."""
    import torch
    import torch.nn.functional as F

    N, C, H, W = x.shape
    C_out = w.shape[0]
    xn, wn = (a.astype(np.float64 if dtype == "float64" else np.float32) for a in (x, w))
    tdtype = {"float32": torch.float32, "tf32": torch.float32, "float64": torch.float64}.get(dtype)
    tdtype = tdtype or getattr(torch, dtype)
    tx = torch.from_numpy(x).to(device=device, dtype=tdtype)
    tw = torch.from_numpy(w).to(device=device, dtype=tdtype)

    def loops_3x3():  # one numpy dot product per output value
        xp = np.pad(xn, ((0, 0), (0, 0), (1, 1), (1, 1)))
        out = np.empty((N, C_out, H, W), dtype=xn.dtype)
        for n in range(N):
            for o in range(C_out):
                for i in range(H):
                    for j in range(W):
                        out[n, o, i, j] = np.sum(xp[n, :, i : i + 3, j : j + 3] * wn[o])
        return out

    def im2col_3x3():  # the nine shifted copies of the padded input, then one matrix product
        xp = np.pad(xn, ((0, 0), (0, 0), (1, 1), (1, 1)))
        cols = np.empty((N, C, 3, 3, H, W), dtype=xn.dtype)
        for m in range(3):
            for k in range(3):
                cols[:, :, m, k] = xp[:, :, m : m + H, k : k + W]
        return (wn.reshape(C_out, C * 9) @ cols.reshape(N, C * 9, H * W)).reshape(N, C_out, H, W)

    def unfold_3x3():  # the same with PyTorch: F.unfold is im2col
        return (tw.reshape(C_out, C * 9) @ F.unfold(tx, 3, padding=1)).reshape(N, C_out, H, W)

    def builtin():
        return F.conv2d(tx, tw, None, 1, 1)

    return {"loops": loops_3x3, "im2col": im2col_3x3, "unfold": unfold_3x3, "torch": builtin}


def ladder(layers=None, repeats=10, warmup=3, loops_layers=("small",), seed=0, progress=None):
    """Time every implementation on every layer; returns a list of rows (dicts).

    Each row: layer, method, device ("cpu"/"cuda"), dtype ("float32"; "tf32": float32 tensors
    with TF32 allowed, PyTorch's default for convolutions; "bfloat16", or "float16" on a GPU
    without bf16; "float64"), median_s, gflops (None when not run), flops, peak_tflops and
    percent_of_peak (GPU rows, where the device's peak is known), peak_source, and note (why a
    row was not run, or what it shows). The Python loops run only on `loops_layers` (they take
    minutes on a large layer). float32 rows on the GPU have TF32 switched off; "tf32" rows
    switch it on.

    Timing: `warmup` untimed calls, then `repeats` timed calls, each on its own; the median.
    CPU rows read time.perf_counter(); GPU rows are timed with CUDA events recorded in the GPU's
    queue before and after each call (the GPU stamps them when it gets there: no launch and
    no synchronisation overhead in the figure), except the row that shows the mistake: the
    CPU's clock, read without waiting for the GPU.
    """
    import torch

    layers = LAYERS if layers is None else layers
    gpu = torch.cuda.is_available()
    capability = torch.cuda.get_device_capability(0) if gpu else (0, 0)
    gpu_name = torch.cuda.get_device_name(0) if gpu else None
    rows = []
    rng = np.random.default_rng(seed)
    for layer, (x_shape, w_shape, stride, padding) in layers.items():
        flops = layer_flops(x_shape, w_shape, stride, padding)
        x = rng.uniform(-1, 1, size=x_shape).astype(np.float32)
        w = rng.uniform(-1, 1, size=w_shape).astype(np.float32)
        for method, device, dtype, how in _methods(gpu, capability):
            row = dict(
                layer=layer, method=method, device=device, dtype=dtype, flops=flops, median_s=None, gflops=None, note=""
            )
            rows.append(row)
            if how is None:
                row["note"] = (
                    NO_GPU
                    if not gpu
                    else f"needs compute capability 8.0 or later (this GPU: {capability[0]}.{capability[1]})"
                )
                continue
            if how == "loops" and layer not in loops_layers:
                row["note"] = "not run: the loops would take minutes on this layer"
                continue
            if progress:
                progress(f"{layer}: {method} on {device} ({dtype})")
            run = _rungs(x, w, device, dtype)[how]
            # The loops take about a second a call: three calls, and nothing to warm up.
            reps, warm = (min(repeats, 3), 0) if how == "loops" else (repeats, warmup)
            wrong = "not synchronised" in method
            times = []
            with float32_mode(tf32=(dtype == "tf32")) if device == "cuda" else contextlib.nullcontext():
                for _ in range(warm):
                    run()
                if device == "cuda":
                    torch.cuda.synchronize()
                for _ in range(reps):
                    if device == "cpu" or wrong:
                        start = time.perf_counter()
                        run()
                        times.append(time.perf_counter() - start)
                        if wrong:
                            torch.cuda.synchronize()  # (the next call starts from an empty queue)
                    else:
                        begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                        begin.record()
                        run()
                        end.record()
                        end.synchronize()
                        times.append(begin.elapsed_time(end) / 1e3)  # milliseconds -> seconds
            row["median_s"] = statistics.median(times)
            row["gflops"] = gflops(flops, row["median_s"])
            row["tflops"] = row["gflops"] / 1e3
            if how == "loops":
                row["note"] = f"median of {reps} calls, no warm-up"
            if wrong:
                row["note"] = "wrong on purpose: the clock stopped before the GPU finished"
            if dtype == "float16":
                row["note"] = half_precision()[1]
            if device == "cuda" and not wrong:
                peak, source = peak_tflops(gpu_name, dtype)
                row.update(peak_tflops=peak, peak_source=source)
                row["percent_of_peak"] = None if peak is None else round(100 * row["gflops"] / (peak * 1e3), 1)
        if gpu:
            rows.append(_transfer_row(layer, x, repeats, warmup))
    return rows


def _transfer_row(layer, x, repeats, warmup):
    """Copying the layer's input from the host's memory to the GPU: a cost that the ladder's
    GPU rows do not include (their tensors are already on the GPU)."""
    import torch

    tx = torch.from_numpy(x)
    for _ in range(warmup):
        tx.to("cuda")
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        tx.to("cuda")
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    return dict(
        layer=layer,
        method="copy x from host to GPU",
        device="cuda",
        dtype="float32",
        flops=0,
        median_s=seconds,
        gflops=None,
        note=f"{x.nbytes / 1e6:.1f} MB at {x.nbytes / seconds / 1e9:.1f} GB/s",
    )


PRECISION_LABELS = {"tf32": "TF32", "float32": "float32", "bfloat16": "bf16", "float16": "fp16", "float64": "float64"}


def label(row):
    """Short text for a ladder row: method, device, precision."""
    where = "GPU" if row["device"] == "cuda" else "CPU"
    return f"{row['method']} [{where}, {PRECISION_LABELS.get(row['dtype'], row['dtype'])}]"


class Table:
    """A small table that shows as HTML in a notebook and as aligned text in a terminal. (Not a
    pandas DataFrame: the notebooks need nothing beyond numpy, torch, matplotlib and ipywidgets,
    which tests/test_colab_ready.py holds them to.)"""

    def __init__(self, columns, rows):
        self.columns, self.rows = list(columns), [list(r) for r in rows]

    def __len__(self):
        return len(self.rows)

    @staticmethod
    def _cell(value):
        return "" if value is None else str(value)

    def to_string(self):
        cells = [self.columns] + [[self._cell(v) for v in row] for row in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.columns))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells)

    __repr__ = to_string

    def _repr_html_(self):
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(self._cell(v))}</td>" for v in row) + "</tr>" for row in self.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def table(rows):
    """The ladder as a `Table`: median milliseconds, GFLOP/s and (GPU rows) percent of the
    device's peak for that precision, one row per rung."""
    return Table(
        ["layer", "implementation", "median ms", "GFLOP/s", "% of peak", "note"],
        [
            [
                r["layer"],
                label(r),
                None if r["median_s"] is None else round(r["median_s"] * 1e3, 3),
                None if r["gflops"] is None else round(r["gflops"], 2),
                r.get("percent_of_peak"),
                r["note"],
            ]
            for r in rows
        ],
    )


def figure_height(*row_lists):
    """Inches for a figure of `plot_ladder` panels: room for the longest list of bars."""
    return 1.6 + 0.36 * max(sum(r["gflops"] is not None for r in rows) for rows in row_lists)


def plot_ladder(ax, rows, title):
    """Horizontal bars of GFLOP/s (log scale) for the rows that ran, grouped by layer. When the
    GPU rows could not run, the plot says so."""
    layers = list(dict.fromkeys(r["layer"] for r in rows))
    colors = dict(zip(layers, ["tab:blue", "tab:orange", "tab:green", "tab:red"]))
    ticks, labels, y = [], [], 0.0
    for layer in layers:
        for r in rows:
            if r["layer"] != layer or r["gflops"] is None:
                continue
            wrong = "not synchronised" in r["method"]
            ax.barh(
                y,
                r["gflops"],
                color="white" if wrong else colors[layer],
                edgecolor=colors[layer],
                hatch="//" if wrong else None,
            )
            ax.text(r["gflops"] * 1.15, y, f"{r['gflops']:.3g}", va="center", fontsize=8)
            ticks.append(y)
            labels.append(f"{layer}: {label(r)}")
            y += 1
        y += 0.5
    ax.set_yticks(ticks, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(right=ax.get_xlim()[1] * 4)
    ax.set_xlabel("achieved GFLOP/s (log scale); hatched: timed without synchronising (wrong)")
    ax.set_title(textwrap.fill(title, 80), fontsize=9, loc="left")
    if any(r["note"] == NO_GPU for r in rows):
        ax.text(
            0.98, 0.97, f"GPU rows: {NO_GPU}", transform=ax.transAxes, ha="right", va="top", fontsize=9, color="tab:red"
        )


# --- The committed GPU measurement (data/gpu-timings.json)


def save_timings(path, rows, info, command, settings, extra=None, layers=None):
    """Write a measurement: rows of `ladder`, `device_info()`, the command that made it."""
    layers = LAYERS if layers is None else layers
    data = {
        "what": "median time and achieved GFLOP/s of each convolution implementation of the GPU chapter",
        "command": command,
        "device": info,
        "settings": settings,
        "layers": {k: {"x": list(v[0]), "w": list(v[1]), "stride": v[2], "padding": v[3]} for k, v in layers.items()},
        "rows": rows,
    }
    data.update(extra or {})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path


def load_gpu_timings(path=None):
    """The committed GPU measurement as a dict, or None when no file has been committed.

    Raises ValueError when the file holds no GPU figures: a CPU measurement must never be shown
    as a GPU one.
    """
    path = GPU_TIMINGS if path is None else Path(path)
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    gpu_rows = [r for r in data.get("rows", []) if r["device"] == "cuda" and r["gflops"] is not None]
    if not data.get("device", {}).get("gpu") or not gpu_rows:
        raise ValueError(
            f"{path} holds no GPU measurement (device: {data.get('device')}); "
            f"make it on a machine with a GPU with `{GPU_COMMAND}`"
        )
    return data


def missing_message():
    """What to say when `load_gpu_timings()` finds no file: in the instructor repository (which
    has the benchmark script), how to make one; in the published student tree, that none has
    been published; elsewhere (the package installed alone, as on Colab), that this copy cannot
    see the repository's data folder."""
    if (ROOT / "benchmarks" / "gpu_ladder.py").exists():
        return (
            f"No GPU measurement has been committed yet. On a machine with an NVIDIA GPU, run\n"
            f"    {GPU_COMMAND}\nand commit data/gpu-timings.json; this page will then show it here, "
            "labelled with where it was measured."
        )
    if (ROOT / "_config.yml").exists() and (ROOT / "lectures").is_dir():
        return (
            "No GPU measurement has been published with the course yet (data/gpu-timings.json). "
            "Run this page on a GPU (in Colab: Runtime > Change runtime type > GPU) to fill in the GPU rows above."
        )
    return (
        "This copy of the course package has no repository files (as on Colab), so it cannot read the "
        "committed GPU measurement (data/gpu-timings.json in the repository); the published book shows it, "
        "if one has been committed. Your own figures are above."
    )


def provenance(data):
    """Where a committed measurement comes from, in one line."""
    d = data["device"]
    extra = "".join(
        f", {label} {d[key]}"
        for key, label in [("capability", "compute capability"), ("driver", "driver")]
        if d.get(key)
    )
    return (
        f"measured on {d['gpu']} (torch {d['torch']}, CUDA {d['cuda']}{extra}) on {d['date']} with `{data['command']}`"
    )


def print_header():
    """Print what this machine is: the line that belongs beside every timing."""
    print("This machine:", describe(device_info()))
    sys.stdout.flush()
