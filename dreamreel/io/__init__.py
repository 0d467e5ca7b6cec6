"""Images and video in and out, at the edges of dreamreel; arrays are (H, W, 3) float32 RGB in [0, 1].

images.py   read_image(path, max_side=None, max_pixels=None) -> array, decode_image, write_image(path, array),
            to_float_rgb, to_uint8, resize(image, height, width), resize_to_fit(image, max_side)
video.py    video_info(path) -> VideoInfo, read_video(path, start, end, size, max_side) -> (frames, VideoInfo),
            frame_range, working_size, probe
audio.py    mux_audio(video_path, audio_source, start, end) -> bool
ffmpeg.py   ffmpeg_exe(), run_ffmpeg(args, what), ffmpeg_reason(stderr), FramePipe
paths.py    check_output(output, *inputs, kinds) -> Path, output_kind(output), existing_file(path, what)
staging.py  atomic_path, staged_folder, publish, owned_folder, remove_owned, remove_stale, output_lock
sidecar.py  write_sidecar(output, data) -> Path, sidecar_path(output)
writers/    open_writer(path, fps, **options) -> Writer (.mp4, .gif, .apng, PNG folder), WriterSettings, register
"""

from .audio import mux_audio
from .ffmpeg import ffmpeg_exe
from .images import (IMAGE_SUFFIXES, decode_image, max_pixels_default, read_image, resize, resize_to_fit,
                     to_float_rgb, to_uint8, write_image)
from .paths import check_output, existing_file, output_kind
from .sidecar import sidecar_path, write_sidecar
from .staging import atomic_path, output_lock, owned_folder, remove_owned, remove_stale
from .video import VideoInfo, frame_range, read_video, video_info, working_size
from .writers import Writer, WriterSettings, open_writer
from .writers.pngdir import FRAME_NAME

__all__ = ["FRAME_NAME", "IMAGE_SUFFIXES", "VideoInfo", "Writer", "WriterSettings", "atomic_path", "check_output",
           "decode_image", "existing_file", "ffmpeg_exe", "frame_range", "max_pixels_default", "mux_audio",
           "open_writer", "output_kind", "output_lock", "owned_folder", "read_image", "read_video", "remove_owned",
           "remove_stale", "resize", "resize_to_fit", "sidecar_path", "to_float_rgb", "to_uint8", "video_info",
           "working_size", "write_image", "write_sidecar"]
