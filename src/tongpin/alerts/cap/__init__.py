"""CAP 1.2 (and CAP 1.1, and the 12379 format) without Django: parse safely, validate in layers, read, write."""
