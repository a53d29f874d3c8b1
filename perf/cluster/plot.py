#!/usr/bin/env python3
"""Plots and summarises a `perf/cluster/cluster.sh bench` run.

Why: the bench run leaves one JSON file per series (weft-perf with each
all-reduce algorithm forced, weft-perf with its own choice, OpenMPI's
mpi-perf, Gloo's gloo-perf), in weft-perf's -J format: an array of rows with
size, time_us, algbw, busbw, wrong and algo.  This script turns them into
what a reader wants: bus bandwidth against message size per series, next to
the bounds that the emulated links set, and time per call (log scale, for
the small sizes), as one PNG of two panels; and a Markdown summary.

    perf/cluster/plot.py DIR                 # DIR/busbw.png
    perf/cluster/plot.py DIR -o out.png --title "4 nodes x 2 rails, 1 Gbit/s"
    perf/cluster/plot.py --summary DIR       # Markdown on stdout

The bounds come from DIR/cluster.txt (written by bench: nodes, rails, ranks
per node, rate).  With N nodes, k rails, n ranks and B bytes/s per link
direction, an all-reduce of S bytes must move 2(N-1)/N x S/k over every
rail when the k rails share the work evenly (the rail-parallel
hierarchical algorithm), so algbw <= k B N / (2(N-1)); nccl-tests' busbw
multiplies algbw by 2(n-1)/n, hence

    busbw <= k B N (n-1) / ((N-1) n)          (rail-parallel bound)
    busbw <= B                                 (one link per node: a flat ring)

Both are also given for TCP payload: at MTU 1500 a full frame carries 1448
of its 1514 bytes (tbf meters whole frames).

Drawing uses matplotlib when it can be imported (Debian: python3-matplotlib),
else gnuplot (pngcairo or png terminal).  Standard library otherwise.
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

ORDER = ["weft-hier", "weft-hier_hd", "weft-hier_rd", "weft-auto", "weft-ring", "weft-rabenseifner", "weft-rd", "weft-dbt", "mpi", "gloo"]
UNITS = {"bit": 1, "kbit": 1e3, "mbit": 1e6, "gbit": 1e9, "tbit": 1e12,
         "bps": 8, "kbps": 8e3, "mbps": 8e6, "gbps": 8e9, "tbps": 8e12,
         "kibit": 1024, "mibit": 1024**2, "gibit": 1024**3, "tibit": 1024**4}


def rate_bytes(rate):
    """tc's rate syntax ('1gbit', '500mbit', '125mbps') in bytes/s, or None."""
    rate = rate.strip().lower()
    for unit in sorted(UNITS, key=len, reverse=True):
        if rate.endswith(unit):
            try:
                return float(rate[: -len(unit)]) * UNITS[unit] / 8
            except ValueError:
                return None
    return None


SIZE_UNITS = {"b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3,
              "gb": 1024**3, "kbit": 1024 / 8, "mbit": 1024**2 / 8, "gbit": 1024**3 / 8}


def size_bytes(size):
    """tc's size syntax ('256kb', '1mb', '64kbit', '1500') in bytes, or None."""
    size = size.strip().lower()
    for unit in sorted(SIZE_UNITS, key=len, reverse=True):
        if size.endswith(unit):
            size, scale = size[: -len(unit)], SIZE_UNITS[unit]
            break
    else:
        scale = 1
    try:
        return float(size) * scale
    except ValueError:
        return None


def payload_fraction(info):
    """TCP payload per byte on the wire: an MTU-sized IP packet carries
    MTU - 52 bytes of payload (IP 20, TCP 20 + 12 of timestamps) in a frame
    of MTU + 14 (Ethernet header), which is what tbf meters."""
    mtu = int(info.get("mtu", "1500"))
    return (mtu - 52) / (mtu + 14)


def read_cluster(directory):
    """DIR/cluster.txt as a dict (nodes, rails, ranks_per_node, rate...)."""
    info = {}
    try:
        with open(os.path.join(directory, "cluster.txt")) as f:
            for word in f.read().split():
                key, _, value = word.partition("=")
                info[key] = value
    except OSError:
        pass
    return info


def bounds(info):
    """(rail-parallel busbw bound, one-link bound) in GB/s, or (None, None)."""
    try:
        nodes, rails = int(info["nodes"]), int(info["rails"])
        ranks = nodes * int(info.get("ranks_per_node", rails))
    except (KeyError, ValueError):
        return None, None
    link = rate_bytes(info.get("rate", ""))
    if link is None or nodes < 2:
        return None, None
    rail_parallel = rails * link * nodes * (ranks - 1) / ((nodes - 1) * ranks)
    return rail_parallel / 1e9, link / 1e9


