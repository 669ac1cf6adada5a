"""voyager-proxy: one self-healing Voyager session shared with web applications."""

__version__ = "0.1.0"
