import gradcheck


@gradcheck.case
def case_raises():
    raise ValueError("building the problem failed")


@gradcheck.case
def case_returns_none():
    pass


@gradcheck.case
def case_returns_wrong_type():
    return {"loss": None}
