"""Leaving the process: the terminal in colour, report files for machines, and writes that are whole or absent."""
