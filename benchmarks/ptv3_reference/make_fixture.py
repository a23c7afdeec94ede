"""Parity fixtures from the reference PTv3 (GitHub Pointcept/PointTransformerV3, `model.py`).

Builds the reference model at a few small configurations, initialises it at random with a fixed
seed, and writes, per configuration, one safetensors file holding:

    state_dict/module.backbone.<name>  the weights as a Pointcept DDP checkpoint names them
                                       (sparse-conv weights in spconv's (C_out, k, k, k, C_in))
    input/{feat,coord,grid_coord,offset}
    eval/out                           eval-mode output features (N, C_out)
    train/out                          train-mode output; loss = (out * w).sum() with a fixed
                                       w (`fixed_loss_weight`)
    train/grad/<name>                  gradients of selected parameters for that loss
    train/grad_input_feat              gradient w.r.t. the input features
    train/buffers/<name>               BatchNorm buffers after that one training forward

and `configs.json` (reference keyword arguments, the matching `PTv3Config` fields, input notes).

It runs in its own virtualenv with the reference's dependencies, never in the project's:
torch, spconv (the CPU wheel; its backward needs `spconv/pytorch/cppcore.py`
`get_current_stream()` to return 0 without CUDA), addict, numpy, safetensors; timm is optional.
The reference is imported from a checkout given on the command line; nothing of it is copied:

    git clone https://github.com/Pointcept/PointTransformerV3 /tmp/ptv3ref-src
    git -C /tmp/ptv3ref-src checkout 3229e9b7de1770c8ad17c316f8e349982de509f8
    OMP_NUM_THREADS=1 /tmp/ptv3ref-venv/bin/python benchmarks/ptv3_reference/make_fixture.py \\
        --reference /tmp/ptv3ref-src --out tests/models/ptv3/fixtures \\
        --reference-commit 3229e9b7de1770c8ad17c316f8e349982de509f8

(docs/ptv3.md, "Regenerating the fixtures", has the virtualenv steps.)

What this script changes at run time to make the reference deterministic and runnable on CPU
(the reference files stay untouched):

- `torch_scatter` is replaced by a pure-torch `segment_csr` (sum / mean / max / min over CSR
  segments, the only function the reference uses), see `reference_env.py`;
- `timm` (only `DropPath`, never built here because drop_path = 0) gets a stand-in if timm does
  not import;
- `torch.sort` / `torch.argsort` are made stable while the reference runs (its pooling head is
  `torch.sort(cluster)` and its orders `torch.argsort(code)`: unstable sorts make ties run-dependent);
- order shuffling is off: the model is built with shuffle_orders=False and every
  `SerializedPooling.shuffle_orders` (built True regardless of the model flag) is set to False;
  `torch.randperm` raises while the reference runs, to prove it;
- one torch thread (spconv's CPU kernels race with more);
- spconv's CPU build refuses the fused bias of its eval-mode forward ("cpu don't support act and
  bias"), so its convolution modules run with `training=True` (bias added after the
  convolution, the same result) while every other module is in the mode under test;
- configurations marked `flash_emulated` use the reference's flash-attention path (variable-length
  patches for samples shorter than the patch size) with a float32 stand-in for
  `flash_attn.flash_attn_varlen_qkvpacked_func` and `Tensor.half` made a no-op during the forward,
  so the reference's own padding / cu_seqlens logic runs without float16 rounding. The others use
  `enable_flash=False`, whose patch size is min(smallest sample, patch size): their inputs are
  chosen so that every sample has at least a patch of points at every level (checked).
"""

from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path

import torch
from reference_env import import_reference, spconv_bias_after_conv

SEED = 20240601


