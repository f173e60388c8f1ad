"""The safetensors file format (F32 tensors and string metadata), without the `safetensors` package.

    [0, 8)      N: header length, unsigned 64-bit little-endian
    [8, 8+N)    UTF-8 JSON: {"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets"}}
                padded with spaces so that the data starts at a multiple of 8
    [8+N, EOF)  the tensors' bytes, little-endian, contiguous, in the order written

Writes are atomic: a temp file beside the target (named as src/model-files/paths.ts names them,
so the extension recognises and cleans up one a crash left), fsync, rename, fsync the folder.
"""
from __future__ import annotations

import json
import os
import struct
from typing import Dict, Mapping, Tuple

import numpy as np
import torch

_METADATA = "__metadata__"


class FormatError(ValueError):
    """A file that is not what it should be; the message is one sentence for the user."""


def read_safetensors(path: str) -> Tuple[Dict[str, torch.Tensor], Dict[str, str]]:
    """(tensors by name, metadata) of an F32 safetensors file."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise FormatError(f"{path} is not a safetensors file: it is shorter than its 8-byte header length.")
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        raise FormatError(f"{path} is not a safetensors file or is truncated.")
    try:
        header = json.loads(blob[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FormatError(f"The header of {path} is not valid JSON.") from None
    metadata = header.pop(_METADATA, None) or {}
    data = memoryview(blob)[8 + n:]
    tensors: Dict[str, torch.Tensor] = {}
    for name, info in header.items():
        if info.get("dtype") != "F32":
            raise FormatError(f"Tensor {name} in {path} is stored as {info.get('dtype')}, not F32.")
        begin, end = info["data_offsets"]
        if not 0 <= begin <= end <= len(data):
            raise FormatError(f"Tensor {name} in {path} has data_offsets outside the file.")
        flat = np.frombuffer(data[begin:end], dtype="<f4").astype(np.float32)
        tensors[name] = torch.from_numpy(flat.reshape(info["shape"]))
    return tensors, {str(k): str(v) for k, v in metadata.items()}


def encode_safetensors(tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str]) -> bytes:
    """The bytes of a safetensors file: tensors as F32, in the mapping's order."""
    header: Dict[str, object] = {_METADATA: dict(metadata)} if metadata else {}
    chunks = []
    offset = 0
    for name, t in tensors.items():
        raw = t.detach().to("cpu", torch.float32).contiguous().numpy().astype("<f4", copy=False).tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    head += b" " * ((8 - (8 + len(head)) % 8) % 8)
    return b"".join([struct.pack("<Q", len(head)), head, *chunks])


def write_file_atomic(target: str, data: bytes) -> None:
    """Replaces target so that readers, and a crash, see the old bytes or the new, never a mix."""
    folder = os.path.dirname(os.path.abspath(target))
    tmp = os.path.join(folder, f".{os.path.basename(target)}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    try:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass  # some platforms cannot fsync a folder; the rename itself is done
