#!/usr/bin/env python3
"""Turns bench.sh's raw measurements into bench/results/latest.md and the
data and script for gnuplot (latest.png).

    report.py --raw RAW.tsv --machine MACHINE.txt [--valbench FILE]
              [--rssfloor FILE]
              --md OUT.md --plot DIR
"""
import argparse
import csv
import os
import statistics

SCENARIOS = ["cold", "noop", "noop-pull", "changed", "update"]
TOOLS = ["dockerup", "compose", "floor", "direct"]
VARIANT_NAMES = {
    "indep": "independent containers",
    "chain": "a dependency chain (container i takes volumes from i-1)",
}


def load(path):
    cells = {}
    with open(path) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            key = (row["variant"], int(row["n"]), row["tool"], row["scenario"])
            cells.setdefault(key, []).append(row)
    return cells


def secs(ms):
    return "%.2f" % (ms / 1000.0)


def timing(rows):
    if not rows:
        return None
    ms = [int(r["ms"]) for r in rows]
    return statistics.median(ms), min(ms), max(ms)


def fmt_time(t):
    if t is None:
        return "-"
    return "%s (%s-%s)" % (secs(t[0]), secs(t[1]), secs(t[2]))


def api(rows):
    if not rows:
        return "-"
    v = sorted(int(r["api"]) for r in rows)
    lo, hi = v[0], v[-1]
    med = statistics.median(v)
    s = "%g" % med
    if lo != hi:
        s += " (%d-%d)" % (lo, hi)
    return s


def rss(rows):
    """Max over runs of each process, and of their sum."""
    best = None
    for r in rows:
        try:
            p = [float(r["rss_parent"]), float(r["rss_fetcher"]),
                 float(r["rss_engine"])]
        except ValueError:
            continue
        if best is None:
            best = [p[0], p[1], p[2], sum(p)]
        else:
            best = [max(best[0], p[0]), max(best[1], p[1]),
                    max(best[2], p[2]), max(best[3], sum(p))]
    if best is None:
        return "-", None
    return "%.1f / %.1f / %.1f (%.1f)" % tuple(best), best[3]


def cpu_s(rows):
    """Median busy CPU seconds of the machine over the command, or None."""
    v = [int(r["cpu_ms"]) for r in rows if r.get("cpu_ms", "").isdigit()]
    return statistics.median(v) / 1000.0 if v else None


def failures(rows):
    return sum(1 for r in rows if r["status"] != "0")