@contextlib.contextmanager
def deterministic_reference(flash_emulated: bool):
    """Stable sorts, no randperm, and (flash path) no float16 cast, while the reference runs."""
    sort, argsort, randperm, half = torch.sort, torch.argsort, torch.randperm, torch.Tensor.half

    def stable_sort(input, dim=-1, descending=False, stable=None, **kwargs):
        return sort(input, dim=dim, descending=descending, stable=True, **kwargs)

    def stable_argsort(input, dim=-1, descending=False, stable=None):
        return argsort(input, dim=dim, descending=descending, stable=True)

    def no_randperm(*args, **kwargs):
        raise AssertionError("the reference shuffled its orders; shuffling must be off")

    torch.sort, torch.argsort, torch.randperm = stable_sort, stable_argsort, no_randperm
    if flash_emulated:
        torch.Tensor.half = lambda self, *args, **kwargs: self
    try:
        yield
    finally:
        torch.sort, torch.argsort, torch.randperm = sort, argsort, randperm
        torch.Tensor.half = half


# --------------------------------------------------------------------------------------------
# Configurations and inputs

# Keyword arguments of the reference PointTransformerV3 -> our PTv3Config field names.
FIELD_NAMES = {
    "in_channels": "in_channels",
    "order": "orders",
    "stride": "strides",
    "enc_depths": "enc_depths",
    "enc_channels": "enc_channels",
    "enc_num_head": "enc_num_heads",
    "enc_patch_size": "enc_patch_sizes",
    "dec_depths": "dec_depths",
    "dec_channels": "dec_channels",
    "dec_num_head": "dec_num_heads",
    "dec_patch_size": "dec_patch_sizes",
    "mlp_ratio": "mlp_ratio",
    "qkv_bias": "qkv_bias",
}

ORDERS = ["z", "z-trans", "hilbert", "hilbert-trans"]

CONFIGS = [
    {
        # Largest cell index 20 (not 2^k - 1): the serialization depth is the same whether it
        # is the bit length of max or of max + 1, so only the unpooling quirk separates this one.
        "name": "deep_not_pow2",
        "samples": [{"points": 400, "max_cell": 20}],
        "flash_emulated": False,
        "reference": {
            "in_channels": 4, "order": ORDERS, "stride": [2, 2, 2],
            "enc_depths": [3, 1, 1, 3], "enc_channels": [8, 8, 8, 8],
            "enc_num_head": [2, 2, 2, 2], "enc_patch_size": [16, 16, 8, 8],
            "dec_depths": [3, 1, 1], "dec_channels": [8, 8, 8],
            "dec_num_head": [2, 2, 2], "dec_patch_size": [16, 16, 8],
            "mlp_ratio": 2, "qkv_bias": True,
        },
    },
    {
        # Largest cell index exactly 2^4 - 1 = 15 and >= 3 blocks per stage, so Hilbert orders
        # are used: depth 4 (reference) vs 5 (bit length of max + 1) orders Hilbert differently.
        "name": "deep_pow2_max",
        "samples": [{"points": 400, "max_cell": 15}],
        "flash_emulated": False,
        "reference": {
            "in_channels": 4, "order": ORDERS, "stride": [2, 2],
            "enc_depths": [4, 3, 1], "enc_channels": [8, 8, 8],
            "enc_num_head": [2, 2, 2], "enc_patch_size": [16, 16, 8],
            "dec_depths": [3, 1], "dec_channels": [8, 8],
            "dec_num_head": [2, 2], "dec_patch_size": [16, 16],
            "mlp_ratio": 2, "qkv_bias": True,
        },
    },
    {
        # Three samples (offset input); the largest cell index over the batch is 2^5 - 1.
        "name": "batch3_pow2_max",
        "samples": [
            {"points": 300, "max_cell": 31},
            {"points": 200, "max_cell": 12},
            {"points": 250, "max_cell": 17},
        ],
        "flash_emulated": False,
        "reference": {
            "in_channels": 4, "order": ORDERS, "stride": [2, 2],
            "enc_depths": [3, 1, 3], "enc_channels": [8, 8, 8],
            "enc_num_head": [2, 2, 2], "enc_patch_size": [16, 8, 8],
            "dec_depths": [3, 1], "dec_channels": [8, 8],
            "dec_num_head": [2, 2], "dec_patch_size": [16, 8],
            "mlp_ratio": 2, "qkv_bias": True,
        },
    },
    {
        # Other orders, no qkv bias, mlp_ratio 4, one head, and grid_coord computed from
        # coord + grid_size inside the model (trunc((coord - min) / grid_size)).
        "name": "grid_size_two_orders",
        "samples": [{"points": 300, "max_cell": 15}, {"points": 250, "max_cell": 22}],
        "flash_emulated": False,
        "grid_size_input": 0.05,
        "reference": {
            "in_channels": 3, "order": ["hilbert", "z-trans"], "stride": [2, 2],
            "enc_depths": [2, 2, 2], "enc_channels": [8, 8, 8],
            "enc_num_head": [1, 2, 2], "enc_patch_size": [32, 16, 8],
            "dec_depths": [2, 2], "dec_channels": [8, 8],
            "dec_num_head": [2, 1], "dec_patch_size": [32, 16],
            "mlp_ratio": 4, "qkv_bias": False,
        },
    },
    {
        # Flash-attention path (emulated in float32): the small second sample has fewer points
        # than the patch size at every level and forms one shorter patch there.
        "name": "flash_short_sample",
        "samples": [{"points": 350, "max_cell": 15}, {"points": 30, "max_cell": 7}],
        "flash_emulated": True,
        "reference": {
            "in_channels": 4, "order": ORDERS, "stride": [2, 2],
            "enc_depths": [3, 1, 3], "enc_channels": [8, 8, 8],
            "enc_num_head": [2, 2, 2], "enc_patch_size": [32, 32, 32],
            "dec_depths": [3, 1], "dec_channels": [8, 8],
            "dec_num_head": [2, 2], "dec_patch_size": [32, 32],
            "mlp_ratio": 2, "qkv_bias": True,
        },
    },
]  # fmt: skip


