import pytest

from rewis3d.annotations import FrameSelection
from rewis3d.errors import InputError


def test_every_list_share_and_default():
    assert FrameSelection(every=3).resolve(10) == [0, 3, 6, 9]
    assert FrameSelection(frames=(4, 1, 4)).resolve(5) == [1, 4]
    picked = FrameSelection(share=0.3, seed=2).resolve(10)
    assert len(picked) == 3 and picked == FrameSelection(share=0.3, seed=2).resolve(10)
    assert FrameSelection().resolve(3) == [0, 1, 2]


@pytest.mark.parametrize(
    ("selection", "field"),
    [
        (FrameSelection(every=0), "every"),
        (FrameSelection(frames=(0, 7)), "0..4"),
        (FrameSelection(frames=()), "empty"),
        (FrameSelection(share=1.5), "share"),
        (FrameSelection(every=2, share=0.5), "one of"),
    ],
)
def test_bad_selections_name_the_problem(selection, field):
    with pytest.raises(InputError, match=field):
        selection.resolve(5)
