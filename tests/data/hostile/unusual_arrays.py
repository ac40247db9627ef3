import numpy as np
import gradcheck


def sum_of_squares(params):
    return float(sum(np.sum(np.asarray(v, dtype=np.float64) ** 2) for v in params.values()))


def twice(params):
    return {k: 2 * np.asarray(v) for k, v in params.items()}


@gradcheck.case
def zero_size_and_0d_arrays():
    return gradcheck.Problem(sum_of_squares, twice, {"empty": np.zeros((0, 3)), "scalar": np.array(1.5)})


@gradcheck.case
def non_contiguous_and_read_only_arrays():
    strided = np.arange(24.0).reshape(4, 6)[:, ::2]
    frozen = np.linspace(-1, 1, 5)
    frozen.setflags(write=False)
    return gradcheck.Problem(sum_of_squares, twice, {"strided": strided, "frozen": frozen})


@gradcheck.case
def float16_parameters():
    return gradcheck.Problem(sum_of_squares, twice, {"half": np.linspace(-1, 1, 6, dtype=np.float16)})


@gradcheck.case
def empty_params():
    return gradcheck.Problem(sum_of_squares, twice, {})


@gradcheck.case
def integer_params():
    return gradcheck.Problem(sum_of_squares, twice, {"counts": np.arange(3)})