def surface_cells(generator: torch.Generator, num_points: int, max_cell: int) -> torch.Tensor:
    """Unique cells on the six faces of the box [0, max_cell]^3, one of them at x = max_cell."""
    extent = float(max_cell + 1)
    draws = num_points * 8
    coord = torch.rand(draws, 3, generator=generator) * extent
    face = torch.randint(0, 3, (draws,), generator=generator)
    far = torch.rand(draws, generator=generator) < 0.5
    coord[torch.arange(draws), face] = torch.where(far, extent, 0.0)
    cells = coord.floor().long().clamp(0, max_cell)
    cells = cells[torch.randperm(draws, generator=generator)]
    cells[0, 0] = max_cell  # the largest index is present for sure
    unique, first = [], set()
    for row in cells.tolist():
        key = tuple(row)
        if key not in first:
            first.add(key)
            unique.append(row)
        if len(unique) == num_points:
            break
    if len(unique) < num_points:
        raise ValueError(f"box {max_cell} too small for {num_points} unique cells")
    return torch.tensor(unique)


def make_inputs(config: dict, generator: torch.Generator) -> dict:
    cells = [surface_cells(generator, s["points"], s["max_cell"]) for s in config["samples"]]
    grid_coord = torch.cat(cells)
    if (grid_coord.min(dim=0).values != 0).any():
        raise ValueError("every axis needs a cell at 0 (grid_coord is relative to the minimum)")
    grid_size = config.get("grid_size_input", 0.05)
    # Points sit inside their cells, jitter in [0.3, 0.8); on each axis the points of the lowest
    # cell sit at 0.2, so trunc((coord - min) / grid_size) gives back exactly these cells, with
    # no float rounding into a neighbour (which would create duplicate voxels: there spconv
    # keeps one point per voxel by a hash race and we average, see docs/ptv3.md).
    jitter = torch.rand(grid_coord.shape, generator=generator) * 0.5 + 0.3
    jitter = torch.where(grid_coord == grid_coord.min(dim=0).values, 0.2, jitter)
    coord = (grid_coord.double() + jitter) * grid_size
    in_channels = config["reference"]["in_channels"]
    feat = torch.randn(grid_coord.shape[0], in_channels, generator=generator)
    offset = torch.cumsum(torch.tensor([len(c) for c in cells]), 0)
    return {
        "feat": feat,
        "coord": coord.float(),
        "grid_coord": grid_coord.long(),
        "offset": offset.long(),
    }


