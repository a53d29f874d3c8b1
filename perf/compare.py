#!/usr/bin/env python3
"""Side-by-side comparison of two benchmark commands, for docs/PERFORMANCE.md.

Both commands must print weft-perf's table (weft-perf itself, or one of the
baselines in perf/baselines: mpi-perf, gloo-perf): lines starting with '#'
are comments, every other line is a row whose columns are size (B), count,
type, redop, root, time (us), algbw, busbw (GB/s), #wrong and algo.

The two commands run alternately, --rounds times each, in this one run, so
that both see the same machine at the same moments. Per size and per command
the median over the rounds of time and busbw is kept, and the table puts them
side by side with two ratios: busbw weft/base (above 1: weft moves more) and
time weft/base (below 1: weft is faster).

Exit status: 0 when every run succeeded and checked clean, 1 when a command
failed, printed no row, or reported #wrong > 0, 2 on a usage error.

Standard library only. perf/compare.sh is the same program.
"""

import argparse
import math
import re
import statistics
import subprocess
import sys

HEADER_RE = re.compile(r"^#\s*(\S+)\s+(\S+):\s*nranks\s+(\d+)")


class RunError(Exception):
    """A command failed or printed something that is not a result table."""


def busbw_factor(collective, nranks):
    """nccl-tests' factor from algbw to busbw, or None for an unknown collective."""
    n = nranks
    factors = {"allreduce": 2 * (n - 1) / n, "allgather": (n - 1) / n,
               "reducescatter": (n - 1) / n, "broadcast": 1.0, "reduce": 1.0}
    return factors.get(collective.replace("_", "").lower())


def parse_output(text, label):
    """Returns (description, factor, rows); rows maps size -> (time_us, busbw, algo).

    description is "<collective>, nranks N" from the header line, or None;
    factor is the busbw factor that header implies, or None. Raises RunError
    on a malformed row or a row with wrong elements."""
    description, factor = None, None
    rows = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            match = HEADER_RE.match(line)
            if match and description is None:
                description = f"{match.group(2)}, nranks {match.group(3)}"
                factor = busbw_factor(match.group(2), int(match.group(3)))
            continue
        fields = line.split()
        try:
            size, time_us, busbw = int(fields[0]), float(fields[5]), float(fields[7])
            wrong, algo = fields[8], fields[9]
        except (IndexError, ValueError):
            raise RunError(f"{label}: line {number} is not a result row: {line!r}")
        if wrong not in ("N/A", "0"):
            raise RunError(f"{label}: {wrong} wrong elements at size {size}: {line!r}")
        rows.setdefault(size, (time_us, busbw, algo))
    if not rows:
        raise RunError(f"{label}: printed no result row")
    return description, factor, rows


def run_once(label, command, timeout, verbose):
    """Runs command through bash; returns its stdout, or raises RunError."""
    try:
        result = subprocess.run(["bash", "-c", command], stdout=subprocess.PIPE,
                                text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RunError(f"{label}: no result after {timeout} s: {command}")
    if verbose:
        sys.stderr.write(result.stdout)
    if result.returncode != 0:
        raise RunError(f"{label}: exit status {result.returncode}: {command}")
    return result.stdout


def human_size(size):
    for shift, unit in ((30, "GiB"), (20, "MiB"), (10, "KiB")):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size} B"


def ratio(numerator, denominator):
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def fmt(value, spec):
    return "-" if value is None else format(value, spec)


def medians(samples, factor):
    """size -> list of (time, busbw, algo) becomes size -> (time, busbw, algo).

    The busbw kept is the one of the median time, recomputed from size and
    time when the factor is known: the printed busbw has three decimals,
    too few for the ratio at small sizes."""
    out = {}
    for size, runs in samples.items():
        time_us = statistics.median(r[0] for r in runs)
        if factor and time_us > 0:
            busbw = size / (time_us * 1e3) * factor
        else:
            busbw = statistics.median(r[1] for r in runs)
        out[size] = (time_us, busbw, runs[-1][2])
    return out


def build_table(names, weft, base):
    """The header and the rows of the table, as lists of strings."""
    wname, bname = names
    header = ["size", f"{wname} time (us)", f"{bname} time (us)",
              f"{wname} busbw (GB/s)", f"{bname} busbw (GB/s)",
              f"busbw {wname}/{bname}", f"time {wname}/{bname}", f"{wname} algo"]
    rows = []
    for size in sorted(set(weft) | set(base)):
        wt, wb, walgo = weft.get(size, (None, None, "-"))
        bt, bb, _ = base.get(size, (None, None, "-"))
        rows.append([human_size(size), fmt(wt, ".2f"), fmt(bt, ".2f"), fmt(wb, ".3f"),
                     fmt(bb, ".3f"), fmt(ratio(wb, bb), ".3g"), fmt(ratio(wt, bt), ".3g"),
                     walgo])
    return header, rows


