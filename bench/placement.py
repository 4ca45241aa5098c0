"""Placement of pins in their desa with the bundled region packs (core/desa_placement.py).

For each region: 100,000 random pins in and around it (its bounding box grown by a tenth on every
side, so about a third fall outside and exercise the nearest-desa search): time per pin through the
STRtree of prepared polygons, against a baseline measured in the same run on a sample of the same
pins: testing every desa polygon in turn (what placement costs without an index). Also the pack's
load time (code list and GeoJSON to a ready placer) and the memory it holds (growth of the process's
resident set: GEOS keeps the geometries outside Python's heap, where tracemalloc does not see them).

    python -m bench.placement [--pins 100000] [--baseline-pins 2000]
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time

import shapely
from shapely.geometry import Point

from bench.harness.machine import print_header
from core.bundled_regions import bundled_regions
from core.desa_placement import DesaPlacer


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _load_memory(code: str) -> int:
    """Bytes the process grows by loading the pack, in a fresh process (in this one, memory freed by
    the previous region's load would be reused and hide the cost)."""
    child = "\n".join([
        "import gc", "from bench.placement import _rss_bytes", "from core.bundled_regions import bundled_region",
        "from core.desa_placement import DesaPlacer", f"r = bundled_region({code!r})", "gc.collect()",
        "b = _rss_bytes()", "p = DesaPlacer.from_files(r.wilayah_csv, r.desa_geojson)", "gc.collect()",
        "print(_rss_bytes() - b)"])
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


def _pins(placer: DesaPlacer, n: int, seed: int) -> list[tuple[float, float]]:
    minx, miny, maxx, maxy = placer.bounds
    gx, gy = (maxx - minx) / 10, (maxy - miny) / 10
    rng = random.Random(seed)
    return [(rng.uniform(miny - gy, maxy + gy), rng.uniform(minx - gx, maxx + gx)) for _ in range(n)]


def _brute_force(placer: DesaPlacer, lat: float, lon: float) -> str | None:
    point = Point(lon * placer._kx, lat * placer._ky)
    for area, geom in zip(placer.areas, placer._geoms, strict=True):
        if shapely.intersects(geom, point):
            return area.code
    return None


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.placement", description=__doc__.split("\n")[0])
    parser.add_argument("--pins", type=int, default=100_000)
    parser.add_argument("--baseline-pins", type=int, default=2_000)
    ns = parser.parse_args()
    print_header("bench.placement: pins placed in their desa", ["bench.placement", *sys.argv[1:]])
    print(f"{'region':22} {'desa':>5} {'load':>8} {'memory':>9} {'per pin':>9} {'in desa':>9} {'outside':>9} "
          f"{'inside':>7} {'snapped':>8} "
          f"{'baseline':>10} {'ratio':>7}")
    for region in bundled_regions():
        memory = _load_memory(region.code)
        t0 = time.perf_counter()
        placer = DesaPlacer.from_files(region.wilayah_csv, region.desa_geojson)
        load = time.perf_counter() - t0
        pins = _pins(placer, ns.pins, seed=int(region.code.replace(".", "")))
        t0 = time.perf_counter()
        placed = [placer.place(lat, lon) for lat, lon in pins]
        per_pin = (time.perf_counter() - t0) / len(pins)
        # The two paths apart: a pin in a desa (the usual case: residents report where they are)
        # and one outside every desa (a nearest-desa search, to snap or to say how far out).
        split = {}
        for path, wanted in (("in", True), ("out", False)):
            group = [pin for pin, p in zip(pins, placed, strict=True) if (p.area is not None and
                                                                         p.snapped_m is None) == wanted]
            t1 = time.perf_counter()
            for lat, lon in group:
                placer.place(lat, lon)
            split[path] = (time.perf_counter() - t1) / max(1, len(group))
        inside = sum(p.area is not None for p in placed) / len(pins)
        snapped = sum(p.snapped_m is not None for p in placed) / len(pins)
        sample = pins[:ns.baseline_pins]
        t0 = time.perf_counter()
        brute = [_brute_force(placer, lat, lon) for lat, lon in sample]
        per_pin_brute = (time.perf_counter() - t0) / len(sample)
        # The two agree wherever a pin lies in exactly one polygon (the placer also snaps and
        # settles overlaps, which the brute force does not).
        disagree = sum(1 for p, b in zip(placed, brute, strict=False)
                       if b is not None and p.snapped_m is None and p.area is not None and p.area.code != b)
        print(f"{region.name:22} {len(placer.areas):>5} {load * 1000:>6.0f} ms {memory / 2**20:>5.1f} MiB "
              f"{per_pin * 1e6:>6.1f} µs {split['in'] * 1e6:>6.1f} µs {split['out'] * 1e6:>6.1f} µs "
              f"{inside:>7.1%} {snapped:>8.2%} {per_pin_brute * 1e6:>7.0f} µs "
              f"{per_pin_brute / per_pin:>6.0f}x"
              + (f"  ({disagree} overlaps settled differently)" if disagree else ""))
    print("\nper pin: one place() call, Python included, over all pins; in desa / outside: the pins that "
          "lay in a desa / outside every desa, timed apart; baseline: every desa polygon tested in turn, "
          "on the first pins of the same sample; ratio = baseline / per pin.")


if __name__ == "__main__":
    main()