def randomise(model: torch.nn.Module, generator: torch.Generator) -> None:
    """Every parameter and BatchNorm statistic random, so eval-mode BN is not the identity."""
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if not tensor.is_floating_point():
                continue
            leaf = name.rsplit(".", 1)[-1]
            if leaf == "running_var":
                values = torch.rand(tensor.shape, generator=generator) + 0.5
            elif leaf == "running_mean":
                values = torch.randn(tensor.shape, generator=generator) * 0.2
            elif tensor.dim() >= 2:
                fan_in = tensor[0].numel() if tensor.dim() > 2 else tensor.shape[1]
                values = torch.randn(tensor.shape, generator=generator) / fan_in**0.5
            elif leaf == "weight":  # norm scales
                values = 1.0 + 0.2 * torch.randn(tensor.shape, generator=generator)
            else:
                values = 0.1 * torch.randn(tensor.shape, generator=generator)
            tensor.copy_(values)


def fixed_loss_weight(num_points: int, channels: int) -> torch.Tensor:
    """loss = (out * w).sum() with w[i, c] = cos(0.37 i + 1.3 c) / N (no RNG, so the
    tests recompute it; tests/models/ptv3/test_reference_parity.py has the same formula)."""
    i = torch.arange(num_points, dtype=torch.float64)[:, None]
    c = torch.arange(channels, dtype=torch.float64)[None, :]
    return (torch.cos(0.37 * i + 1.3 * c) / num_points).float()


def selected_parameters(reference: dict) -> list[str]:
    """Gradients worth comparing (the input-feature gradient covers the whole chain): the
    stem's BatchNorm, every down / up projection, per encoder stage the last block's qkv, per
    decoder stage the first block's xCPE conv (where the unpooling quirk acts) and the last
    block's MLP output layer."""
    names = ["embedding.stem.norm.weight"]
    for s, depth in enumerate(reference["enc_depths"]):
        if s > 0:
            names.append(f"enc.enc{s}.down.proj.weight")
        names.append(f"enc.enc{s}.block{depth - 1}.attn.qkv.weight")
    for s, depth in enumerate(reference["dec_depths"]):
        names += [f"dec.dec{s}.up.proj.0.weight", f"dec.dec{s}.up.proj_skip.0.weight"]
        names += [f"dec.dec{s}.up.proj_skip.1.weight"]
        names += [f"dec.dec{s}.block0.cpe.0.weight", f"dec.dec{s}.block0.cpe.0.bias"]
        names.append(f"dec.dec{s}.block{depth - 1}.mlp.0.fc2.weight")
    return names


def reference_forward(ref, model, inputs: dict, config: dict, requires_grad: bool = False):
    data = {
        "feat": inputs["feat"].clone().requires_grad_(requires_grad),
        "coord": inputs["coord"].clone(),
        "offset": inputs["offset"].clone(),
    }
    if "grid_size_input" in config:
        data["grid_size"] = config["grid_size_input"]
    else:
        data["grid_coord"] = inputs["grid_coord"].int()
    with spconv_bias_after_conv(model), deterministic_reference(config["flash_emulated"]):
        point = model(data)
    if not config["flash_emulated"]:
        for module in model.modules():
            shrunk = isinstance(module, ref.SerializedAttention) and (
                module.patch_size != module.patch_size_max
            )
            if shrunk:
                raise ValueError(
                    f"{config['name']}: a sample has fewer than {module.patch_size_max} "
                    "points at some level; the non-flash reference would shrink the patch"
                )
    return point.feat, data["feat"]


