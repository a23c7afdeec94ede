"""Benchmark orchestration that the CLI (``rewis3d bench quality``) and the demo run: builds
synthetic repetitions, trains every variant through ``rewis3d.train``, evaluates and reports.
Kept out of ``train/`` so the trainer does not depend on the scene and label simulators."""
