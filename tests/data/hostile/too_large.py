import time

import numpy as np
import gradcheck


@gradcheck.case(mode="full")
def full_check_too_large_for_the_time_limit():
    def loss(p):
        time.sleep(0.002)
        return float(np.sum(p ** 2))

    return gradcheck.Problem(loss, lambda p: 2 * p, np.ones(100_000))