def build_case(ref, config: dict) -> tuple[dict[str, torch.Tensor], dict]:
    generator = torch.Generator().manual_seed(SEED + sum(map(ord, config["name"])))
    kwargs = dict(config["reference"])
    model = ref.PointTransformerV3(
        **kwargs,
        drop_path=0.0,
        shuffle_orders=False,
        enable_rpe=False,
        enable_flash=config["flash_emulated"],
        upcast_attention=False,
        upcast_softmax=False,
    )
    for module in model.modules():
        if isinstance(module, ref.SerializedPooling):
            module.shuffle_orders = False  # built True whatever the model-level flag says
    randomise(model, generator)
    inputs = make_inputs(config, generator)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    model.eval()
    with torch.no_grad():
        eval_out, _ = reference_forward(ref, model, inputs, config)
        again, _ = reference_forward(ref, model, inputs, config)
    if not torch.equal(eval_out, again):
        raise RuntimeError(f"{config['name']}: the reference is not deterministic here")

    model.train()
    train_out, feat = reference_forward(ref, model, inputs, config, requires_grad=True)
    loss_weight = fixed_loss_weight(*train_out.shape)
    (train_out * loss_weight).sum().backward()
    params = dict(model.named_parameters())
    grads = {name: params[name].grad for name in selected_parameters(kwargs)}
    buffers = {k: v for k, v in model.state_dict().items() if "running" in k or "batches" in k}

    tensors = {f"state_dict/module.backbone.{k}": v for k, v in state.items()}
    tensors |= {f"input/{k}": v for k, v in inputs.items()}
    tensors["eval/out"] = eval_out
    tensors["train/out"] = train_out.detach()
    tensors |= {f"train/grad/{k}": v for k, v in grads.items()}
    tensors["train/grad_input_feat"] = feat.grad
    tensors |= {f"train/buffers/{k}": v for k, v in buffers.items()}
    tensors = {k: v.detach().contiguous().clone() for k, v in tensors.items()}

    ours = {FIELD_NAMES[k]: v for k, v in kwargs.items()}
    ours |= {"drop_path": 0.0, "shuffle_orders": False}
    if "grid_size_input" in config:
        ours["grid_size"] = config["grid_size_input"]
        computed = torch.div(
            inputs["coord"] - inputs["coord"].min(0)[0],
            config["grid_size_input"],
            rounding_mode="trunc",
        ).long()
        if not torch.equal(computed, inputs["grid_coord"]):
            raise ValueError(f"{config['name']}: coord + grid_size do not give back the cells")
    description = {
        "reference_kwargs": kwargs,
        "ptv3_config": ours,
        "flash_emulated": config["flash_emulated"],
        "grid_size_input": config.get("grid_size_input"),
        "samples": config["samples"],
        "num_points": int(inputs["feat"].shape[0]),
        "max_grid_coord": int(inputs["grid_coord"].max()),
    }
    return tensors, description


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reference", type=Path, required=True, help="checkout with model.py")
    parser.add_argument("--out", type=Path, default=Path("tests/models/ptv3/fixtures"))
    parser.add_argument("--reference-commit", default="", help="recorded in configs.json")
    parser.add_argument("--only", nargs="*", help="configuration names (default: all)")
    args = parser.parse_args()

    from safetensors.torch import save_file

    torch.set_num_threads(1)
    ref = import_reference(args.reference.resolve(), flash_stand_in=True)
    args.out.mkdir(parents=True, exist_ok=True)
    index_path = args.out / "configs.json"
    index = json.loads(index_path.read_text()) if index_path.exists() else {"configs": {}}
    import spconv

    index["generated_with"] = {
        "script": "benchmarks/ptv3_reference/make_fixture.py",
        "reference": "github.com/Pointcept/PointTransformerV3 model.py",
        "reference_commit": args.reference_commit
        or index.get("generated_with", {}).get("reference_commit", ""),
        "torch": torch.__version__,
        "spconv": getattr(spconv, "__version__", "?"),
        "seed": SEED,
    }
    for config in CONFIGS:
        if args.only and config["name"] not in args.only:
            continue
        tensors, description = build_case(ref, config)
        save_file(tensors, str(args.out / f"{config['name']}.safetensors"))
        index["configs"][config["name"]] = description
        size = (args.out / f"{config['name']}.safetensors").stat().st_size
        print(f"{config['name']}: {description['num_points']} points, {size / 1024:.0f} KiB")
    index_path.write_text(json.dumps(index, indent=1) + "\n")


if __name__ == "__main__":
    main()
