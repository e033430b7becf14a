"""Checks a report.html as Chromium rendered it (its --dump-dom output) against the run's
record: per memory chart the number of drawn series and their points, the memory.max line's
height read off the y axis' tick labels, and the OOM kill marker's position read off the x
axis' tick labels. Usage: check_report.py DOM RUN_JSON CGROUP [WHAT SIDES]: WHAT is the
chart's data-what (default "memory CGROUP"); SIDES 2 for compare.html, where both sides are
the same record, so every series, limit and kill is drawn twice.

check_report.py --band DOM CGROUP RUN_JSON...: the median-with-band chart of a variant's runs
(in page order). From the records alone it computes what the chart must show: each run's
memory.current, anon and file against seconds from the run's first sample, interpolated
linearly onto a grid (step: the coarsest interval_ms, at least the longest run / 400), at
each grid time that at least half the runs cover the median, min and max over those runs.
It checks each median polyline vertex by vertex (x from the x ticks, y from the y ticks),
that the shaded polygon of the same colour runs along the min and max and holds the median,
every run's kill marker, the memory.max line, and that each run's own memory chart is still
on the page with its own series and points.

check_report.py --compare-band DOM CGROUP WHAT RUN_JSON...: compare.html where each side has
the same three or more runs: the chart WHAT must show, per side, the median of memory.current
and anon over their min–max range exactly as --band computes them (A's two lines, then B's),
both sides' memory.max lines and every run's kill once per side.

check_report.py --across DOM REPORT_JSON: the "Checks across variants" charts of a report of
several variants. From report.json it counts each variant's k/n of every check from the
per-run outcomes, computes the 95% Wilson interval itself, and checks per chart: one filled
point per answered variant, on a bar, at the variant's x tick and at k/n by the y ticks
(±1.5 px), the bar spanning the interval's low to high; and per observation whose value is a
number within 0-1 in every variant, a hollow marker at each variant's value and its text in
the legend.

Prints what it checked; exits 1 with the reason on the first mismatch."""
import bisect
import json
import re
import sys
from html.parser import HTMLParser

ORDER = ["#1F77B4", "#FF7F0E", "#2CA02C", "#9467BD", "#8C564B", "#E377C2", "#7F7F7F", "#17BECF"]
PALETTE = set(ORDER)
BANDED = ["memory.current", "anon", "file"]


