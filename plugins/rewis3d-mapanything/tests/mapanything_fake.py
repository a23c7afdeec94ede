"""A tiny stand-in for the `mapanything` package, written into a temporary folder by the tests.

It follows the documented API of facebookresearch/map-anything v1.1: ``load_images`` with the
fixed 518 mapping (scale to cover, floor, centre crop) returning dicts with ``img`` (1,3,H,W)
ImageNet-normalised and ``true_shape``; ``MapAnything.from_pretrained(...).to(dev).infer(views,
...)`` returning per view ``pts3d`` (1,H,W,3) in view 0's camera frame, ``pts3d_cam``,
``depth_z``, ``intrinsics``, ``camera_poses`` (OpenCV cam2world), ``conf`` >= 1, ``mask``
(1,H,W,1) bool, ``img_no_norm``; geometry zeroed outside the mask (apply_mask=True).

Geometry: each original frame sees a plane at depth 2 m through intrinsics ``K_ORIG`` of its
own size. Camera j of the whole video (j from the image file name) sits at ``camera_pose(j)``:
0.1 m * j along x, turned 0.02 rad * j about y. Like the real model, a chunk reports everything
in its first view's camera frame, and at a scale of its own (``chunk_scale``: 1 for the chunk
that starts at frame 0, larger for later ones), so chunks must be registered to line up. The
fake derives the intrinsics of its grid from the original size it stashed in the view dict, so
a correct mapping back to original pixels reprojects every point onto its own pixel.
"""

CAMERA = '''
import numpy as np


def camera_pose(j):
    """Camera j of the video in the video's frame (camera 0 = identity)."""
    c, s = np.cos(0.02 * j), np.sin(0.02 * j)
    pose = np.eye(4)
    pose[:3, :3] = [[c, 0, s], [0, 1, 0], [-s, 0, c]]
    pose[0, 3] = 0.1 * j
    return pose


def chunk_scale(first_frame):
    return 1.0 + 0.05 * first_frame
'''
exec(CAMERA)  # the tests place their scene's cameras with the same functions  # noqa: S102

FILES = {
    "mapanything/__init__.py": "",
    "mapanything/_fake_camera.py": CAMERA,
    "mapanything/utils/__init__.py": "",
    "mapanything/utils/image.py": '''
import numpy as np
import PIL.Image
import torch

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
TABLE = {1.0: (518, 518), 1.321: (518, 392), 1.542: (518, 336), 1.762: (518, 294),
         2.056: (518, 252), 3.083: (518, 168), 0.757: (392, 518), 0.649: (336, 518),
         0.567: (294, 518), 0.486: (252, 518)}


def load_images(folder_or_list, resize_mode="fixed_mapping", size=None, norm_type="dinov2",
                patch_size=14, verbose=False, bayer_format=False, resolution_set=518, stride=1):
    assert resize_mode == "fixed_mapping" and resolution_set == 518
    images = [PIL.Image.open(p).convert("RGB") for p in list(folder_or_list)[::stride]]
    mean_aspect = np.mean([im.size[0] / im.size[1] for im in images])
    tw, th = TABLE[min(TABLE, key=lambda k: abs(k - mean_aspect))]
    out = []
    for i, im in enumerate(images):
        w, h = im.size
        s = max(tw / w, th / h) + 1e-8
        rw, rh = int(np.floor(w * s)), int(np.floor(h * s))
        im2 = im.resize((rw, rh), PIL.Image.LANCZOS if s < 1 else PIL.Image.BICUBIC)
        left, top = (rw - tw) // 2, (rh - th) // 2
        im2 = im2.crop((left, top, left + tw, top + th))
        t = torch.from_numpy(np.asarray(im2).copy()).permute(2, 0, 1).float() / 255
        out.append(dict(img=((t - MEAN) / STD)[None], true_shape=np.int32([[th, tw]]), idx=i,
                        instance=str(i), data_norm_type=[norm_type],
                        _fake_geometry=(w, h, s, left, top),
                        _fake_frame=int(str(list(folder_or_list)[::stride][i]).split("/")[-1]
                                        .split(".")[0])))
    return out
''',
    "mapanything/models/__init__.py": '''
import numpy as np
import torch

from mapanything.utils.image import MEAN, STD
from mapanything._fake_camera import camera_pose, chunk_scale

DEPTH = 2.0
BORDER = 10  # grid pixels masked out along every edge


def k_orig(w, h):
    return np.array([[0.9 * w, 0, w / 2], [0, 0.9 * w, h / 2], [0, 0, 1]])



class MapAnything(torch.nn.Module):
    @classmethod
    def from_pretrained(cls, name):
        assert name.startswith("facebook/map-anything")
        return cls()

    def infer(self, views, memory_efficient_inference=True, use_amp=True, amp_dtype="bf16",
              apply_mask=True, mask_edges=True, **kw):
        gen = torch.Generator().manual_seed(0)
        outs = []
        for i, view in enumerate(views):
            _, _, H, W = view["img"].shape
            w, h, s, left, top = view["_fake_geometry"]
            K = k_orig(w, h)
            # intrinsics of the grid: scale about pixel centres, then shift by the crop
            sx, sy = int(np.floor(w * s)) / w, int(np.floor(h * s)) / h  # after the floor
            fx, fy = K[0, 0] * sx, K[1, 1] * sy
            cx = (K[0, 2] + 0.5) * sx - 0.5 - left
            cy = (K[1, 2] + 0.5) * sy - 0.5 - top
            v, u = torch.meshgrid(torch.arange(H), torch.arange(W), indexing="ij")
            z = torch.full((H, W), DEPTH)
            cam = torch.stack([(u - cx) * z / fx, (v - cy) * z / fy, z], -1)
            j, j0 = view["_fake_frame"], views[0]["_fake_frame"]
            scale = chunk_scale(j0)
            rel = np.linalg.inv(camera_pose(j0)) @ camera_pose(j)  # in the chunk's first camera
            rel[:3, 3] *= scale
            pose = torch.tensor(rel, dtype=torch.float32)
            cam = cam * scale
            z = z * scale
            world = cam @ pose[:3, :3].T + pose[:3, 3]
            mask = torch.zeros(H, W, dtype=torch.bool)
            mask[BORDER:-BORDER, BORDER:-BORDER] = True
            conf = 1 + torch.exp(torch.randn(H, W, generator=gen))
            if apply_mask:
                world = world * mask[..., None]
                cam = cam * mask[..., None]
            intr = torch.tensor([[fx, 0, cx], [0, fy, cy], [0, 0, 1]], dtype=torch.float32)
            outs.append(dict(
                pts3d=world[None], pts3d_cam=cam[None], depth_z=(z * mask)[None, ..., None],
                intrinsics=intr[None], camera_poses=pose[None], conf=conf[None],
                mask=mask[None, ..., None],
                img_no_norm=(view["img"][0] * STD + MEAN).permute(1, 2, 0)[None],
            ))
        return outs
''',
}


def install_fake(root):
    """Write the fake package under ``root`` (put ``root`` on sys.path to import it)."""
    from pathlib import Path

    for rel, text in FILES.items():
        path = Path(root) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return Path(root)
