"""Tests of gradcheck on code written the way the CS231n, Deep Learning from Scratch and notebook courses write it."""