class Figures(HTMLParser):
    """Collects each <figure class="chart">: its data attributes, polylines and tick texts."""

    def __init__(self):
        super().__init__()
        self.figs, self.cur, self.text_attrs = [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure" and a.get("class") == "chart":
            self.cur = {"attrs": a, "polylines": [], "polygons": [], "texts": [], "lines": [], "circles": []}
            self.figs.append(self.cur)
        elif self.cur is not None and tag in ("polyline", "polygon"):
            pts = [tuple(float(v) for v in p.split(",")) for p in a.get("points", "").split()]
            if tag == "polyline":
                self.cur["polylines"].append((a.get("stroke", "").upper(), pts))
            else:
                self.cur["polygons"].append((a.get("fill", "").upper(), pts))
        elif self.cur is not None and tag == "line":
            self.cur["lines"].append((a.get("stroke", "").upper(), *(float(a[k]) for k in ("x1", "y1", "x2", "y2"))))
        elif self.cur is not None and tag == "circle":
            self.cur["circles"].append((a.get("fill", "").upper(), float(a["cx"]), float(a["cy"])))
        elif self.cur is not None and tag == "text":
            self.text_attrs = a

    def handle_data(self, data):
        if self.cur is not None and self.text_attrs is not None and data.strip():
            self.cur["texts"].append((self.text_attrs, data.strip()))
            self.text_attrs = None

    def handle_endtag(self, tag):
        if tag == "figure":
            self.cur = None


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def fit(pairs):
    """Linear map value -> pixel from two (value, pixel) tick pairs far apart."""
    pairs = sorted(pairs)
    (v0, p0), (v1, p1) = pairs[0], pairs[-1]
    return lambda v: p0 + (v - v0) * (p1 - p0) / (v1 - v0)


def stat_key(text, key):
    for line in text.splitlines():
        k, _, v = line.partition(" ")
        if k == key:
            return int(v)
    return None


def expected_series(run, cg):
    sets = [s for s in run["samples"]] + [m["set"] for m in run["marks"]]
    sets = [s for s in sets if cg in s["cgroups"]]
    t0 = min(s["t_ns"] for s in run["samples"] + [m["set"] for m in run["marks"]])
    lines = {
        "memory.current": [int(s["cgroups"][cg]["current"]) for s in sets if "current" in s["cgroups"][cg]],
        "swap.current": [int(s["cgroups"][cg]["swap_current"]) for s in sets if "swap_current" in s["cgroups"][cg]],
    }
    for k in ("anon", "file", "shmem"):
        lines[k] = [stat_key(s["cgroups"][cg]["stat"], k) for s in sets if "stat" in s["cgroups"][cg]]
    drawn = {k: v for k, v in lines.items() if any(x for x in v if x)}
    return drawn, len(sets), t0


def axes(f):
    """(MiB -> y pixel, s -> x pixel) from the figure's tick labels."""
    ys = [(float(t), float(a["y"])) for a, t in f["texts"] if a.get("text-anchor") == "end" and re.fullmatch(r"-?[0-9.]+", t)]
    xs = [(float(t), float(a["x"])) for a, t in f["texts"] if a.get("text-anchor") == "middle" and re.fullmatch(r"-?[0-9.]+", t)]
    if len(ys) < 2 or len(xs) < 2:
        fail(f"axis ticks not found: y {ys}, x {xs}")
    return fit(ys), fit(xs)


def one_figure(p, what):
    figs = [f for f in p.figs if f["attrs"].get("data-what") == what]
    if len(figs) != 1:
        fail(f"{len(figs)} charts {what!r} in the DOM")
    return figs[0]


def main_run():
    dom, run_path, cg = sys.argv[1], sys.argv[2], sys.argv[3]
    what = sys.argv[4] if len(sys.argv) > 4 else f"memory {cg}"
    sides = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    run = json.load(open(run_path))
    p = Figures()
    p.feed(open(dom).read())
    f = one_figure(p, what)
    drawn, n_points, t0 = expected_series(run, cg)
    if sides == 2:  # compare.html draws memory.current and anon of each side
        drawn = {f"{s} {k}": v for s in "AB" for k, v in drawn.items() if k in ("memory.current", "anon")}
    series = [pl for pl in f["polylines"] if pl[0] in PALETTE and len(pl[1]) > 2]
    if len(series) != len(drawn):
        fail(f"{len(series)} series drawn, the record has {len(drawn)} non-zero: {sorted(drawn)}")
    for stroke, pts in series:
        if len(pts) != n_points:
            fail(f"a series of {len(pts)} points; the record has {n_points} samples of {cg}")
    y_of, x_of = axes(f)
    limit = next(int(v) for c in run["plan"]["cgroups"] if c["name"] == cg for k, v in c["writes"] if k == "memory.max")
    want_y = y_of(limit / 1048576)
    limit_lines = [pts for s, pts in f["polylines"] if s in ("#C80000", "#E68C00") and len(pts) == 2 and pts[0][1] == pts[1][1] and pts[1][0] - pts[0][0] > 100]
    if len(limit_lines) != sides or any(abs(l[0][1] - want_y) > 1.5 for l in limit_lines):
        fail(f"memory.max {limit} B should be a line at y={want_y:.1f}: found {limit_lines}")
    kill = next(k["raw"] for k in run["kmsg"] if "Killed process" in k["raw"])
    usec = int(kill.split(";")[0].split(",")[2])
    t_s = (usec * 1000 + run["kmsg_offset_ns"] - t0) / 1e9
    want_x = x_of(t_s)
    kills = [pts for s, pts in f["polylines"] if s == "#FF0000" and len(pts) == 2 and pts[0][0] == pts[1][0]]
    if len(kills) != sides or any(abs(k[0][0] - want_x) > 1.5 for k in kills):
        fail(f"the kill at {t_s:.3f} s should be at x={want_x:.1f}: found {kills}")
    print(f"ok: {len(series)} series of {n_points} points ({', '.join(sorted(drawn))}); "
          f"memory.max at y={limit_lines[0][0][1]:.0f} (ticks say {want_y:.1f}); "
          f"kill at x={kills[0][0][0]:.0f} for {t_s:.3f} s (ticks say {want_x:.1f})")


def run_lines(run, cg):
    """The banded lines of one run: label -> [(s from the run's first sample, value)]."""
    sets = sorted(run["samples"] + [m["set"] for m in run["marks"]], key=lambda s: s["t_ns"])
    t0 = sets[0]["t_ns"]
    out = {k: [] for k in BANDED}
    for s in sets:
        c = s["cgroups"].get(cg)
        if c is None:
            continue
        t = (s["t_ns"] - t0) / 1e9
        if "current" in c:
            out["memory.current"].append((t, int(c["current"])))
        for k in ("anon", "file"):
            v = stat_key(c.get("stat", ""), k)
            if v is not None:
                out[k].append((t, v))
    return out, t0, (sets[-1]["t_ns"] - t0) / 1e9


def interp(pts, t):
    """Linear between the samples around t; None outside them."""
    times = [p[0] for p in pts]
    i = bisect.bisect_left(times, t)
    if i == len(pts):
        return None
    if pts[i][0] == t:
        return pts[i][1]
    if i == 0:
        return None
    (a, va), (b, vb) = pts[i - 1], pts[i]
    return va + (t - a) / (b - a) * (vb - va)


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def expected_bands(runs, cg):
    """label -> [(t, min, median, max)] over the grid, as the band chart must draw it."""
    lines = [run_lines(r, cg) for r in runs]
    span = max(l[2] for l in lines)
    step = max(max(r["interval_ms"] for r in runs) / 1e3, span / 400, 1e-3)
    grid = [k * step for k in range(int(span / step + 1e-9) + 1)]
    need = (len(runs) + 1) // 2
    out = {}
    for label in BANDED:
        per_run = [l[0][label] for l in lines]
        if not any(v for pts in per_run for _, v in pts):
            continue
        pts = []
        for t in grid:
            vals = [v for v in (interp(p, t) for p in per_run) if v is not None]
            if len(vals) >= need:
                pts.append((t, min(vals), median(vals), max(vals)))
        out[label] = pts
    return out, step


def check_band_line(f, color, want, y_of, x_of):
    """The median polyline of `color` and the polygon of the same colour against `want`."""
    lines = [pts for s, pts in f["polylines"] if s == color and len(pts) > 2]
    shades = [pts for fill, pts in f["polygons"] if fill == color]
    if len(lines) != 1 or len(shades) != 1:
        fail(f"{color}: {len(lines)} median lines and {len(shades)} bands, want one each")
    line, shade = lines[0], shades[0]
    n = len(want)
    if len(line) != n or len(shade) != 2 * n:
        fail(f"{color}: {len(line)} median points and {len(shade)} band vertices; the grid has {n} times")
    for i, ((t, lo, med, hi), (x, y)) in enumerate(zip(want, line)):
        low, high = shade[i], shade[2 * n - 1 - i]
        ok_x = abs(x - x_of(t)) <= 1.5 and low[0] == x and high[0] == x
        ok_y = abs(y - y_of(med / 1048576)) <= 1.5
        ok_band = abs(low[1] - y_of(lo / 1048576)) <= 1.5 and abs(high[1] - y_of(hi / 1048576)) <= 1.5
        if not (ok_x and ok_y and ok_band and high[1] <= y <= low[1]):
            fail(f"{color} at {t:.3f} s: median {med:.0f} B in [{lo:.0f}, {hi:.0f}] should be at "
                 f"x={x_of(t):.1f} y={y_of(med / 1048576):.1f} in y [{y_of(hi / 1048576):.1f}, "
                 f"{y_of(lo / 1048576):.1f}]: drawn ({x}, {y}) in [{high}, {low}]")


def check_band_kills(f, runs, x_of):
    want = []
    for r in runs:
        t0 = min(s["t_ns"] for s in r["samples"] + [m["set"] for m in r["marks"]])
        for k in r["kmsg"]:
            if "Killed process" in k["raw"]:
                usec = int(k["raw"].split(";")[0].split(",")[2])
                want.append((usec * 1000 + r["kmsg_offset_ns"] - t0) / 1e9)
    got = sorted(pts[0][0] for s, pts in f["polylines"] if s == "#FF0000" and len(pts) == 2 and pts[0][0] == pts[1][0])
    xs = sorted(x_of(t) for t in want)
    if len(got) != len(xs) or any(abs(g - x) > 1.5 for g, x in zip(got, xs)):
        fail(f"kills at {want} s should be at x={xs}: found {got}")
    return want


def check_each_run(p, runs, cg):
    """Each run's own memory chart, in page order, has that run's series and points."""
    figs = [f for f in p.figs if f["attrs"].get("data-what") == f"memory {cg}"]
    if len(figs) != len(runs):
        fail(f"{len(figs)} per-run memory charts for {len(runs)} runs")
    for k, (f, run) in enumerate(zip(figs, runs)):
        drawn, n_points, _ = expected_series(run, cg)
        series = [pl for pl in f["polylines"] if pl[0] in PALETTE and len(pl[1]) > 2]
        if len(series) != len(drawn) or any(len(pts) != n_points for _, pts in series):
            fail(f"run {k}'s chart: {[len(pts) for _, pts in series]} points, want {len(drawn)} series of {n_points}")


def main_band():
    dom, cg, paths = sys.argv[2], sys.argv[3], sys.argv[4:]
    runs = [json.load(open(p)) for p in paths]
    p = Figures()
    p.feed(open(dom).read())
    f = one_figure(p, f"band memory {cg}")
    want, step = expected_bands(runs, cg)
    if f["attrs"].get("data-bands") != str(len(want)):
        fail(f"data-bands {f['attrs'].get('data-bands')}, the records have {len(want)} non-zero: {sorted(want)}")
    y_of, x_of = axes(f)
    for i, label in enumerate(want):
        check_band_line(f, ORDER[i], want[label], y_of, x_of)
    kills = check_band_kills(f, runs, x_of)
    limit = next(int(v) for c in runs[0]["plan"]["cgroups"] if c["name"] == cg for k, v in c["writes"] if k == "memory.max")
    limit_lines = [pts for s, pts in f["polylines"] if s == "#C80000" and len(pts) == 2 and pts[0][1] == pts[1][1] and pts[1][0] - pts[0][0] > 100]
    if len(limit_lines) != 1 or abs(limit_lines[0][0][1] - y_of(limit / 1048576)) > 1.5:
        fail(f"memory.max {limit} B should be a line at y={y_of(limit / 1048576):.1f}: found {limit_lines}")
    check_each_run(p, runs, cg)
    print(f"ok: band chart of {len(runs)} runs, grid {step * 1e3:.0f} ms: "
          + "; ".join(f"{k} median of {len(v)} points inside min–max" for k, v in want.items())
          + f"; {len(kills)} kills at {', '.join(f'{t:.3f}' for t in kills)} s; memory.max line; "
          "each run's own memory chart")


def main_compare_band():
    dom, cg, what, paths = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
    runs = [json.load(open(p)) for p in paths]
    p = Figures()
    p.feed(open(dom).read())
    f = one_figure(p, what)
    want, step = expected_bands(runs, cg)
    want = {k: v for k, v in want.items() if k in ("memory.current", "anon")}
    if f["attrs"].get("data-bands") != str(2 * len(want)):
        fail(f"data-bands {f['attrs'].get('data-bands')}, want {2 * len(want)} (A's and B's {sorted(want)})")
    y_of, x_of = axes(f)
    for i, label in enumerate(list(want) * 2):
        check_band_line(f, ORDER[i], want[label], y_of, x_of)
    kills = check_band_kills(f, runs + runs, x_of)
    limit = next(int(v) for c in runs[0]["plan"]["cgroups"] if c["name"] == cg for k, v in c["writes"] if k == "memory.max")
    limit_lines = [pts for s, pts in f["polylines"] if s in ("#C80000", "#E68C00") and len(pts) == 2 and pts[0][1] == pts[1][1] and pts[1][0] - pts[0][0] > 100]
    if len(limit_lines) != 2 or any(abs(l[0][1] - y_of(limit / 1048576)) > 1.5 for l in limit_lines):
        fail(f"A's and B's memory.max {limit} B should be lines at y={y_of(limit / 1048576):.1f}: found {limit_lines}")
    print(f"ok: compare chart of {len(runs)} + {len(runs)} runs, grid {step * 1e3:.0f} ms: A and B "
          + "; ".join(f"{k} median of {len(v)} points inside min–max" for k, v in want.items())
          + f"; {len(kills)} kills; two memory.max lines")


RATE = "#1F77B4"
OBSERVED = ["#FF7F0E", "#2CA02C", "#9467BD", "#8C564B"]


def wilson(k, n, z=1.959963984540054):
    """The 95% Wilson score interval of k/n, computed here, not read from the report."""
    p, z2 = k / n, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * (p * (1 - p) / n + z2 / (4 * n * n)) ** 0.5
    return max(0.0, centre - half), min(1.0, centre + half)


def first_texts(lists):
    out = []
    for t in (t for l in lists for t in l):
        if t not in out:
            out.append(t)
    return out


def across_expected(variants):
    """From report.json: per check two variants or more have, each variant's (k, n) counted
    from its per-run outcomes (None where none answered or it lacks the check); and the
    observations that are a number within 0-1 in every variant, with their values."""
    checks = []
    for text in first_texts([c["text"] for c in v["checks"]] for v in variants):
        found = [next((c for c in v["checks"] if c["text"] == text), None) for v in variants]
        if sum(c is not None for c in found) < 2:
            continue
        kn = [None if c is None else (sum(r is True for r in c["per_run"]), sum(r is not None for r in c["per_run"])) for c in found]
        checks.append((text, [x if x and x[1] else None for x in kn], found))
    observed = []
    for text in first_texts([o["text"] for o in v["observations"]] for v in variants):
        vals = [next((o["value"] for o in v["observations"] if o["text"] == text), None) for v in variants]
        if all(isinstance(x, (int, float)) and 0 <= x <= 1 for x in vals):
            observed.append((text, vals))
    return checks, observed


def check_rates(f, kn, found, xs, y_of):
    """Each answered variant's filled point at k/n on a bar from its interval's low to high."""
    bars = [(x1, min(y1, y2), max(y1, y2)) for s, x1, y1, x2, y2 in f["lines"] if s == RATE and x1 == x2]
    points = [(cx, cy) for fill, cx, cy in f["circles"] if fill == RATE
              and any(abs(cx - bx) < 0.5 and top <= cy <= bottom for bx, top, bottom in bars)]
    want = [i for i, x in enumerate(kn) if x]
    if len(points) != len(want):
        fail(f"{len(points)} points on bars; {len(want)} variants answered the check")
    for i in want:
        k, n = kn[i]
        low, high = wilson(k, n)
        c = found[i]["count"]
        if (c["k"], c["n"]) != (k, n) or abs(c["low"] - low) > 1e-9 or abs(c["high"] - high) > 1e-9:
            fail(f"variant {i + 1}: report.json says {c}, its runs {k}/{n} in [{low:.4f}, {high:.4f}]")
        at = [p for p in points if abs(p[0] - xs[i]) <= 1.5]
        if len(at) != 1 or abs(at[0][1] - y_of(k / n)) > 1.5:
            fail(f"variant {i + 1}: {k}/{n} should be a point at ({xs[i]:.1f}, {y_of(k / n):.1f}): found {at}")
        bar = [b for b in bars if abs(b[0] - xs[i]) <= 1.5]
        if len(bar) != 1 or abs(bar[0][1] - y_of(high)) > 1.5 or abs(bar[0][2] - y_of(low)) > 1.5:
            fail(f"variant {i + 1}: the bar should span y {y_of(high):.1f}-{y_of(low):.1f} ({low:.3f}-{high:.3f}): found {bar}")
    return len(want)


def check_observed(f, observed, xs, y_of):
    """Each qualifying observation's hollow markers (closed outlines of its colour) centred
    on its value at every variant, named in the legend; nothing else in its colour."""
    legend = {t for _, t in f["texts"]}
    for j, (text, vals) in enumerate(observed):
        marks = [pts[:-1] for s, pts in f["polylines"] if s == OBSERVED[j] and pts[0] == pts[-1]]
        centres = [(sum(p[0] for p in m) / len(m), sum(p[1] for p in m) / len(m)) for m in marks]
        if text not in legend or len(centres) != len(vals) + 1:
            fail(f"{text!r}: {len(centres)} markers (want {len(vals)} and a legend entry), in legend: {text in legend}")
        for i, v in enumerate(vals):
            if not any(abs(cx - xs[i]) <= 1.5 and abs(cy - y_of(v)) <= 1.5 for cx, cy in centres):
                fail(f"{text!r} = {v} at variant {i + 1} should be a marker at ({xs[i]:.1f}, {y_of(v):.1f}): {centres}")


def main_across():
    dom, report = sys.argv[2], json.load(open(sys.argv[3]))
    variants = report["variants"]
    p = Figures()
    p.feed(open(dom).read())
    figs = [f for f in p.figs if f["attrs"].get("data-what", "").startswith("across ")]
    checks, observed = across_expected(variants)
    if len(figs) != len(checks):
        fail(f"{len(figs)} charts across variants, {len(checks)} checks two variants or more have")
    said = []
    for f, (text, kn, found) in zip(figs, checks):
        names = {v["variant"]: i for i, v in enumerate(variants)}
        ticks = {names.get(t, int(t) - 1 if t.isdigit() else -1): float(a["x"]) for a, t in f["texts"] if a.get("text-anchor") == "middle"}
        xs = [ticks.get(i) for i in range(len(variants))]
        ys = [(float(t), float(a["y"])) for a, t in f["texts"] if a.get("text-anchor") == "end" and re.fullmatch(r"[0-9.]+", t)]
        if None in xs or len(ys) < 2 or f["attrs"]["data-what"] != f"across {text}":
            fail(f"{f['attrs']['data-what']!r} for {text!r}: x ticks {xs}, y ticks {ys}")
        y_of = fit(ys)
        drawn = check_rates(f, kn, found, xs, y_of)
        check_observed(f, observed, xs, y_of)
        said.append(f"{text}: {drawn} points of {len(variants)} variants at k/n, bars low-high")
    print(f"ok: {'; '.join(said)}; observations drawn: {[t for t, _ in observed] or 'none'}")


if sys.argv[1] == "--band":
    main_band()
elif sys.argv[1] == "--compare-band":
    main_compare_band()
elif sys.argv[1] == "--across":
    main_across()
else:
    main_run()
