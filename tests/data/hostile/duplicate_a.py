import numpy as np
import gradcheck


@gradcheck.case
def same_name():
    return gradcheck.Problem(lambda p: float(np.sum(p ** 2)), lambda p: 2 * p, np.ones(3))
