"""Where this process stands among the ranks torchrun started (or alone): rank, world, device."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

import torch
import torch.distributed as dist


@dataclass
class Cluster:
    """This process's place among the ranks torchrun started (or the only one)."""
    rank: int
    world: int
    device: torch.device

    @property
    def distributed(self) -> bool:
        return self.world > 1

    @property
    def leader(self) -> bool:
        return self.rank == 0


def join_cluster(device_flag: Optional[str]) -> Cluster:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    kind = device_flag or ("cuda" if torch.cuda.is_available() else "cpu")
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("lstm_lens_torch.train: --device cuda, but this PyTorch sees no GPU.")
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
    else:
        device = torch.device("cpu")
    if world > 1:
        dist.init_process_group("nccl" if kind == "cuda" else "gloo")
    return Cluster(rank, world, device)


def share(batch: int, cluster: Cluster) -> range:
    """The streams this rank trains: a contiguous, near-equal share of the B streams."""
    return range(cluster.rank * batch // cluster.world, (cluster.rank + 1) * batch // cluster.world)
