"""Make a trained base the one that ships with devface: compact (float16 sampler, discriminator, and the
encoder and upscaler when the base has them) in devface_core/builtin_base/, and its own samples as the demo
source's faces in devface_adapters/demo_faces/.

Run: python scripts/ship_base.py BASE_FOLDER [--faces 24] [--seed 2026]
The faces are the base's samples on noise of a fixed seed, in order: none is picked by hand.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FACES = ROOT / "devface_adapters" / "demo_faces"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path)
    parser.add_argument("--faces", type=int, default=24)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    from devface_core.config_loading import load_config
    from devface_core.fields import BUILTIN_BASE
    from devface_core.gan.bases import load_model_weights, save_compact_base
    from devface_core.gan.encoder import build_encoder
    from devface_core.gan.trainer import Trainer
    from devface_core.gan.upscaler import build_upscaler
    from devface_core.imaging import encode_png
    from devface_core.saved_settings import has_encoder, has_upscaler

    trainer = Trainer(load_config(environ={}, overrides={"init_from": str(args.base)}))
    config = trainer.config
    encoder = (load_model_weights(build_encoder(config.image_size, config.z_dim), args.base, "encoder")
               if has_encoder(args.base) else None)
    upscaler = load_model_weights(build_upscaler(), args.base, "upscaler") if has_upscaler(args.base) else None
    shutil.rmtree(BUILTIN_BASE, ignore_errors=True)
    save_compact_base(trainer.models, config, BUILTIN_BASE, encoder, upscaler)
    shipped = Trainer(load_config(environ={}, overrides={"init_from": "builtin"}))
    shutil.rmtree(FACES, ignore_errors=True)
    FACES.mkdir(parents=True)
    for index, face in enumerate(shipped.generate(args.faces, seed=args.seed)):
        (FACES / f"{index:03d}.png").write_bytes(encode_png(face))
    size = sum(path.stat().st_size for path in BUILTIN_BASE.iterdir())
    print(f"{BUILTIN_BASE}: {size / 1e6:.1f} MB; {args.faces} demo faces in {FACES}")


if __name__ == "__main__":
    main()
