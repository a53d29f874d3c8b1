#!/usr/bin/env python3
"""make_seeds.py - writes the starting inputs of the fuzz targets under
seeds/<target>/: one well-formed example of each message or setting, so
that the fuzzer starts past the magic numbers, the checksum and the secret.
Run it again after a wire format change.  Crash regression seeds live next
to these (named crash-*) and are never rewritten."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
MAGIC, VERSION = 0x54464557, 3  # src/bootstrap/net.h
SECRET = b"weft-fuzz-secret-0123456789abcd\0"
PIECE_HDR = 64  # socket piece header with its signature; older 40-byte readers ignore the tail


def piece_hdr(length, msg):
    return struct.pack("<IHHQQQQ", MAGIC, VERSION, 17, length, length, 0, msg) + bytes(PIECE_HDR - 40)


def fail_frame(kind, status, origin, reason):
    return (struct.pack("<IHHQIiI", MAGIC, VERSION, 18, len(reason), kind, status, origin)
            + bytes(PIECE_HDR - 28) + reason)


def hdr(mtype, length, version=VERSION):
    return struct.pack("<IHHII", MAGIC, version, mtype, length, 0)


def addr4(port, ip=(127, 0, 0, 1)):
    return struct.pack("<HHI", 4, port, 0) + bytes(ip) + bytes(12)


def coll(seq, kind, root, data):
    return hdr(6, 24 + len(data)) + struct.pack("<IIIIQ", seq, kind, root, 0, len(data)) + data


def hello(rank, nranks, addr=bytes(24)):
    return SECRET + struct.pack("<II", rank, nranks) + addr


def fnv1a32(b):
    h = 2166136261
    for c in b:
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    return h


def uid(port):
    raw = struct.pack("<IHH", 0x64697577, 1, 0) + addr4(port) + SECRET
    return raw + struct.pack("<I", fnv1a32(raw)) + bytes(60)


def ipc_entry(i):
    # handle [64], offset u64, size u64, device u32, 0 u32, uuid [16] (src/cuda/ipc_wire.h)
    return bytes((i * 7 + b) & 0xFF for b in range(64)) + struct.pack(
        "<QQII", i << 21, 4096 + i, i % 8, 0) + bytes(range(16))


def ipc(rank, pid, generation, n):
    body = struct.pack("<IIQII", rank, pid, generation, n, 0) + b"".join(
        ipc_entry(i) for i in range(n))
    return hdr(10, len(body)) + body


SEEDS = {
    "wire": {
        "header": bytes([0]) + hdr(6, 40) + bytes([6]) + struct.pack("<H", 100),
        "allgather-from-hub": bytes([1 + 3 * 0]) + coll(1, 1, 0, bytes(range(16))),
        "allgather-at-hub": bytes([1 + 3 * 1]) + coll(1, 1, 0, bytes(range(8))),
        "bcast-from-hub": bytes([1 + 3 * 2]) + coll(1, 2, 0, bytes(range(8))),
        "barrier-at-hub": bytes([1 + 3 * 7]) + coll(1, 3, 0, b""),
        "table": bytes([2 + 3 * 1]) + hdr(2, 72) + addr4(1000) + addr4(1001) + addr4(1002),
        "welcome": bytes([2]) + hdr(4, 0),
        "refused": bytes([2]) + hdr(5, 11) + b"rank 9 of 3",
    },
    "gate": {
        "root-hello": bytes([1, 0]) + hdr(1, 64) + hello(1, 3, addr4(4242)),
        "hub-hello": bytes([0, 2]) + hdr(3, 64) + hello(2, 3),
        "old-version": bytes([1, 0]) + hdr(1, 64, version=7) + hello(0, 1, addr4(1)),
    },
    "sock": {
        "hello": bytes([0, 2, 2, 1]) + hdr(16, 48) + SECRET + struct.pack("<IIII", 1, 3, 1, 0),
        "piece": bytes([1]) + struct.pack("<HBB", 16, 3, 0) + piece_hdr(128, 3),
        # a failed peer's stream after its end: a data piece, then its failure frame
        "end": bytes([2, 4]) + piece_hdr(5, 0) + b"12345"
        + fail_frame(1, -2, 3, b"rank 3/4: the ranks disagree on a call"),
    },
    "uid": {"ipv4": uid(29500)},
    "launch": {
        "ompi": b"OMPI_COMM_WORLD_RANK=1\nOMPI_COMM_WORLD_SIZE=4\nOMPI_COMM_WORLD_LOCAL_SIZE=4\n"
        b"OMPI_MCA_ess_base_jobid=123\n",
        "torchrun": b"RANK=0\nWORLD_SIZE=2\nMASTER_ADDR=::1\nMASTER_PORT=29500\n"
        b"TORCHELASTIC_RUN_ID=abc\n",
        "slurm": b"SLURM_PROCID=3\nSLURM_NTASKS=8\nSLURM_NNODES=1\nSLURM_JOB_ID=77\nSLURM_STEP_ID=2\n",
        "weft": b"WEFT_RANK=0\nWEFT_NRANKS=1\nWEFT_ROOT=[fe80::1%eth0]:80\nWEFT_SECRET=s\n",
    },
    "ipc": {"one": ipc(1, 4242, 1, 1), "three": ipc(0, 7, 9, 3)},
    "config": {"k": b"1K", "hex": b"0x10", "float": b"1.5e3", "bool": b"true",
               "min": b"-9223372036854775808", "g": b"8G"},
}

for target, seeds in SEEDS.items():
    d = os.path.join(HERE, "seeds", target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
