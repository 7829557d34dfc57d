"""Built-in formatters, one module per family of channel kinds."""
