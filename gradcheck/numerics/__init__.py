"""Measuring the numerical gradient: numpy and the standard library only (threadpoolctl in workers); never prints."""
