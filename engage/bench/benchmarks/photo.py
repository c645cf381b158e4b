"""One 12-megapixel phone photo, checked and processed as the family's upload and the worker do.

photo_p95_ms: the 95th percentile (nearest rank) over RUNS runs of the CPU time of validating
the upload (`activities.media.check_photo_uploads`: size, format and pixels from the header, the
scan for web content) and processing it (`activities.media.render_photo`: decode, orient, sRGB,
long edge capped at 1600 px, a 400 px thumbnail, both re-encoded as JPEG without metadata),
in-process, pinned to one core, after one warm-up run. CPU time of the process (all its threads),
because the machine is shared: wall-clock time also counts the moments another process held the
core (photo_wall_p95_ms reports it). photo_median_ms: the median CPU time.
Storage and the database are left out: they are not what grows with a photo's size.

The photo is generated once per run (4000 x 3000, gradients, a fractal and per-channel noise at
JPEG quality 90, about 4 MB, like a phone's), so it is not trivially compressible.
"""

import io
import math
import os
import time
from contextlib import contextmanager
from statistics import median

from PIL import Image, ImageChops

from activities.media import check_photo_uploads, render_photo
from engage.bench.registry import BenchContext, BenchError, Metrics, benchmark

SIZE = (4000, 3000)
RUNS = {"tiny": 3}
DEFAULT_RUNS = 20


@benchmark("photo")
def photo(context: BenchContext) -> Metrics:
    """One 12-megapixel JPEG validated, re-encoded, resized and thumbnailed: p95 on one core."""
    data = make_phone_photo(SIZE)
    runs = RUNS.get(context.scale, DEFAULT_RUNS)
    context.write(f"photo: {SIZE[0]} x {SIZE[1]} JPEG of {len(data) / 1e6:.1f} MB, {runs} runs")
    with one_core():
        measure_once(data)  # warm-up: plugins loaded, allocator primed
        timings = [measure_once(data) for _ in range(runs)]
    cpu = sorted(cpu_ms for cpu_ms, _wall_ms in timings)
    wall = sorted(wall_ms for _cpu_ms, wall_ms in timings)
    context.write(f"photo: CPU {cpu[0]:.0f}-{cpu[-1]:.0f} ms, wall {wall[0]:.0f}-{wall[-1]:.0f} ms")
    return {
        "photo_p95_ms": round(p95(cpu), 1),
        "photo_median_ms": round(median(cpu), 1),
        "photo_wall_p95_ms": round(p95(wall), 1),
    }


def p95(values: list[float]) -> float:
    return sorted(values)[math.ceil(0.95 * len(values)) - 1]


def measure_once(data: bytes) -> tuple[float, float]:
    """(CPU ms, wall-clock ms) of checking and processing the photo once."""
    upload = io.BytesIO(data)
    upload.name = "phone.jpg"
    started, started_cpu = time.perf_counter(), time.process_time()
    check_photo_uploads([upload])
    rendered = render_photo(upload)
    cpu_ms = (time.process_time() - started_cpu) * 1000
    wall_ms = (time.perf_counter() - started) * 1000
    if (rendered.width, rendered.height) != (1600, 1200):
        raise BenchError(f"photo: rendered {rendered.width} x {rendered.height}, not 1600 x 1200")
    return cpu_ms, wall_ms


@contextmanager
def one_core():
    """Run on one CPU (the first this process may use), as one worker process would."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(allowed)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, allowed)


def make_phone_photo(size: tuple[int, int]) -> bytes:
    """A JPEG that compresses like a photo: smooth gradients, fine detail and sensor noise."""
    width, height = size
    horizontal = Image.linear_gradient("L").rotate(90).resize(size)
    vertical = Image.linear_gradient("L").resize(size)
    radial = Image.radial_gradient("L").resize(size)
    fractal = Image.effect_mandelbrot((width // 4, height // 4), (-2.2, -1.2, 1.0, 1.2), 64)
    detail = fractal.resize(size, Image.Resampling.BICUBIC)
    channels = [
        ImageChops.add(base, Image.effect_noise(size, 12), offset=-128)
        for base in (
            ImageChops.blend(horizontal, detail, 0.5),
            ImageChops.blend(vertical, radial, 0.5),
            ImageChops.blend(radial, detail, 0.4),
        )
    ]
    out = io.BytesIO()
    Image.merge("RGB", channels).save(out, format="JPEG", quality=90)
    return out.getvalue()
