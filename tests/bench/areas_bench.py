"""Place resolution speed: how long `Areas.resolve` takes on what villagers type, and
how long the areas take to load.

    PYTHONPATH=. .venv/bin/python -m tests.bench.areas_bench [--rounds N]

Prints the load time (reading content/areas/*.json and building the indexes) and the
p50/p95/p99/max of one `resolve` call over a mix of inputs: today's names, pre-2025 names
with and without their district, with and without diacritics, abbreviated unit words,
longer phrases, typos that need the fuzzy pass, ambiguous names and text that names no
place. The target is p99 ≤ 2 ms on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import statistics
import time

from content.areas import Areas, load_areas

INPUTS = {
    "quang-tri": [
        "Cửa Tùng",
        "xa cua tung",
        "p dong ha",
        "tt ho xa",
        "xã Vĩnh Thủy, huyện Vĩnh Linh",
        "xa Vinh Thanh huyen Vinh Linh",
        "thôn 3 xã Kim Thạch, huyện Vĩnh Linh, tỉnh Quảng Trị",
        "tôi ở thôn Tân Lập xã Cửa Tùnh",
        "xa hai phu",
        "phường 1 thành phố Đông Hà",
        "huyen con co",
        "tx quang tri",
        "Quảng Ninh",
        "khe xanh",
        "xa hoan lao huyen bo trach",
        "cho minh hoi ve tieu chi nong thon moi",
        "Dạ em ở thôn Tân Lập, xã Cửa Tùnh, huyện Vĩnh Linh cũ, tỉnh Quảng Trị ạ, gửi ban",
        "asdfgh",
        "123",
    ],
    "an-giang": [
        "Long Xuyên",
        "phuong chau doc",
        "xa Phu Hoi huyen An Phu",
        "tt thu ba",
        "xã Bình An, huyện Châu Thành, tỉnh Kiên Giang",
        "Hòn Tre",
        "ap Vinh Thanh xa Vinh Thanh huyen Giong Rieng",
        "xa tan thanh",
        "đặc khu phú quốc",
        "o long vi",
        "xa my hoa hungg",
        "huyen chau thanh",
        "Núi Sam",
        "ở ấp 5, xã Định Mỹ, huyện Thoại Sơn",
        "toi muon dang ky nhan tin",
        "Cho tôi hỏi ai là người phụ trách chương trình nông thôn mới ở tỉnh mình vậy ạ",
        "",
    ],
}


def measure_load() -> tuple[Areas, float]:
    started = time.perf_counter()
    areas = load_areas.__wrapped__()
    return areas, time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300, help="passes over the inputs")
    args = parser.parse_args()
    loads = []
    for _ in range(5):
        areas, seconds = measure_load()
        loads.append(seconds)
    cases = [(text, province) for province, texts in INPUTS.items() for text in texts]
    for text, province in cases:  # warm up
        areas.resolve(text, province)
    timings = []
    for _ in range(args.rounds):
        for text, province in cases:
            started = time.perf_counter()
            areas.resolve(text, province)
            timings.append(time.perf_counter() - started)
    ms = [t * 1000 for t in timings]
    load_ms = statistics.median(loads) * 1000
    print(f"load: {load_ms:.1f} ms (median of 5, max {max(loads) * 1000:.1f} ms)")
    print(
        f"resolve over {len(cases)} inputs × {args.rounds}: "
        f"p50 {percentile(ms, 0.50):.3f} ms, p95 {percentile(ms, 0.95):.3f} ms, "
        f"p99 {percentile(ms, 0.99):.3f} ms, max {max(ms):.3f} ms"
    )
    slowest = sorted(
        ((statistics.median(ms[i :: len(cases)]), text) for i, (text, _) in enumerate(cases)),
        reverse=True,
    )[:3]
    print("slowest (median): " + "; ".join(f"{text!r} {t:.3f} ms" for t, text in slowest))


if __name__ == "__main__":
    main()
