#!/usr/bin/env bash
# cluster.sh - an emulated multi-node, multi-rail cluster on one Linux
# machine, for weft's hierarchical collectives and their baselines.
#
# Why: weft's rail-parallel algorithms only show what they are worth when
# ranks sit on different nodes, each node has several NICs (rails), and the
# links are slower than memory.  This script builds such a cluster out of
# network namespaces, veth pairs, bridges and tc token buckets, starts one
# process per rank inside it, and tears it all down again.
#
# What it builds (N nodes, k rails; here N=2, k=2):
#
#         namespace weftc-node0                namespace weftc-node1
#         (hostname weftc-node0)               (hostname weftc-node1)
#    +-------------------------------+    +-------------------------------+
#    | rail0 169.254.0.1/24          |    | rail0 169.254.0.2/24          |
#    | rail1 169.254.1.1/24          |    | rail1 169.254.1.2/24          |
#    +----|-------------------|------+    +----|-------------------|------+
#         |  veth pairs, tbf  |                |                   |
#         |  on both ends     |                |                   |
#     weftc-n0r0          weftc-n0r1       weftc-n1r0          weftc-n1r1
#         |                   |                |                   |
#   ======+===== weftc-br0: the rail 0 switch =+                   |
#                             |                                    |
#                       ======+===== weftc-br1: the rail 1 switch =+
#
#   (everything below the namespaces is in the root namespace, unaddressed)
#
# - Node i is network namespace <prefix>-node<i>.  Rail r of node i is a veth
#   pair: `rail<r>` inside the node, address 169.254.<r>.<i+1>/24 (IPv4
#   link-local), and <prefix>-n<i>r<r> in the root namespace, a port of bridge
#   <prefix>-br<r>, the switch of rail r.  The k bridges are not connected to
#   each other, to any physical interface or to the root namespace's IP
#   stack: the bridges and the root-side veth ends have no address (IPv6 is
#   off on them), the namespaces have no default route, and bridged traffic
#   skips the root namespace's netfilter.  Nothing leaves the cluster.
# - Each veth end gets a tbf qdisc (--rate, --burst, --latency) on egress, on
#   both sides: the node's NIC limits what it sends, the switch port limits
#   what it delivers, so every rail is a full-duplex link of --rate each way.
#   tbf meters whole frames (Ethernet + IP + TCP headers): at MTU 1500 the
#   TCP payload is at most 1448/1514 = 95.6% of --rate (8948/9014 = 99.3%
#   with --mtu 9000).  The bucket must
#   hold a few 64 KiB GSO packets: with --burst 64kb a TCP stream got 84-114
#   MB/s out of 1 Gbit/s, with 128kb and more a steady 119.5 MB/s (the
#   payload limit), hence the default 256kb; raise it with the rate.
# - TCP congestion control on the rails is --cc (default cubic), set on each
#   rail's route so that every program in the node uses it: weft, OpenMPI
#   and Gloo alike.  This machine's default, BBR, mis-reads tbf: the bucket
#   lets a burst through at veth speed, BBR takes that for the link's
#   bandwidth (it estimated 20-40 Gbit/s on a 1 Gbit/s rail) and then stalls
#   flows for 50-270 ms at a time.  Exchanges in both directions over one
#   connection (halving-doubling) suffered most: 1 MiB all-reduces of 7 ms
#   took 60-190 ms every few iterations, with cubic or reno a steady 7 ms.
#   Data-centre fabrics run cubic or DCTCP; BBR is an internet algorithm.
# - Ranks: `run` starts --ranks-per-node processes per node (default k);
#   rank = node * ranks_per_node + l, on rail l mod k.  Each runs inside its
#   node's namespace and in its own UTS namespace whose hostname is the
#   node's name, so weft's node identity (hostname + boot id) tells nodes
#   apart, and OpenMPI's per-host session directories do not collide.  Each
#   rank gets WEFT_RANK, WEFT_NRANKS, WEFT_ROOT=169.254.0.1:<port> (rank 0,
#   node 0, rail 0), WEFT_SOCKET_IFNAME=rail<l> (its listener and therefore
#   the connections peers open to it are on its rail), WEFT_TOPO_FILE (a
#   cluster file of the emulated links, <logs>/cluster-topo.json, unless
#   the caller set one), and WEFTC_NODE, WEFTC_LOCAL_RANK, WEFTC_NODES,
#   WEFTC_RANKS_PER_NODE, WEFTC_RAILS.
#   Each rank's output goes to <logs>/rank<r>.out and .err; rank 0's is shown
#   as it comes.  The first rank to fail or to pass --timeout ends the run:
#   the others are killed, and the status is non-zero.
# - `gloo` is `run` for gloo-perf: GLOO_IFNAME=rail<l> (Gloo uses one
#   interface per process) and one GLOO_STORE_DIR (its FileStore rendezvous)
#   for all ranks.
# - `mpi` runs mpirun inside node 0 (the root namespace has no address on the
#   rails), with a hostfile of the node names, ns-rsh.sh as its remote shell
#   (it enters a node's namespaces by name), the TCP BTL on every rail
#   (OpenMPI stripes across them) and shared memory within a node.
#
# How to run it (as root; `perf/cluster/cluster.sh --help` lists options):
#
#   perf/cluster/cluster.sh up                       # 2 nodes x 2 rails, 1 Gbit/s
#   perf/cluster/cluster.sh run -- build/perf/weft-perf allreduce -a hier -v
#   perf/cluster/cluster.sh mpi -- build/perf/baselines/mpi-perf allreduce
#   perf/cluster/cluster.sh gloo -- build/perf/baselines/gloo-perf allreduce
#   perf/cluster/cluster.sh status                   # addresses, qdisc counters
#   perf/cluster/cluster.sh down                     # also cleans a crashed run
#
#   perf/cluster/cluster.sh --nodes 4 --rails 2 --out /tmp/bench bench
#
# run, mpi, gloo and bench use the cluster left by `up` when it exists
# (with its geometry), else they build one for themselves and tear it down
# when they end -- normally, on failure, or on Ctrl-C.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/../.." && pwd)
readonly SCRIPT_DIR REPO_DIR
readonly ALGOS=(ring rd rabenseifner dbt hier hier_hd hier_rd)

