"""Built-in transmitters, one module each."""