def median(values):
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def read_series(directory):
    """{name: {size: row}} from DIR/*.json, in a sensible order.  Rounds of
    one series (NAME.roundI.json) become one, the median time per size
    (busbw and algbw from it)."""
    rounds = {}
    for path in glob.glob(os.path.join(directory, "*.json")):
        name = os.path.splitext(os.path.basename(path))[0].split(".round")[0]
        with open(path) as f:
            rounds.setdefault(name, []).append({row["size"]: row for row in json.load(f)})
    series = {}
    for name, runs in rounds.items():
        rows = {}
        for size in sorted({size for run in runs for size in run}):
            got = [run[size] for run in runs if size in run]
            row = dict(got[0])
            row["time_us"] = median([r["time_us"] for r in got])
            for key in ("algbw", "busbw"):
                # bandwidths scale as 1/time: the row at the median time
                row[key] = got[0][key] * got[0]["time_us"] / row["time_us"]
            row["wrong"] = sum(r.get("wrong", 0) or 0 for r in got)
            row["rounds"] = len(got)
            rows[size] = row
        series[name] = rows
    rank = {name: i for i, name in enumerate(ORDER)}
    return dict(sorted(series.items(), key=lambda kv: (rank.get(kv[0], len(ORDER)), kv[0])))


def size_label(size):
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} B"


# --- summary -----------------------------------------------------------------