# Options (see usage).  Unset geometry is taken from a running cluster.
PREFIX=weftc
NODES=""
RAILS=""
PER_NODE=""
RATE=1gbit
BURST=256kb
LATENCY=20ms
MTU=1500
CC=cubic
OUT=""
TIMEOUT=600
ROUNDS=1
ROUND=""
BUILD="$REPO_DIR/build"
CMD=()
SUBCMD=""
TOPO_FILE="" # the cluster file written for weft ranks (write_topo_file)

# Run state, for the exit trap.
OWN_CLUSTER=0 # 1: this invocation built the cluster and tears it down
RANK_PIDS=()  # process group leaders of running ranks
TMP_DIRS=()   # scratch directories to remove

usage() {
    cat <<EOF
usage: cluster.sh [options] up|down|status
       cluster.sh [options] run|mpi|gloo -- COMMAND [ARGS...]
       cluster.sh [options] bench [-- BENCHMARK ARGS...]

  up       build the cluster and leave it up (until \`down\`)
  down     remove the cluster, and the leftovers of a crashed run
  status   show the nodes, their addresses and the qdisc counters
  run      run COMMAND as every rank with weft's launcher variables
  mpi      run COMMAND under OpenMPI's mpirun across the nodes
  gloo     run COMMAND as every rank with Gloo's variables (gloo-perf)
  bench    all-reduce sweep: weft-perf with each algorithm forced
           (${ALGOS[*]}) and with its own choice, mpi-perf, gloo-perf;
           JSON files, logs and summary.md in --out
           (benchmark args default: -b 8 -e 64M -n 10 -w 2)

options:
  --nodes N            nodes (default 2, or the running cluster's)
  --rails K            rails per node (default 2, or the running cluster's)
  --ranks-per-node M   ranks per node for run/mpi/gloo/bench (default K)
  --rate RATE          tbf rate of every link direction, tc syntax (default
                       $RATE); "none": no rate limit
  --burst SIZE         tbf bucket size (default $BURST)
  --latency TIME       longest a packet may wait in tbf's queue (default $LATENCY)
  --cc NAME            TCP congestion control on the rails (default $CC;
                       "default": this machine's, see the header)
  --mtu BYTES          MTU of every rail (default $MTU; 9000: jumbo frames, as
                       cluster networks commonly run)
  --prefix NAME        names of namespaces, bridges, links (default $PREFIX)
  --out DIR            logs of run/mpi/gloo, results of bench (default: a
                       new directory under /tmp)
  --timeout SEC        a run that takes longer is killed (default $TIMEOUT)
  --rounds R           bench: run every series R times, alternating, and
                       report the median per size (default 1)
  --build DIR          build tree with perf/weft-perf, for bench (default
                       $BUILD)
EOF
}

log() { echo "cluster.sh: $*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# --- names and addresses -----------------------------------------------------

node_name() { echo "$PREFIX-node$1"; }              # namespace and hostname
bridge_name() { echo "$PREFIX-br$1"; }              # the switch of rail $1
root_veth() { echo "$PREFIX-n$1r$2"; }              # root-side end, node $1 rail $2
node_addr() { echo "169.254.$2.$(($1 + 1))"; }      # node $1 on rail $2
state_file() { echo "/run/$PREFIX-cluster.conf"; }

# Runs a command inside node $1's namespace.
in_node() {
    local ns
    ns=$(node_name "$1")
    shift
    ip netns exec "$ns" "$@"
}

# --- building and removing ---------------------------------------------------

# Token bucket on egress of interface $1; the rest, if any, is the command
# prefix that reaches the interface's namespace (in_node <i>).
shape() {
    local dev=$1
    shift
    [ "$RATE" = none ] && return 0
    "$@" tc qdisc replace dev "$dev" root tbf rate "$RATE" burst "$BURST" latency "$LATENCY"
}

no_ipv6() {
    sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1" 2>/dev/null || true
}

make_bridge() {
    local br
    br=$(bridge_name "$1")
    ip link add "$br" type bridge stp_state 0
    # Bridged frames must not meet the root namespace's firewall (when
    # br_netfilter is loaded) -- the rails are a world of their own.
    ip link set "$br" type bridge nf_call_iptables 0 nf_call_ip6tables 0 \
        nf_call_arptables 0 2>/dev/null || true
    no_ipv6 "$br"
    ip link set "$br" mtu "$MTU"
    ip link set "$br" up
}

# The rail's route names the congestion control of every TCP connection
# over it (see the header); the kernel's default for the namespace cannot
# be changed from here on every machine.
set_congestion_control() {
    local i=$1 r=$2
    [ "$CC" = default ] && return 0
    in_node "$i" ip route replace "169.254.$r.0/24" dev "rail$r" proto kernel scope link \
        src "$(node_addr "$i" "$r")" congctl "$CC" ||
        die "TCP congestion control '$CC' is not available (see --cc)"
}

make_node() {
    local i=$1 ns r veth
    ns=$(node_name "$i")
    ip netns add "$ns"
    in_node "$i" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null || true
    in_node "$i" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
    in_node "$i" ip link set lo up
    for ((r = 0; r < RAILS; r++)); do
        veth=$(root_veth "$i" "$r")
        ip link add "$veth" mtu "$MTU" type veth peer name "rail$r" netns "$ns" mtu "$MTU"
        no_ipv6 "$veth"
        ip link set "$veth" master "$(bridge_name "$r")"
        shape "$veth"
        ip link set "$veth" up
        in_node "$i" ip addr add "$(node_addr "$i" "$r")/24" dev "rail$r"
        shape "rail$r" in_node "$i"
        in_node "$i" ip link set "rail$r" up
        set_congestion_control "$i" "$r"
    done
}

cluster_exists() { [ -f "$(state_file)" ] && ip netns list | grep -q "^$(node_name 0)\b"; }

cluster_up() {
    cluster_exists && die "a cluster named $PREFIX is up already (\`down\` first)"
    if [ "$NODES" -gt 254 ]; then die "--nodes must be 1..254"; fi
    if [ "$RAILS" -gt 255 ]; then die "--rails must be 1..255"; fi
    local longest
    longest=$(root_veth $((NODES - 1)) $((RAILS - 1)))
    [ ${#longest} -le 15 ] || die "interface name $longest is too long (15 at most): shorter --prefix"
    OWN_CLUSTER=1 # a failure half-way removes what was made
    local i r
    for ((r = 0; r < RAILS; r++)); do make_bridge "$r"; done
    for ((i = 0; i < NODES; i++)); do make_node "$i"; done
    printf 'NODES=%s\nRAILS=%s\nRATE=%s\nBURST=%s\nLATENCY=%s\nMTU=%s\nCC=%s\n' \
        "$NODES" "$RAILS" "$RATE" "$BURST" "$LATENCY" "$MTU" "$CC" >"$(state_file)"
    log "up: $NODES nodes x $RAILS rails, rate $RATE per link direction (burst $BURST, mtu $MTU, tcp $CC)"
}

# Removes everything named after $PREFIX, whether or not a state file says
# it exists: this is also the cleanup after a crash.  Processes left inside
# the nodes (ranks of a killed run) are ended first.
cluster_down() {
    local ns link pid
    for ns in $(ip netns list | awk '{print $1}' | grep "^$PREFIX-node[0-9]*$" || true); do
        for pid in $(ip netns pids "$ns" 2>/dev/null || true); do
            kill -KILL "$pid" 2>/dev/null || true
        done
        ip netns del "$ns" 2>/dev/null || log "warning: could not remove namespace $ns"
    done
    for link in $(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' |
        grep -E "^$PREFIX-(n[0-9]+r[0-9]+|br[0-9]+)$" || true); do
        ip link del "$link" 2>/dev/null || true
    done
    rm -f "$(state_file)"
}

# Reads the geometry of a running cluster; options given must agree with it.
load_state() {
    local NODES_UP RAILS_UP key value
    while IFS='=' read -r key value; do
        case $key in
        NODES) NODES_UP=$value ;;
        RAILS) RAILS_UP=$value ;;
        RATE | BURST | LATENCY | MTU | CC) printf -v "$key" '%s' "$value" ;;
        esac
    done <"$(state_file)"
    [ -z "$NODES" ] || [ "$NODES" = "$NODES_UP" ] ||
        die "--nodes $NODES, but the running cluster has $NODES_UP (\`down\` it first)"
    [ -z "$RAILS" ] || [ "$RAILS" = "$RAILS_UP" ] ||
        die "--rails $RAILS, but the running cluster has $RAILS_UP (\`down\` it first)"
    NODES=$NODES_UP
    RAILS=$RAILS_UP
}

# Uses the running cluster, or builds one that lives as long as this script.
ensure_cluster() {
    if cluster_exists; then
        load_state
        log "using the running cluster $PREFIX: $NODES nodes x $RAILS rails, rate $RATE"
    else
        NODES=${NODES:-2}
        RAILS=${RAILS:-2}
        cluster_up
    fi
    PER_NODE=${PER_NODE:-$RAILS}
}

cluster_status() {
    cluster_exists || {
        echo "no cluster named $PREFIX is up"
        return 0
    }
    load_state
    echo "cluster $PREFIX: $NODES nodes x $RAILS rails, rate $RATE burst $BURST latency $LATENCY mtu $MTU tcp $CC"
    local i r
    for ((i = 0; i < NODES; i++)); do
        echo "node $i ($(node_name "$i")):"
        in_node "$i" ip -brief -4 addr show | sed 's/^/    /'
        for ((r = 0; r < RAILS; r++)); do
            printf '    rail%s out:   ' "$r"
            in_node "$i" tc -s qdisc show dev "rail$r" | awk '/Sent/ {print; exit}'
            printf '    rail%s in:    ' "$r"
            tc -s qdisc show dev "$(root_veth "$i" "$r")" | awk '/Sent/ {print; exit}'
        done
    done
}

# --- the cluster's topology file ---------------------------------------------

# Writes the cluster file that tells weft's tuner what the emulated network
# is (detection cannot: a veth reports 10 Gbit/s whatever tbf lets through):
# N nodes, k rails of --rate, and the rail interfaces as the node's NICs.
# rail_lat_us is the one-way latency of a small message through veth,
# bridge and tbf between two nodes' namespaces, measured on the project's
# 2-core machine: an 8-byte weft-perf sendrecv between one rank on each of
# two nodes took 12.5 us, of which about 10 are weft's socket path (the
# cost model adds those itself), so 3.  Waiting for the CPU when the ranks
# outnumber the cores is weft's to add too (cost.c), not the link's.
# rail_burst_bytes is --burst: tbf lets that much through at veth speed
# after a pause, so messages smaller than it do not pay the rate (the
# tuner's simulator models the bucket, sim.c).
# Every weft rank gets WEFT_TOPO_FILE pointing at it, as a real cluster's
# ranks would get the file of their system.
write_topo_file() {
    local file=$1 gbps burst
    read -r gbps burst < <(python3 -c 'import sys
sys.path.insert(0, sys.argv[1])
from plot import rate_bytes, size_bytes
b = rate_bytes(sys.argv[2])
print("%g %d" % (b * 8 / 1e9 if b else 0, size_bytes(sys.argv[3]) or 0))' \
        "$SCRIPT_DIR" "$RATE" "$BURST")
    [ "$RATE" != none ] && [ "$gbps" != 0 ] || { TOPO_FILE=""; return 0; }
    local r nics=""
    for ((r = 0; r < RAILS; r++)); do
        nics+="${nics:+,
    }{\"index\": $r, \"name\": \"rail$r\", \"speed_gbps\": $gbps, \"rdma\": false}"
    done
    cat >"$file" <<EOT
{
  "weft_topology": 1,
  "name": "emulated cluster, $NODES nodes x $RAILS rails of $RATE",
  "sources": ["written by perf/cluster/cluster.sh for the cluster it built"],
  "cpu": {"sockets": 1, "numa_nodes": 1, "cores": $(nproc)},
  "host_shm": {"bw_gbps": 4, "lat_us": 0.3},
  "gpus": [],
  "nics": [
    $nics
  ],
  "network": {"nodes": $NODES, "rails": $RAILS, "rail_gbps": $gbps, "rail_lat_us": 3,
              "rail_burst_bytes": $burst}
}
EOT
    TOPO_FILE=$file
}

# --- running ranks -----------------------------------------------------------

# Starts rank $1 in the background, as the leader of its own process group
# (so that it can be killed with whatever it started); $2 is "weft" or
# "gloo" (which variables it gets), the rest the command.
start_rank() {
    local rank=$1 kind=$2 node=$(($1 / PER_NODE)) l=$(($1 % PER_NODE))
    shift 2
    local host rail=$((l % RAILS))
    host=$(node_name "$node")
    local env=(WEFT_RANK="$rank" WEFT_NRANKS=$((NODES * PER_NODE))
        WEFT_ROOT="$(node_addr 0 0):$PORT" WEFT_SOCKET_IFNAME="rail$rail"
        WEFTC_NODE="$node" WEFTC_LOCAL_RANK="$l" WEFTC_NODES="$NODES"
        WEFTC_RANKS_PER_NODE="$PER_NODE" WEFTC_RAILS="$RAILS")
    [ -z "$TOPO_FILE" ] || [ -n "${WEFT_TOPO_FILE+x}" ] || env+=(WEFT_TOPO_FILE="$TOPO_FILE")
    [ "$kind" = gloo ] && env+=(GLOO_IFNAME="rail$rail" GLOO_STORE_DIR="$GLOO_STORE")
    # setsid makes `timeout` ($!) the leader of a new process group, which
    # holds the rank (ip netns exec, unshare and sh exec the next one):
    # killing the group ends the rank and whatever it started.
    # shellcheck disable=SC2016 # $0 and $@ are the inner shell's
    setsid env "${env[@]}" timeout -k 5 "$TIMEOUT" \
        ip netns exec "$host" unshare --uts \
        sh -c 'hostname "$0" && exec "$@"' "$host" "$@" \
        </dev/null >"$LOGS/rank$rank.out" 2>"$LOGS/rank$rank.err" &
    RANK_PIDS[rank]=$!
}

kill_ranks() {
    local pid
    for pid in "${RANK_PIDS[@]}"; do
        kill -TERM -- "-$pid" 2>/dev/null || true
    done
}

# Whether process $1 still runs (a zombie has ended; so has a process that
# bash already reaped).  The state follows the parenthesised command name.
running() {
    local stat
    { read -r stat </proc/"$1"/stat; } 2>/dev/null || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

# Waits for every rank; at the first failure the others are killed.
# Returns 0 when all succeeded.  (It polls: `wait -n PID...` loses the
# status of a job that ended while another was being waited for.)
wait_ranks() {
    local -A rank_of=()
    local r pid rc failed=0 ended
    for r in "${!RANK_PIDS[@]}"; do rank_of[${RANK_PIDS[r]}]=$r; done
    while [ ${#rank_of[@]} -gt 0 ]; do
        ended=0
        for pid in "${!rank_of[@]}"; do
            running "$pid" && continue
            ended=1
            rc=0
            wait "$pid" || rc=$?
            r=${rank_of[$pid]}
            unset "rank_of[$pid]"
            [ "$rc" -eq 0 ] || [ "$failed" -eq 1 ] || {
                failed=1
                if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
                    log "${WHO:-rank $r} timed out after $TIMEOUT s; stopping the others"
                else
                    log "${WHO:-rank $r} failed (exit $rc); stopping the others"
                fi
                kill_ranks
            }
        done
        [ "$ended" -eq 1 ] || sleep 0.1
    done
    RANK_PIDS=()
    return "$failed"
}

# Prints the end of the error output of every rank that wrote any.
show_errors() {
    local f
    for f in "$LOGS"/rank*.err; do
        [ -s "$f" ] || continue
        echo "--- $(basename "$f") (last lines) ---" >&2
        tail -n 15 "$f" >&2
    done
}

# run and gloo: every rank of the job; rank 0's output is shown as it comes.
run_ranks() {
    local kind=$1 n r follow
    shift
    [ $# -gt 0 ] || die "$SUBCMD: no command (usage: $SUBCMD -- COMMAND ...)"
    n=$((NODES * PER_NODE))
    # Below the ephemeral range, which the connections of the run before
    # may still hold in node 0 (a listener there failed with EADDRINUSE).
    local low
    low=$(in_node 0 cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
    PORT=$((low - 1 - RANDOM % 10000))
    if [ "$kind" = gloo ]; then
        GLOO_STORE=$(mktemp -d /tmp/weftc-gloostore.XXXXXX)
        TMP_DIRS+=("$GLOO_STORE")
    fi
    write_topo_file "$LOGS/cluster-topo.json"
    log "$SUBCMD: $n ranks ($NODES nodes x $PER_NODE), logs in $LOGS"
    : >"$LOGS/rank0.out" # before tail looks for it
    for ((r = 0; r < n; r++)); do start_rank "$r" "$kind" "$@"; done
    tail -n +1 -s 0.2 -f --pid="${RANK_PIDS[0]}" "$LOGS/rank0.out" &
    follow=$!
    local status=0
    wait_ranks || status=1
    wait "$follow" 2>/dev/null || true
    [ "$status" -eq 0 ] || show_errors
    return "$status"
}

# mpi: mpirun inside node 0 (the rails have no address in the root
# namespace); it reaches the other nodes through ns-rsh.sh, which enters
# the node's namespaces by its name.
run_mpi() {
    [ $# -gt 0 ] || die "mpi: no command (usage: mpi -- COMMAND ...)"
    local hostfile="$LOGS/hostfile" i r ifs=""
    for ((i = 0; i < NODES; i++)); do echo "$(node_name "$i") slots=$PER_NODE"; done >"$hostfile"
    for ((r = 0; r < RAILS; r++)); do ifs+="${ifs:+,}rail$r"; done
    # shellcheck disable=SC2054 # the commas are OpenMPI's list syntax
    local mpirun=(mpirun --allow-run-as-root --oversubscribe
        -np $((NODES * PER_NODE)) --hostfile "$hostfile" --map-by slot
        --mca plm_rsh_agent "$SCRIPT_DIR/ns-rsh.sh"
        --mca btl tcp,vader,self --mca btl_tcp_if_include "$ifs"
        --mca oob_tcp_if_include rail0
        -x WEFTC_NODES="$NODES" -x WEFTC_RAILS="$RAILS")
    # Every "node" claims its slots, so OpenMPI cannot see that the ranks
    # outnumber this machine's CPUs; told so, it yields when idle as it
    # would on an oversubscribed node (busy-polling ranks made an 8-byte
    # all-reduce of 8 ranks on 2 cores 80 ms instead of 0.3 ms).
    if [ $((NODES * PER_NODE)) -gt "$(nproc)" ]; then
        mpirun+=(--mca mpi_yield_when_idle 1)
    fi
    log "mpi: ${mpirun[*]} $*"
    log "mpi: logs in $LOGS"
    local host follow status=0
    host=$(node_name 0)
    : >"$LOGS/mpirun.out"
    # shellcheck disable=SC2016 # $0 and $@ are the inner shell's
    setsid env WEFTC_PREFIX="$PREFIX" timeout -k 5 "$TIMEOUT" \
        ip netns exec "$host" unshare --uts \
        sh -c 'hostname "$0" && exec "$@"' "$host" "${mpirun[@]}" "$@" \
        </dev/null >"$LOGS/mpirun.out" 2>"$LOGS/mpirun.err" &
    RANK_PIDS=($!)
    tail -n +1 -s 0.2 -f --pid="${RANK_PIDS[0]}" "$LOGS/mpirun.out" &
    follow=$!
    WHO=mpirun wait_ranks || status=1
    wait "$follow" 2>/dev/null || true
    [ "$status" -eq 0 ] || tail -n 30 "$LOGS/mpirun.err" >&2
    return "$status"
}

# --- bench -------------------------------------------------------------------

# One benchmark run into $OUT: $1 its name, $2 run|mpi|gloo, rest the command.
# With --rounds R > 1 the file is $name.round<i>.json (plot.py takes the
# median of the rounds per size).
bench_one() {
    local name=$1 how=$2 file
    shift 2
    file="$OUT/$name.json"
    [ "$ROUNDS" -eq 1 ] || file="$OUT/$name.round$ROUND.json"
    LOGS="$OUT/logs/$name${ROUND:+.$ROUND}"
    mkdir -p "$LOGS"
    echo "## $name: $how -- $*" | tee -a "$OUT/commands.txt"
    SUBCMD=$how
    case $how in
    run) run_ranks weft "$@" -J "$file" ;;
    gloo) run_ranks gloo "$@" -J "$file" ;;
    mpi) run_mpi "$@" -J "$file" ;;
    esac
}

# Every series once, in turn: one round.
bench_round() {
    local weft="$BUILD/perf/weft-perf" base="$BUILD/perf/baselines" algo
    for algo in "${ALGOS[@]}"; do
        bench_one "weft-$algo" run "$weft" allreduce "$@" -a "$algo" || failed+=("weft-$algo")
    done
    bench_one weft-auto run "$weft" allreduce "$@" || failed+=(weft-auto)
    if [ -x "$base/mpi-perf" ]; then
        bench_one mpi mpi "$base/mpi-perf" allreduce "$@" || failed+=(mpi)
    fi
    if [ -x "$base/gloo-perf" ]; then
        bench_one gloo gloo "$base/gloo-perf" allreduce "$@" || failed+=(gloo)
    fi
}

bench() {
    local args=("$@") failed=()
    [ ${#args[@]} -gt 0 ] || args=(-b 8 -e 64M -n 10 -w 2)
    [ -x "$BUILD/perf/weft-perf" ] || die "no $BUILD/perf/weft-perf (build first, or --build DIR)"
    mkdir -p "$OUT"
    : >"$OUT/commands.txt"
    printf 'nodes=%s rails=%s ranks_per_node=%s rate=%s burst=%s latency=%s mtu=%s cc=%s rounds=%s\n' \
        "$NODES" "$RAILS" "$PER_NODE" "$RATE" "$BURST" "$LATENCY" "$MTU" "$CC" "$ROUNDS" \
        >"$OUT/cluster.txt"
    # Rounds alternate the series, so that all of them see the machine's
    # quiet and busy moments alike.
    for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
        [ "$ROUNDS" -eq 1 ] && ROUND=""
        bench_round "${args[@]}"
        [ -n "$ROUND" ] || break
    done
    python3 "$SCRIPT_DIR/plot.py" --summary "$OUT" >"$OUT/summary.md" || failed+=(summary)
    cat "$OUT/summary.md"
    python3 "$SCRIPT_DIR/plot.py" "$OUT" || failed+=(plot)
    [ ${#failed[@]} -eq 0 ] || die "bench: failed: ${failed[*]} (logs in $OUT/logs)"
}

# --- main --------------------------------------------------------------------

on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    [ ${#RANK_PIDS[@]} -eq 0 ] || kill_ranks
    if [ "$OWN_CLUSTER" -eq 1 ]; then
        cluster_down
        log "cluster $PREFIX removed"
    fi
    [ ${#TMP_DIRS[@]} -eq 0 ] || rm -rf "${TMP_DIRS[@]}"
    exit "$rc"
}

parse_args() {
    while [ $# -gt 0 ]; do
        case $1 in
        --nodes) NODES=$2; shift ;;
        --rails) RAILS=$2; shift ;;
        --ranks-per-node) PER_NODE=$2; shift ;;
        --rate) RATE=$2; shift ;;
        --burst) BURST=$2; shift ;;
        --latency) LATENCY=$2; shift ;;
        --mtu) MTU=$2; shift ;;
        --cc) CC=$2; shift ;;
        --prefix) PREFIX=$2; shift ;;
        --out) OUT=$2; shift ;;
        --timeout) TIMEOUT=$2; shift ;;
        --rounds) ROUNDS=$2; shift ;;
        --build) BUILD=$2; shift ;;
        -h | --help) usage; exit 0 ;;
        --) shift; CMD=("$@"); break ;;
        up | down | status | run | mpi | gloo | bench)
            [ -z "$SUBCMD" ] || die "two commands: $SUBCMD and $1"
            SUBCMD=$1 ;;
        *) usage >&2; die "unknown argument: $1" ;;
        esac
        shift
    done
    [ -n "$SUBCMD" ] || { usage >&2; exit 2; }
    local v
    for v in "$NODES" "$RAILS" "$PER_NODE" "$TIMEOUT" "$MTU" "$ROUNDS"; do
        [[ -z "$v" || "$v" =~ ^[1-9][0-9]*$ ]] || die "not a positive number: $v"
    done
    [[ "$PREFIX" =~ ^[a-z][a-z0-9]{0,8}$ ]] ||
        die "--prefix: 1 to 9 lower-case letters and digits, a letter first"
}

main() {
    parse_args "$@"
    [ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, tc)"
    trap on_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    case $SUBCMD in
    up)
        NODES=${NODES:-2}
        RAILS=${RAILS:-2}
        cluster_up
        OWN_CLUSTER=0 # up: leave it up
        ;;
    down) cluster_down ;;
    status) cluster_status ;;
    run | mpi | gloo)
        ensure_cluster
        LOGS=${OUT:-$(mktemp -d "/tmp/weftc-$SUBCMD.XXXXXX")}
        mkdir -p "$LOGS"
        case $SUBCMD in
        run) run_ranks weft "${CMD[@]}" ;;
        gloo) run_ranks gloo "${CMD[@]}" ;;
        mpi) run_mpi "${CMD[@]}" ;;
        esac
        ;;
    bench)
        ensure_cluster
        OUT=${OUT:-$(mktemp -d /tmp/weftc-bench.XXXXXX)}
        bench "${CMD[@]}"
        ;;
    esac
}

main "$@"
