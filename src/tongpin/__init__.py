"""同频 Tongpin: a platform for a radio-TV station's convergence media centre and its partners."""

__version__ = "0.1.0"