def read_machine(path):
    m = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            m[k] = v
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--machine", required=True)
    ap.add_argument("--valbench")
    ap.add_argument("--rssfloor")
    ap.add_argument("--md", required=True)
    ap.add_argument("--plot", required=True)
    a = ap.parse_args()

    cells = load(a.raw)
    m = read_machine(a.machine)
    variants = [v for v in VARIANT_NAMES if any(k[0] == v for k in cells)]
    ns = sorted({k[1] for k in cells})
    tools = [t for t in TOOLS if any(k[2] == t for k in cells)]
    out = []
    w = out.append
    w("# dockerup against docker-compose")
    w("")
    w("Written by `make bench` (bench/bench.sh) on %s." % m.get("date", "?"))
    w("")
    w("- machine: %s; %s; %s RAM; load average at the end %s" %
      (m.get("host"), m.get("cpu"), m.get("mem"), m.get("load")))
    w("- engine: the test rig's private dockerd %s; docker-compose %s; "
      "dockerup %s" % (m.get("docker"), m.get("compose"), m.get("dockerup")))
    w("- %s runs per cell, tools alternating (the first tool rotates from "
      "run to run); times in seconds: median (min-max)" % m.get("runs"))
    w("- API: Docker API requests the engine served during the command "
      "(dockerd --debug log), median (min-max)")
    w("- busy CPU: the machine's CPU time over a command, every process "
      "(the engine's dockerd, containerd, shims and runc, the rig's "
      "registry, the tool), from /proc/stat")
    w("- RSS: dockerup's peak resident set, MiB, parent / fetcher / engine "
      "(sum), the largest over the runs, as the parent logs it at exit "
      "(`-v`)")
    w("- floor: a plain docker CLI loop (see bench/bench.sh): docker run "
      "per container; no-op: one `docker ps -a` (plus `docker pull` per "
      "image when pulling); changed: rm + run of that one; update: pull, "
      "rm, run per container")
    w("- direct (update only): dockerup's Docker calls for the update, "
      "sent by curl from a shell at dockerup's parallelism and nothing "
      "else (no registry check, gate or cleanup): what the calls alone "
      "cost, plus a curl process per call")
    w("- scenarios: cold = images local, no containers; noop = nothing "
      "changed, pulling off; noop-pull = pulling on (a registry check per "
      "image; compose: `pull -q` then `up -d`); changed = one definition's "
      "environment changed; update = every image has a new version in the "
      "registry")
    w("")
    for v in variants:
        w("## %s" % VARIANT_NAMES[v].capitalize())
        w("")
        w("| N | scenario | dockerup s | compose s | floor s | direct s | "
          "dockerup / compose | API dockerup | API compose | API floor | "
          "RSS dockerup MiB |")
        w("|---|---|---|---|---|---|---|---|---|---|---|")
        for n in ns:
            for sc in SCENARIOS:
                rows = {t: cells.get((v, n, t, sc), []) for t in TOOLS}
                if not any(rows.values()):
                    continue
                t = {k: timing(r) for k, r in rows.items()}
                ratio = "-"
                if t["dockerup"] and t["compose"] and t["compose"][0] > 0:
                    ratio = "%.2f" % (t["dockerup"][0] / t["compose"][0])
                fails = sum(failures(r) for r in rows.values())
                note = " (%d failed)" % fails if fails else ""
                w("| %d | %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %s |"
                  % (n, sc, note, fmt_time(t["dockerup"]),
                    fmt_time(t["compose"]), fmt_time(t["floor"]),
                    fmt_time(t["direct"]), ratio,
                    api(rows["dockerup"]), api(rows["compose"]),
                    api(rows["floor"]), rss(rows["dockerup"])[0]))
        w("")

    w("## Targets")
    w("")
    for v in variants:
        for n in ns:
            def med(tool, sc):
                t = timing(cells.get((v, n, tool, sc), []))
                return t[0] if t else None
            parts = []
            d, c = med("dockerup", "cold"), med("compose", "cold")
            if d is not None and c:
                parts.append("cold %.2f of compose (target <= 0.7: %s)" %
                             (d / c, "met" if d / c <= 0.7 else "NOT met"))
            d, c = med("dockerup", "noop"), med("compose", "noop")
            if d is not None and c:
                parts.append("no-op 1/%.0f of compose (target <= 1/20: %s)"
                             % (c / max(d, 1), "met" if d * 20 <= c
                                else "NOT met"))
            d, c = med("dockerup", "update"), med("compose", "update")
            if d is not None and c:
                parts.append("update %.2f of compose (target <= 0.7: %s)" %
                             (d / c, "met" if d / c <= 0.7 else "NOT met"))
                busy = cpu_s(cells.get((v, n, "dockerup", "update"), []))
                ncpu = int(m.get("ncpu") or 0)
                if busy is not None and ncpu:
                    parts.append("during dockerup's update the machine was "
                                 "busy %.1f CPU-s (the engine's, the "
                                 "registry's and dockerup's work): on %d "
                                 "cores that work takes at least %.1f s, "
                                 "%.2f of compose's time" %
                                 (busy, ncpu, busy / ncpu,
                                  busy / ncpu / (c / 1000.0)))
                cbusy = cpu_s(cells.get((v, n, "compose", "update"), []))
                if busy is not None and cbusy:
                    parts.append("during compose's, %.1f CPU-s: dockerup "
                                 "asked the machine for %.2f of compose's "
                                 "work" % (cbusy, busy / cbusy))
                e = med("direct", "update")
                if e is not None:
                    parts.append("the bare calls (direct) %.2f of "
                                 "compose, dockerup %.2f of them" %
                                 (e / c, d / e))
            d, c = med("dockerup", "changed"), med("compose", "changed")
            if v == "chain" and d is not None and c:
                parts.append("changed %.2f of compose (target <= 1: %s)" %
                             (d / c, "met" if d <= c else "NOT met"))
            r = rss(cells.get((v, n, "dockerup", "cold"), []) +
                    cells.get((v, n, "dockerup", "update"), []))
            if r[1] is not None:
                parts.append("peak RSS sum %.1f MiB (target <= 10: %s)" %
                             (r[1], "met" if r[1] <= 10 else "NOT met"))
            if parts:
                w("- %s, N=%d: %s" % (v, n, "; ".join(parts)))
    apis = []
    for v in variants:
        for sc in ("noop", "noop-pull"):
            vals = [api(cells.get((v, n, "dockerup", sc), [])) for n in ns]
            apis.append("%s %s: %s" % (v, sc, ", ".join(
                "N=%d: %s" % (n, x) for n, x in zip(ns, vals))))
    w("- no-op API requests of dockerup (independent of N, plus one "
      "registry check per image when pulling): " + "; ".join(apis))
    w("")
    if a.valbench and os.path.exists(a.valbench) and \
            os.path.getsize(a.valbench) > 0:
        w("## Validation and ordering cost (build/bench/valbench)")
        w("")
        with open(a.valbench) as f:
            w(f.read().rstrip())
        w("")
    if a.rssfloor and os.path.exists(a.rssfloor) and \
            os.path.getsize(a.rssfloor) > 0:
        w("## What libcurl alone costs a process (build/bench/rssfloor)")
        w("")
        w("The engine needs libcurl; this is the peak RSS of a process "
          "that only loads it the way the engine does.")
        w("")
        with open(a.rssfloor) as f:
            w(f.read().rstrip())
        w("")
    with open(a.md + ".tmp", "w") as f:
        f.write("\n".join(out) + "\n")
    os.replace(a.md + ".tmp", a.md)
    plot(cells, variants, ns, a.plot)


