"""Run the reference PTv3 (Pointcept/PointTransformerV3 `model.py`) on a CPU-only machine.

Our own stand-ins for what the reference imports but cannot have here, and the import of its
`model.py` from a checkout (as a package, so its `from .serialization import encode` works).
Used by `make_fixture.py` and by `benchmarks/bench_ptv3.py --reference`; it runs in the
reference's virtualenv (torch, spconv, addict; timm optional), not in the project's.

- `torch_scatter.segment_csr` (the only function the reference uses): pure torch, sum / mean /
  max / min over CSR segments of dim 0 (forward values are exact; max gradients go to the
  maximum as in torch_scatter, split evenly on exact ties).
- `flash_attn.flash_attn_varlen_qkvpacked_func` (optional): float32 attention per
  variable-length segment, for parity runs of the reference's flash path.
- `timm.models.layers.DropPath`, only when timm does not import (here: its torchvision wheel
  is a CUDA build that does not load): per-row stochastic depth as timm's.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import types
from pathlib import Path

import torch


def segment_csr(src, indptr, out=None, reduce="sum"):
    """torch_scatter.segment_csr for a 1-D indptr over dim 0 of src."""
    if out is not None:
        raise NotImplementedError("out= is not used by the reference")
    counts = indptr[1:] - indptr[:-1]
    segment = torch.repeat_interleave(torch.arange(counts.numel(), device=src.device), counts)
    index = segment.view(-1, *([1] * (src.dim() - 1))).expand_as(src)
    shape = (counts.numel(), *src.shape[1:])
    if reduce in ("max", "min"):
        mode = "amax" if reduce == "max" else "amin"
        return src.new_zeros(shape).scatter_reduce(0, index, src, mode, include_self=False)
    total = src.new_zeros(shape).index_add(0, segment, src)
    if reduce == "sum":
        return total
    if reduce == "mean":
        denom = counts.clamp(min=1).to(src.dtype).view(-1, *([1] * (src.dim() - 1)))
        return total / denom
    raise ValueError(f"unsupported reduce {reduce!r}")


def flash_varlen_float32(qkv, cu_seqlens, max_seqlen, dropout_p=0.0, softmax_scale=None, **_):
    """flash_attn_varlen_qkvpacked_func semantics in float32: qkv (T, 3, H, D) -> (T, H, D)."""
    if dropout_p:
        raise NotImplementedError("the float32 stand-in has no attention dropout")
    scale = softmax_scale if softmax_scale is not None else qkv.shape[-1] ** -0.5
    bounds = cu_seqlens.tolist()
    outputs = []
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        q, k, v = qkv[start:end].unbind(1)  # (L, H, D)
        attn = torch.einsum("lhd,mhd->hlm", q * scale, k).softmax(dim=-1)
        outputs.append(torch.einsum("hlm,mhd->lhd", attn, v))
    return torch.cat(outputs)


class DropPath(torch.nn.Module):
    """Stochastic depth per row of x (timm's semantics, scale by 1 / keep)."""

    def __init__(self, drop_prob=0.0):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x):
        if not self.training or not self.drop_prob:
            return x
        keep = 1.0 - self.drop_prob
        mask = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(keep)
        return x * mask / keep


def install_stand_ins(flash_stand_in: bool = False) -> None:
    scatter = types.ModuleType("torch_scatter")
    scatter.segment_csr = segment_csr
    sys.modules["torch_scatter"] = scatter
    if flash_stand_in:
        flash = types.ModuleType("flash_attn")
        flash.flash_attn_varlen_qkvpacked_func = flash_varlen_float32
        sys.modules["flash_attn"] = flash
    try:
        import timm.models.layers  # noqa: F401
    except Exception:  # e.g. timm installed but its torchvision does not load
        for name in ("timm", "timm.models", "timm.models.layers"):
            sys.modules[name] = types.ModuleType(name)
        sys.modules["timm.models.layers"].DropPath = DropPath


def import_reference(path: Path, flash_stand_in: bool = False) -> types.ModuleType:
    """Import `<path>/model.py` as a package so that its `from .serialization import` works."""
    install_stand_ins(flash_stand_in)
    path = Path(path).resolve()
    spec = importlib.util.spec_from_file_location(
        "ptv3_reference_model", path / "model.py", submodule_search_locations=[str(path)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def spconv_bias_after_conv(model: torch.nn.Module):
    """spconv's CPU build refuses the bias its eval-mode forward fuses into the kernel ("cpu
    don't support act and bias"); in training mode it adds the bias after the convolution, the
    same result. So its convolutions run with training=True, every other module keeps its mode."""
    from spconv.pytorch.conv import SparseConvolution

    convs = [m for m in model.modules() if isinstance(m, SparseConvolution)]
    modes = [m.training for m in convs]
    for m in convs:
        m.training = True
    try:
        yield
    finally:
        for m, mode in zip(convs, modes, strict=True):
            m.training = mode
