"""Write a randomly initialised MapAnything model folder that ``from_pretrained`` loads.

Checks the plugin's wiring against the *real* MapAnything package on a CPU, without the
released weights: the same model class, config composition, ``load_images`` and ``infer``
path as a real run, only smaller (DINOv2 ViT-S/14 with random weights, 2-layer multi-view
transformer) so 4 small frames reconstruct in seconds. Its geometry is noise; what it checks is
that every call, key, shape and pixel mapping fits.

    python random_model.py OUT_DIR --mapanything-src PATH/TO/map-anything
    rewis3d reconstruct PROJECT --scene S --backend mapanything \
        -o model=OUT_DIR -o device=cpu -o use_amp=false

Needs the MapAnything clone (its ``configs/``) and DINOv2's hub code in the torch hub cache
(``torch.hub`` fetches ``facebookresearch/dinov2`` on first use; offline, unpack a copy into
``$TORCH_HOME/hub/facebookresearch_dinov2_main``). Downloads no weights.
"""

from __future__ import annotations

import argparse
from pathlib import Path

# Smallest settings the real architecture accepts; everything else is MapAnything's own
# ``model=mapanything`` config.
TINY_ENCODER = {"name": "dinov2_small", "size": "small", "keep_first_n_layers": 4,
                "torch_hub_pretrained": False}
TINY_INFO_SHARING = {"name": "aat_2_layers_tiny", "indices": [0, 1], "size": "2_layers",
                     "depth": 2, "dim": 192, "num_heads": 3}
TINY_FEATURE_DIM = 32


def model_config(mapanything_src: Path, tiny: bool = True) -> tuple[str, dict]:
    """MapAnything's composed ``model=mapanything`` config (model_str, model_config), shrunk
    when ``tiny``; never with pretrained DINOv2 weights (random init, nothing downloads)."""
    import hydra
    from mapanything.models import resolve_special_float
    from omegaconf import OmegaConf

    if not OmegaConf.has_resolver("special_float"):
        OmegaConf.register_new_resolver("special_float", resolve_special_float)
    configs = (Path(mapanything_src) / "configs").resolve()
    if not (configs / "train.yaml").is_file():
        raise SystemExit(f"{configs}/train.yaml not found: pass --mapanything-src, the folder "
                         "of a map-anything clone")
    hydra.core.global_hydra.GlobalHydra.instance().clear()
    with hydra.initialize_config_dir(version_base=None, config_dir=str(configs)):
        cfg = hydra.compose(config_name="train", overrides=["model=mapanything"])
    model = OmegaConf.to_container(cfg.model, resolve=True)
    config = model["model_config"]
    config["encoder_config"]["torch_hub_pretrained"] = False
    if tiny:
        config["encoder_config"].update(TINY_ENCODER)
        config["info_sharing_config"]["module_args"].update(TINY_INFO_SHARING)
        config["pred_head_config"]["feature_head"]["feature_dim"] = TINY_FEATURE_DIM
    return model["model_str"], config


def build(mapanything_src: Path, tiny: bool = True, seed: int = 0):
    """(model, constructor kwargs) of a random MapAnything; every pixel marked valid."""
    import copy

    import torch
    from mapanything.models import MapAnything, model_factory

    torch.manual_seed(seed)
    model_str, config = model_config(mapanything_src, tiny)
    model = model_factory(model_str, **copy.deepcopy(config))  # the model edits its dicts
    if not isinstance(model, MapAnything):
        raise SystemExit(f"expected a MapAnything model, got {type(model).__name__}")
    _mark_every_pixel_valid(model, config)
    return model.eval(), config


def _mark_every_pixel_valid(model, config: dict) -> None:
    """Random weights put MapAnything's mask near 0.5 and drop most pixels; a large bias on the
    mask channel (the dense head's last output: values, confidence, mask) keeps every pixel, so
    the check covers the pixel mapping of the whole grid."""
    import torch

    channels = config["pred_head_config"]["adaptor_config"]["input_dim"]
    last = [m for m in model.dense_head.modules()
            if isinstance(m, torch.nn.Conv2d) and m.out_channels == channels][-1]
    with torch.no_grad():
        last.bias[-1] = 20.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for config.json + model.safetensors")
    parser.add_argument("--mapanything-src", type=Path, required=True,
                        help="a map-anything clone (for its configs/)")
    parser.add_argument("--full-size", action="store_true",
                        help="the released architecture (about 1 B parameters), not the tiny one")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import json

    from mapanything.models import MapAnything
    from safetensors.torch import save_model

    model, config = build(args.mapanything_src, tiny=not args.full_size, seed=args.seed)
    # The hub mixin's own save_pretrained records the edited dicts (with classes in them), so
    # write the layout from_pretrained reads: the constructor's kwargs + the weights.
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "config.json").write_text(json.dumps(config, indent=2))
    save_model(model, str(args.out / "model.safetensors"))
    loaded = MapAnything.from_pretrained(args.out)  # what the plugin does with -o model=OUT
    count = sum(p.numel() for p in loaded.parameters())
    size = "full-size" if args.full_size else "tiny"
    print(f"{size} MapAnything ({count / 1e6:.1f} M parameters, random) written to {args.out}")


if __name__ == "__main__":
    main()