def plot(cells, variants, ns, d):
    os.makedirs(d, exist_ok=True)
    series = []
    for v in variants:
        for sc in ("cold", "noop"):
            for tool in ("dockerup", "compose"):
                fn = "%s-%s-%s.dat" % (v, sc, tool)
                with open(os.path.join(d, fn), "w") as f:
                    for n in ns:
                        t = timing(cells.get((v, n, tool, sc), []))
                        if t:
                            f.write("%d %.3f %.3f %.3f\n" % (
                                n, t[0] / 1000.0, t[1] / 1000.0,
                                t[2] / 1000.0))
                series.append((fn, "%s %s (%s)" % (tool, sc, v), tool, sc, v))
    lines = [
        'set terminal pngcairo size 1000,640 font ",10"',
        'set output "latest.png"',
        'set title "dockerup vs docker-compose: wall time against N '
        '(median, bars: min-max)"',
        'set xlabel "containers (N)"',
        'set ylabel "seconds (log scale)"',
        'set logscale y',
        'set key outside right',
        'set grid',
        'set xrange [0:%g]' % (max(ns) * 1.1 if ns else 1),
    ]
    plots = []
    colors = {"dockerup": "#1f77b4", "compose": "#d62728"}
    for fn, title, tool, sc, v in series:
        dash = 1 if v == "indep" else 2
        pt = 7 if sc == "cold" else 5
        plots.append('"%s" using 1:2:3:4 with yerrorlines lc rgb "%s" '
                     'dt %d pt %d title "%s"' %
                     (fn, colors[tool], dash, pt, title))
    lines.append("plot " + ", \\\n     ".join(plots))
    with open(os.path.join(d, "plot.gp"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
