import ctypes
import os
import sys

import gradcheck


@gradcheck.case
def segfault_in_native_code():
    ctypes.string_at(0)


@gradcheck.case
def calls_os_exit():
    os._exit(3)


@gradcheck.case
def calls_sys_exit():
    sys.exit("giving up")
