"""The media pipeline: ffmpeg runs, outputs in storage, the job lifecycle, the worker."""
