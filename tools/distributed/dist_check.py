"""The Python side of `regionclip dist-check`: the same collectives on the same tensors with torch.distributed (Gloo),
one JSON line. Run it beside C# processes in one group to check they interoperate:
    python3 tools/distributed/dist_check.py tcp://127.0.0.1:PORT RANK WORLD_SIZE
"""
import datetime
import json
import sys

import torch
import torch.distributed as dist


def main(init_method, rank, world_size):
    dist.init_process_group("gloo", init_method=init_method, rank=rank, world_size=world_size, timeout=datetime.timedelta(seconds=60))

    def mine():
        return torch.arange(6, dtype=torch.float32).view(2, 3) + 10 * rank

    def reduced(op):
        t = mine()
        dist.all_reduce(t, op)
        return t

    out = {"rank": rank, "world_size": world_size}
    out["all_reduce_sum"] = reduced(dist.ReduceOp.SUM).flatten().tolist()
    out["all_reduce_avg"] = (reduced(dist.ReduceOp.SUM) / world_size).flatten().tolist()  # Gloo has no AVG in torch 1.13
    out["all_reduce_max"] = reduced(dist.ReduceOp.MAX).flatten().tolist()
    b = mine()
    dist.broadcast(b, world_size - 1)
    out["broadcast_from_last"] = b.flatten().tolist()
    parts = [torch.empty(2, 3) for _ in range(world_size)]
    dist.all_gather(parts, mine())
    out["all_gather"] = [p.flatten().tolist() for p in parts]
    big = torch.ones(4 * 1024 * 1024 // 4)  # the C# side's bandwidth rounds: warm-up and five all_reduces of --megabytes 4
    for _ in range(6):
        dist.all_reduce(big)
    dist.barrier()
    print(json.dumps(out), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