def geomean(values):
    values = [v for v in values if v is not None and v > 0]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def print_table(header, rows, markdown, out):
    if markdown:
        out.write("| " + " | ".join(header) + " |\n")
        out.write("|" + "|".join(["---:"] * (len(header) - 1) + [":---"]) + "|\n")
        for row in rows:
            out.write("| " + " | ".join(row) + " |\n")
        return
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    for row in [header] + rows:
        cells = [cell.rjust(w) for cell, w in zip(row[:-1], widths)] + [row[-1]]
        out.write("  ".join(cells) + "\n")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="compare.sh", description=__doc__.split("\n\n")[0],
        epilog="example: perf/compare.sh --markdown "
               "--weft 'mpirun -np 4 build/perf/weft-perf allreduce' "
               "--base 'mpirun -np 4 build/perf/baselines/mpi-perf allreduce'")
    parser.add_argument("--weft", required=True, metavar="CMD",
                        help="the command measured (run by bash)")
    parser.add_argument("--base", required=True, metavar="CMD",
                        help="the baseline command (run by bash)")
    parser.add_argument("--rounds", type=int, default=3, metavar="R",
                        help="runs of each command, alternating (default 3)")
    parser.add_argument("--markdown", action="store_true",
                        help="print a Markdown table instead of plain text")
    parser.add_argument("--weft-name", default="weft", metavar="NAME",
                        help="column label of --weft (default weft)")
    parser.add_argument("--base-name", default=None, metavar="NAME",
                        help="column label of --base (default: its tool's name without "
                             "-perf, e.g. mpi)")
    parser.add_argument("--timeout", type=float, default=None, metavar="S",
                        help="give up on a run after S seconds (default: no limit)")
    parser.add_argument("--verbose", action="store_true",
                        help="copy every run's output to stderr")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def base_name(text):
    for line in text.splitlines():
        match = HEADER_RE.match(line.strip())
        if match:
            return match.group(1).removesuffix("-perf")
    return "base"


def collect(args):
    """Runs both commands --rounds times; returns descriptions, samples, names."""
    commands = [("weft", args.weft), ("base", args.base)]
    samples = {"weft": {}, "base": {}}
    described, factors = {}, {}
    bname = args.base_name
    for round_no in range(1, args.rounds + 1):
        for label, command in commands:
            sys.stderr.write(f"compare: round {round_no}/{args.rounds}: {label}: {command}\n")
            text = run_once(label, command, args.timeout, args.verbose)
            description, factor, rows = parse_output(text, label)
            described.setdefault(label, description)
            factors.setdefault(label, factor)
            if label == "base" and bname is None:
                bname = base_name(text)
            for size, sample in rows.items():
                samples[label].setdefault(size, []).append(sample)
    return described, factors, samples, (args.weft_name, bname)


def main(argv):
    args = parse_args(argv)
    try:
        described, factors, samples, names = collect(args)
    except RunError as error:
        sys.stderr.write(f"compare: error: {error}\n")
        return 1
    weft = medians(samples["weft"], factors["weft"])
    base = medians(samples["base"], factors["base"])
    header, rows = build_table(names, weft, base)
    what = described.get("weft") or "?"
    if described.get("weft") != described.get("base"):
        sys.stderr.write(f"compare: warning: the commands measure different things: "
                         f"{described.get('weft')} vs {described.get('base')}\n")
        what = f"{described.get('weft')} vs {described.get('base')}"
    common = sorted(set(weft) & set(base))
    bw = geomean(ratio(weft[s][1], base[s][1]) for s in common)
    lat = geomean(ratio(weft[s][0], base[s][0]) for s in common)
    out = sys.stdout
    lead = "" if args.markdown else "# "
    quote = "`" if args.markdown else "'"
    out.write(f"{lead}{what}, median of {args.rounds} rounds per size\n")
    out.write(f"{lead}{names[0]}: {quote}{args.weft}{quote}\n")
    out.write(f"{lead}{names[1]}: {quote}{args.base}{quote}\n")
    out.write("\n" if args.markdown else "")
    print_table(header, rows, args.markdown, out)
    out.write("\n" if args.markdown else "")
    out.write(f"{lead}geometric mean over {len(common)} sizes: busbw {names[0]}/{names[1]} "
              f"{fmt(bw, '.3g')}, time {names[0]}/{names[1]} {fmt(lat, '.3g')}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
