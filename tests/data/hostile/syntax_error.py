import gradcheck

@gradcheck.case
def syntax_error(:
    pass
