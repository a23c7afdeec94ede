"""Opening the propagation preview of a stored scene over its stored index."""

from __future__ import annotations

from rewis3d.derived.preview import INDEX_SHARE, open_preview
from rewis3d.derived.preview_index import preview_index_path
from tests.geometry.test_geometry_propagation import CONFIG, _label_frames


def test_open_preview_reports_progress_through_the_index_build_then_the_labelled_frames(
        box_project):
    scene = box_project.scene("boxes")
    rec = scene.reconstruction("sensor-depth")
    _label_frames(scene, [0, 6, 11])
    seen = []
    open_preview(scene, rec, 3, CONFIG,
                 progress=lambda done, total: seen.append((done, total)))
    assert preview_index_path(rec).is_dir()  # it was built, so its passes reported
    values = [done for done, _ in seen]
    assert {total for _, total in seen} == {100} and values == sorted(values)
    assert any(0 < v < INDEX_SHARE for v in values)  # a percentage while the index builds
    assert values[-3:] == [INDEX_SHARE + round((100 - INDEX_SHARE) * i / 3) for i in (1, 2, 3)]
    again = []
    open_preview(scene, rec, 3, CONFIG, progress=lambda d, t: again.append(d))
    assert again[0] > INDEX_SHARE - 1 and again[-1] == 100  # stored index: straight to frames
