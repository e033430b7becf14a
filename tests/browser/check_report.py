"""Checks a report.html as Chromium rendered it (its --dump-dom output) against the run's
record: per memory chart the number of drawn series and their points, the memory.max line's
height read off the y axis' tick labels, and the OOM kill marker's position read off the x
axis' tick labels. Usage: check_report.py DOM RUN_JSON CGROUP [WHAT SIDES]: WHAT is the
chart's data-what (default "memory CGROUP"); SIDES 2 for compare.html, where both sides are
the same record, so every series, limit and kill is drawn twice. Prints what it checked;
exits 1 with the reason on the first mismatch."""
import json
import re
import sys
from html.parser import HTMLParser

PALETTE = {"#1F77B4", "#FF7F0E", "#2CA02C", "#9467BD", "#8C564B", "#E377C2", "#7F7F7F", "#17BECF"}


class Figures(HTMLParser):
    """Collects each <figure class="chart">: its data attributes, polylines and tick texts."""

    def __init__(self):
        super().__init__()
        self.figs, self.cur, self.text_attrs = [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure" and a.get("class") == "chart":
            self.cur = {"attrs": a, "polylines": [], "texts": []}
            self.figs.append(self.cur)
        elif self.cur is not None and tag == "polyline":
            pts = [tuple(float(v) for v in p.split(",")) for p in a.get("points", "").split()]
            self.cur["polylines"].append((a.get("stroke", "").upper(), pts))
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


def main():
    dom, run_path, cg = sys.argv[1], sys.argv[2], sys.argv[3]
    what = sys.argv[4] if len(sys.argv) > 4 else f"memory {cg}"
    sides = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    run = json.load(open(run_path))
    p = Figures()
    p.feed(open(dom).read())
    figs = [f for f in p.figs if f["attrs"].get("data-what") == what]
    if len(figs) != 1:
        fail(f"{len(figs)} charts {what!r} in the DOM")
    f = figs[0]
    drawn, n_points, t0 = expected_series(run, cg)
    if sides == 2:  # compare.html draws memory.current and anon of each side
        drawn = {f"{s} {k}": v for s in "AB" for k, v in drawn.items() if k in ("memory.current", "anon")}
    series = [pl for pl in f["polylines"] if pl[0] in PALETTE and len(pl[1]) > 2]
    if len(series) != len(drawn):
        fail(f"{len(series)} series drawn, the record has {len(drawn)} non-zero: {sorted(drawn)}")
    for stroke, pts in series:
        if len(pts) != n_points:
            fail(f"a series of {len(pts)} points; the record has {n_points} samples of {cg}")
    ys = [(float(t), float(a["y"])) for a, t in f["texts"] if a.get("text-anchor") == "end" and re.fullmatch(r"-?[0-9.]+", t)]
    xs = [(float(t), float(a["x"])) for a, t in f["texts"] if a.get("text-anchor") == "middle" and re.fullmatch(r"-?[0-9.]+", t)]
    if len(ys) < 2 or len(xs) < 2:
        fail(f"axis ticks not found: y {ys}, x {xs}")
    y_of, x_of = fit(ys), fit(xs)
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


main()
