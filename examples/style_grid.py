"""A Gatys et al. (2016, fig. 3) grid: how the content/style balance and the depth of the style layers shape a result.

    python examples/style_grid.py                      # writes examples/style_grid.png (about 10 min on 2 cores)
    python examples/style_grid.py --size 128 --iterations 40 --output /tmp/grid.png     # a quicker look

Columns: the style weight beta over the content weight alpha (0.1, 1, 10; dreamreel's default is 10). Rows: the style layers used, from
block1_conv1 up to block3_conv1, block4_conv1 or block5_conv1 (deeper layers = larger structures of the painting).
Content: scikit-image's astronaut (NASA, public domain); style: ../shared/data/style/starry_night.jpg (Van Gogh,
public domain). Every cell is `dreamreel.style.stylize` with the real default weights (vgg16).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
STYLE = HERE.parent / ".." / "shared" / "data" / "style" / "starry_night.jpg"
RATIOS = (0.1, 1.0, 10.0)
DEPTHS = ("block3_conv1", "block4_conv1", "block5_conv1")
ALL_STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")


def label(cell: np.ndarray, text: str, height: int = 18) -> np.ndarray:
    """The cell with a white band above it carrying `text`."""
    import cv2

    band = np.full((height, cell.shape[1], 3), 255, np.uint8)
    cv2.putText(band, text, (4, height - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([band, cell], axis=0)


def contact_sheet(rows: list[list[np.ndarray]], gap: int = 4) -> np.ndarray:
    h, w = rows[0][0].shape[:2]
    sheet = np.full((len(rows) * (h + gap) + gap, len(rows[0]) * (w + gap) + gap, 3), 255, np.uint8)
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            y, x = gap + r * (h + gap), gap + c * (w + gap)
            sheet[y:y + h, x:x + w] = cell
    return sheet


def save_small_png(path: Path, pixels: np.ndarray) -> None:
    """A 256-colour PNG: a painterly contact sheet stays well under 300 KB."""
    from PIL import Image

    Image.fromarray(pixels).quantize(256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main() -> None:
    import cv2
    from skimage import data

    from dreamreel.home import enable_compilation_cache
    from dreamreel.io import read_image, resize_to_fit, to_float_rgb, to_uint8
    from dreamreel.models import load_model
    from dreamreel.core.stylize import stylize

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=160, help="side of each cell in px")
    parser.add_argument("--iterations", type=int, default=60, help="Adam iterations per scale")
    parser.add_argument("--scales", type=int, default=2)
    parser.add_argument("--output", type=Path, default=HERE / "style_grid.png")
    args = parser.parse_args()

    enable_compilation_cache()
    model = load_model("vgg16")
    content = to_float_rgb(data.astronaut())
    style = read_image(STYLE) if STYLE.is_file() else to_float_rgb(data.coffee())
    header = [label(to_uint8(resize_to_fit(content, args.size)), "content"),
              label(to_uint8(resize_to_fit(style, args.size))[: args.size], "style")]
    header[1] = np.pad(header[1], ((0, header[0].shape[0] - header[1].shape[0]), (0, 0), (0, 0)),
                       constant_values=255)
    legend = np.full_like(header[0], 255)
    for k, line in enumerate(["rows: style layers", "block1_conv1 up to", "block3/4/5_conv1", "",
                              "columns: beta/alpha", ", ".join(f"{r:g}" for r in RATIOS)]):
        cv2.putText(legend, line, (4, 16 + 16 * k), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    header.append(legend)
    rows = [header]
    start = time.perf_counter()
    for depth in DEPTHS:
        layers = ALL_STYLE_LAYERS[: ALL_STYLE_LAYERS.index(depth) + 1]
        row = []
        for ratio in RATIOS:
            out = stylize(content, [style], model=model, content_weight=1.0, style_weight=ratio, size=args.size,
                          scales=args.scales, iterations=args.iterations, style_layers=layers)
            row.append(label(to_uint8(out), f"b/a {ratio:g}, b1-b{depth[5]}"))
            print(f"{depth} ratio {ratio:g} done at {time.perf_counter() - start:.0f} s", flush=True)
        rows.append(row)
    save_small_png(args.output, contact_sheet(rows))
    print(f"wrote {args.output} ({args.output.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
