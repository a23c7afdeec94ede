import pytest
import torch


@pytest.fixture(autouse=True)
def one_torch_thread():
    """PTv3 tests run many small ops; on a shared 2-core machine two OpenMP threads spin on
    each other and run up to 10x slower than one (see docs/ptv3.md, Benchmark)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
