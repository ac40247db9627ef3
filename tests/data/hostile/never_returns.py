import gradcheck


@gradcheck.case
def never_returns():
    while True:
        pass