def summary(directory):
    info = read_cluster(directory)
    series = read_series(directory)
    if not series:
        sys.exit(f"plot.py: no *.json in {directory}")
    bound, link = bounds(info)
    out = ["# all-reduce on the emulated cluster", ""]
    if info:
        out.append("cluster: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    payload = payload_fraction(info)
    if bound:
        out.append(f"rail-parallel busbw bound {bound:.4f} GB/s ({bound * payload:.4f} for TCP "
                   f"payload); one link {link:.4f} GB/s ({link * payload:.4f})")
    out += ["", "busbw (GB/s) per size; `weft-auto` is the tuner's choice, its algorithm "
            "in the last column", ""]
    names = list(series)
    sizes = sorted({s for rows in series.values() for s in rows})
    out.append("| size | " + " | ".join(names) + " | auto algo |")
    out.append("|---:|" + "---:|" * len(names) + ":---|")
    for size in sizes:
        cells = [f"{series[n][size]['busbw']:.4f}" if size in series[n] else "-" for n in names]
        algo = series.get("weft-auto", {}).get(size, {}).get("algo", "-")
        out.append(f"| {size_label(size)} | " + " | ".join(cells) + f" | {algo} |")
    out += [""] + highlights(series, sizes, bound, payload) + tuner_check(series, sizes)
    wrong = [(n, s) for n, rows in series.items() for s, r in rows.items() if r.get("wrong")]
    out.append(f"rows with #wrong > 0: {wrong if wrong else 'none'}")
    print("\n".join(out))


def busbw(series, name, size):
    row = series.get(name, {}).get(size)
    return row["busbw"] if row else None


def highlights(series, sizes, bound, payload):
    out = []
    for size in (32 << 20, 64 << 20):
        if size not in sizes:
            continue
        hier = busbw(series, "weft-hier", size)
        line = []
        for name in series:
            value = busbw(series, name, size)
            if value is not None:
                line.append(f"{name} {value:.4f}")
        if hier:
            for base in ("weft-ring", "mpi", "gloo"):
                value = busbw(series, base, size)
                if value:
                    line.append(f"hier/{base} {hier / value:.2f}x")
            if bound:
                line.append(f"hier {100 * hier / bound:.1f}% of the bound "
                            f"({100 * hier / (bound * payload):.1f}% of the payload bound)")
        out.append(f"- {size_label(size)}: " + ", ".join(line))
    return out


def tuner_check(series, sizes):
    """The tuner against the best forced algorithm, size by size, two ways:
    weft-auto's own time (the tuner as a user meets it, with the noise of
    its own run), and the forced run of the algorithm it chose (the choice
    alone: when it chose the best, this ratio is exactly 1)."""
    if "weft-auto" not in series:
        return []
    forced = [n for n in series if n.startswith("weft-") and n != "weft-auto"]
    slow_run, slow_choice = [], []
    for size in sizes:
        auto = series["weft-auto"].get(size)
        times = [(series[n][size]["time_us"], n) for n in forced if size in series[n]]
        if not auto or not times:
            continue
        best, name = min(times)
        if auto["time_us"] > 1.10 * best:
            slow_run.append(f"{size_label(size)} ({auto['algo']} {auto['time_us']:.1f} us vs "
                            f"{name} {best:.1f} us)")
        chosen = series.get("weft-" + str(auto.get("algo")), {}).get(size)
        if chosen and chosen["time_us"] > 1.10 * best:
            slow_choice.append(f"{size_label(size)} ({auto['algo']} {chosen['time_us']:.1f} us "
                               f"forced vs {name} {best:.1f} us)")
    out = []
    for slow, what in ((slow_choice, "the algorithm the tuner chose, forced,"),
                       (slow_run, "weft-auto's own run")):
        if not slow:
            out.append(f"- {what} is within 10% of the best forced algorithm at every size")
        else:
            out.append(f"- {what} is more than 10% slower than the best forced algorithm at: "
                       + "; ".join(slow))
    return out


# --- drawing -----------------------------------------------------------------

def tick_sizes(series):
    """Every size, or every other one when there are many."""
    sizes = sorted({s for rows in series.values() for s in rows})
    return sizes if len(sizes) <= 14 else sizes[::2]


def plot_matplotlib(series, bound, link, title, png):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (bw, tm) = plt.subplots(1, 2, figsize=(15, 6))
    ticks = tick_sizes(series)
    for name, rows in series.items():
        sizes = sorted(rows)
        width = 2.2 if name == "weft-hier" else 1.2
        bw.plot(sizes, [rows[s]["busbw"] for s in sizes], marker="o", markersize=3,
                label=name, linewidth=width)
        tm.plot(sizes, [rows[s]["time_us"] for s in sizes], marker="o", markersize=3,
                label=name, linewidth=width)
    for value, label in ((bound, "rail-parallel bound"), (link, "one-link bound (flat ring)")):
        if value:
            bw.axhline(value, linestyle="--", linewidth=0.8, color="grey",
                       label=f"{label} {value:.3f}")
    bw.set_ylim(bottom=0)
    tm.set_yscale("log")
    for ax, ylabel in ((bw, "busbw (GB/s)"), (tm, "time (us)")):
        ax.set_xscale("log", base=2)
        ax.set_xticks(ticks)
        ax.set_xticklabels([size_label(s) for s in ticks], rotation=45, ha="right")
        ax.set_xlabel("message size")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(png, dpi=110)


def plot_gnuplot(series, bound, link, title, png):
    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        sys.exit("plot.py: neither matplotlib nor gnuplot is available")
    with tempfile.TemporaryDirectory() as tmp:
        bw, tm = [], []
        for i, (name, rows) in enumerate(series.items()):
            path = os.path.join(tmp, f"s{i}.dat")
            with open(path, "w") as f:
                for size in sorted(rows):
                    f.write(f"{size} {rows[size]['busbw']} {rows[size]['time_us']}\n")
            style = f"with linespoints lw {3 if name == 'weft-hier' else 1.5} pt 7 ps 0.5"
            bw.append(f"'{path}' using 1:2 {style} title '{name}'")
            tm.append(f"'{path}' using 1:3 {style} title '{name}'")
        for value, label in ((bound, "rail-parallel bound"), (link, "one-link bound (flat ring)")):
            if value:
                bw.append(f"{value} with lines dt 2 lc rgb 'grey' title '{label} {value:.3f}'")
        xtics = ", ".join(f'"{size_label(s)}" {s}' for s in tick_sizes(series))
        script = "\n".join([
            "set terminal pngcairo size 1700,720 font ',10'",
            f"set output '{png}'",
            f"set multiplot layout 1,2 title '{title}'",
            "set logscale x 2",
            f"set xtics ({xtics}) rotate by 45 right",
            "set xlabel 'message size'",
            "set grid",
            "set key top left",
            "set ylabel 'busbw (GB/s)'",
            "set yrange [0:*]",
            "plot " + ", \\\n     ".join(bw),
            "set ylabel 'time (us)'",
            "set logscale y 10",
            "set yrange [*:*]",
            "plot " + ", \\\n     ".join(tm),
            "unset multiplot",
        ])
        result = subprocess.run([gnuplot], input=script, text=True, capture_output=True)
        if result.returncode != 0 and "pngcairo" in result.stderr:
            script = script.replace("pngcairo size 1700,720 font ',10'", "png size 1700,720")
            result = subprocess.run([gnuplot], input=script, text=True, capture_output=True)
        if result.returncode != 0:
            sys.exit(f"plot.py: gnuplot failed:\n{result.stderr}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dir", help="output directory of `cluster.sh bench`")
    parser.add_argument("-o", "--output", help="PNG to write (default DIR/busbw.png)")
    parser.add_argument("--title", help="plot title (default: from DIR/cluster.txt)")
    parser.add_argument("--summary", action="store_true", help="print a Markdown summary instead")
    parser.add_argument("--gnuplot", action="store_true", help="draw with gnuplot even when "
                        "matplotlib is available")
    args = parser.parse_args()
    if args.summary:
        summary(args.dir)
        return
    series = read_series(args.dir)
    if not series:
        sys.exit(f"plot.py: no *.json in {args.dir}")
    info = read_cluster(args.dir)
    bound, link = bounds(info)
    title = args.title or ("float32 sum all-reduce, emulated cluster: "
                           f"{info.get('nodes', '?')} nodes x {info.get('rails', '?')} rails, "
                           f"{info.get('rate', '?')} per rail")
    png = os.path.abspath(args.output or os.path.join(args.dir, "busbw.png"))
    try:
        if args.gnuplot:
            raise ImportError
        import matplotlib  # noqa: F401  (only to know whether it is there)
        plot_matplotlib(series, bound, link, title, png)
    except ImportError:
        plot_gnuplot(series, bound, link, title, png)
    print(png)


if __name__ == "__main__":
    main()
