"""diagnose: why did my model get these examples wrong?"""
__version__ = "0.1.0"
